"""Admin views for registrations. Wired up in ``wagtail_hooks.py``.

Staff actions on one registration (cancel, re-register, retry sync, resend the
reminder) are entries in :data:`REGISTRATION_ACTIONS`: each calls the same
service function a visitor's action would, and answers with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.generic import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    InspectView,
)
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.contrib.forms.views import DeleteSubmissionsView
from wagtail.models import Page

from . import registration as service
from . import validators
from .models import Registration, event_page_models
from .permissions import ADD, CHANGE, DELETE, VIEW, registration_policy
from .templatetags.webinars import campus_datetime


@dataclass(frozen=True)
class RegistrationAction:
    label: str
    #: Does the work and returns the message for staff. Runs on a POST only.
    run: Callable[[Registration], str]
    #: Whether to offer the button for this registration.
    available: Callable[[Registration], bool]
    permission: str = CHANGE


def _cancel(registration: Registration) -> str:
    service.cancel(registration)
    return _("Registration cancelled.")


def _reregister(registration: Registration) -> str:
    service.register(
        registration.page.specific,
        email=registration.email,
        first_name=registration.first_name,
        last_name=registration.last_name,
        answers={
            k: v
            for k, v in registration.form_data.items()
            if k not in ("email", "first_name", "last_name")
        },
        source=Registration.Source.ADMIN,
        enforce_rules=False,
    )
    return _("Registration is active again.")


def _resend_reminder(registration: Registration) -> str:
    from . import reminders

    reminders.request_resend(registration)
    return _("The reminder is on its way to %(email)s again.") % {"email": registration.email}


def _retry_sync(registration: Registration) -> str:
    from . import sync

    if sync.retry_registration(registration):
        return _("Sync with Zoom is queued again.")
    return _("This registration's sync has not failed, so there is nothing to retry.")


REGISTRATION_ACTIONS: dict[str, RegistrationAction] = {
    "cancel": RegistrationAction(
        gettext_lazy("Cancel registration"), _cancel, lambda r: r.is_active
    ),
    "reregister": RegistrationAction(
        gettext_lazy("Re-register"), _reregister, lambda r: not r.is_active
    ),
    "retry_sync": RegistrationAction(
        gettext_lazy("Retry sync"),
        _retry_sync,
        lambda r: r.sync_status == Registration.SyncStatus.FAILED,
    ),
    "resend_reminder": RegistrationAction(
        gettext_lazy("Resend reminder"), _resend_reminder, lambda r: r.is_active
    ),
}


def event_pages():
    """Every event page (ours and a host project's), newest first, for choosing one."""
    return Page.objects.type(*event_page_models()).order_by("-first_published_at", "-pk")


class RegistrationFilterSet(WagtailFilterSet):
    page = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Event"),
        queryset=lambda request: (
            registration_policy.event_pages_for_user(request.user, VIEW)
            .order_by("-first_published_at", "-pk")
            .only("id", "title")
        ),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=Registration.Status.choices
    )
    sync_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Sync"), choices=Registration.SyncStatus.choices
    )

    class Meta:
        model = Registration
        fields = ["page", "status", "sync_status"]


class RegistrationIndexView(IndexView):
    def get_base_queryset(self):
        # One query for the page, whatever the number of rows (no per-row lookups).
        return (
            registration_policy.instances_user_has_permission_for(self.request.user, VIEW)
            .select_related("page")
            .order_by("-registered_at")
        )


class EventScopedObjectMixin:
    """One registration's view: only for those the policy lets act on its event."""

    object_action = VIEW

    def get_object(self, queryset=None):
        registration = super().get_object(queryset)
        if not registration_policy.user_can_for_event(
            self.request.user, self.object_action, registration.page
        ):
            raise PermissionDenied
        return registration


class StaffRegistrationForm(WagtailAdminModelForm):
    """Staff add someone; the registration service does the rest (rules, sync, mail)."""

    page = forms.ModelChoiceField(label=gettext_lazy("Event"), queryset=Page.objects.none())
    ignore_limits = forms.BooleanField(
        label=gettext_lazy("Add even if registration is closed or the event is full"),
        required=False,
    )

    class Meta:
        model = Registration
        fields = ["page", "first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        self.fields["page"].queryset = (
            registration_policy.event_pages_for_user(user, ADD).order_by(
                "-first_published_at", "-pk"
            )
            if user is not None
            else event_pages()
        )

    def clean(self):
        cleaned = super().clean()
        try:
            email, first, last = service.validate_registrant(
                cleaned.get("email", ""),
                cleaned.get("first_name", ""),
                cleaned.get("last_name", ""),
            )
        except ValidationError as err:
            for field, errors in err.error_dict.items():
                # A field that already failed its own checks reached us empty: the
                # service's "enter your ..." would only repeat the problem.
                if not self.has_error(field):
                    self.add_error(field, errors)
        else:
            cleaned.update(email=email, first_name=first, last_name=last)
        return cleaned

    def validate_unique(self):
        # A duplicate is not an error here: the service reports "already registered".
        return None

    def _get_validation_exclusions(self):
        # Model validation would check the one-row-per-email constraint and refuse a
        # duplicate (or a cancelled person coming back) before the service could
        # resend the confirmation or re-activate the row. The service checked email.
        exclude = super()._get_validation_exclusions()
        exclude.add("email")
        return exclude


class StaffRenameForm(WagtailAdminModelForm):
    """Staff correct a name; everything else about a registration has its own action."""

    class Meta:
        model = Registration
        fields = ["first_name", "last_name"]

    def clean(self):
        cleaned = super().clean()
        for field, label in (("first_name", _("first name")), ("last_name", _("last name"))):
            if self.has_error(field):
                continue
            try:
                cleaned[field] = validators.clean_name(cleaned.get(field, ""), label)
            except ValidationError as err:
                self.add_error(field, err)
        return cleaned


class RegistrationEditView(EventScopedObjectMixin, EditView):
    object_action = CHANGE

    def save_instance(self):
        return service.rename(
            self.object,
            first_name=self.form.cleaned_data["first_name"],
            last_name=self.form.cleaned_data["last_name"],
        )


class RegistrationCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        result = service.register(
            data["page"].specific,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            source=Registration.Source.ADMIN,
            enforce_rules=not data.get("ignore_limits"),
        )
        self.result = result
        return result.registration

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except service.RegistrationRefused as refused:
            form.add_error(None, refused.message)
            # form_invalid() expects what is_valid() sets on a failed validation.
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)

    def get_success_message(self, instance):
        if getattr(self, "result", None) and self.result.already_registered:
            return _("%(email)s was already registered; their confirmation was sent again.") % {
                "email": instance.email
            }
        return _("Registered %(name)s.") % {"name": instance.full_name}


class RegistrationDeleteView(EventScopedObjectMixin, DeleteView):
    object_action = DELETE


class RegistrationInspectView(EventScopedObjectMixin, InspectView):
    template_name = "wagtail_webinars/admin/registration_inspect.html"
    action_url_name = ""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        # Times in campus local time with the zone's name, as everywhere else.
        if isinstance(value, datetime):
            return campus_datetime(value)
        if value is None:
            return "—"
        return value

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registration = self.object
        can_change = registration_policy.user_can_for_event(
            self.request.user, CHANGE, registration.page
        )
        context["actions"] = [
            (name, action.label)
            for name, action in REGISTRATION_ACTIONS.items()
            if can_change and action.available(registration)
        ]
        context["action_url_name"] = self.action_url_name
        return context


class RegistrationActionView(View):
    """POST-only: run one staff action on one registration, then go back to it."""

    permission_policy = None
    inspect_url_name = ""

    def post(self, request, pk: int, action: str):
        entry = REGISTRATION_ACTIONS.get(action)
        if entry is None:
            raise Http404
        if not registration_policy.user_has_permission(request.user, entry.permission):
            raise PermissionDenied
        registration = get_object_or_404(Registration.objects.select_related("page"), pk=pk)
        if not registration_policy.user_can_for_event(
            request.user, entry.permission, registration.page
        ):
            raise PermissionDenied
        if not entry.available(registration):
            messages.warning(request, _("That action does not apply to this registration now."))
        else:
            try:
                messages.success(request, entry.run(registration))
            except service.RegistrationRefused as refused:
                messages.error(request, refused.message)
        return redirect(self.inspect_url_name, pk)


SYNC_COLUMN = StatusTagColumn(
    "sync_status",
    label=gettext_lazy("Sync"),
    accessor="get_sync_status_display",
    primary=lambda r: r.sync_status == Registration.SyncStatus.SYNCED,
)
EVENT_COLUMN = Column("page", label=gettext_lazy("Event"), accessor="page.title")


# -- managed Zoom on the event: status, "Refresh from Zoom", "Retry failed syncs" ------------
EVENT_ZOOM_URL_NAME = "wagtail_webinars_event_zoom"


def event_sync_counts(event_id: int) -> dict[str, int]:
    """Registrations of one event by sync status, in one query."""
    rows = (
        Registration.objects.filter(page_id=event_id)
        .values("sync_status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["sync_status"]: row["count"] for row in rows}


def registrations_list_url(event_id: int, **filters: str) -> str:
    return reverse("webinar_registrations:index") + "?" + urlencode({"page": event_id, **filters})


def _managed_event_for(page, user):
    """The specific event behind ``page`` when it is managed and ``user`` may edit it
    and see its registrations (the sync page counts and lists them)."""
    if not registration_policy.user_has_permission(user, VIEW):
        return None
    from . import metadata
    from .models import EventPageMixin

    if not isinstance(page, EventPageMixin):
        if not issubclass(page.specific_class or type(page), EventPageMixin):
            return None
        page = page.specific
    if not metadata.is_managed_event(page) or not registration_policy.user_can_for_event(
        user, VIEW, page
    ):
        return None
    return page


def zoom_header_buttons(page, user) -> list:
    """The event's "Zoom sync" header button, with the failed count when there are any."""
    from wagtail.admin.widgets import Button

    event = _managed_event_for(page, user)
    if event is None:
        return []
    failed = Registration.objects.filter(
        page_id=event.pk, sync_status=Registration.SyncStatus.FAILED
    ).count()
    label = (
        ngettext("Zoom sync: %(count)d failed", "Zoom sync: %(count)d failed", failed)
        % {"count": failed}
        if failed
        else _("Zoom sync")
    )
    url = reverse(EVENT_ZOOM_URL_NAME, args=[event.pk])
    return [Button(label, url=url, icon_name="warning" if failed else "globe", priority=80)]


def refresh_zoom_on_publish(request, page) -> None:
    """``before_publish_page``: fill the auto-populated fields into the revision being published."""
    from . import metadata

    if not metadata.is_managed_event(page):
        return
    result = metadata.refresh_before_publish(page)
    for warning in result.warnings:
        messages.warning(request, warning)


def backfill_after_publish(request, page) -> None:
    """``after_publish_page``: say that registrations Zoom has never heard of (made
    before the Zoom ID was set, or during a long outage) are on their way."""
    from . import metadata, sync

    # The page_published receiver queues the backfill (for every way of publishing);
    # here we only tell the editor about it.
    if metadata.is_managed_event(page) and sync.has_never_pushed(
        page.pk, page.provider.external_id
    ):
        messages.info(request, _("Registrations made earlier are being added to Zoom."))


class EventZoomView(WagtailAdminTemplateMixin, TemplateView):
    """One managed event's Zoom status, with "Refresh from Zoom" and "Retry failed syncs"."""

    template_name = "wagtail_webinars/admin/event_zoom.html"
    header_icon = "globe"

    def dispatch(self, request, page_id: int):
        from wagtail.models import Page

        page = get_object_or_404(Page, pk=page_id)
        event = _managed_event_for(page, request.user)
        if event is None:
            if not registration_policy.user_can_for_event(request.user, VIEW, page):
                raise PermissionDenied
            raise Http404
        self.event = event
        user = request.user
        # Retrying changes registrations; refreshing rewrites the live page.
        self.can_retry = registration_policy.user_can_for_event(user, CHANGE, event)
        self.can_refresh = event.permissions_for_user(user).can_publish()
        return super().dispatch(request, page_id)

    def get_page_title(self):
        return _("Zoom sync")

    def get_page_subtitle(self):
        return self.event.get_admin_display_title()

    def get_context_data(self, **kwargs):
        from .providers.zoom.meetings import parse_zoom_time

        context = super().get_context_data(**kwargs)
        counts = event_sync_counts(self.event.pk)
        config = self.event.provider_config or {}
        status_rows = [
            (label, counts.get(value, 0), registrations_list_url(self.event.pk, sync_status=value))
            for value, label in Registration.SyncStatus.choices
        ]
        context.update(
            event=self.event,
            provider=self.event.provider,
            config=config,
            zoom_start=parse_zoom_time(config.get("start_time")),
            status_rows=status_rows,
            failed_count=counts.get(Registration.SyncStatus.FAILED, 0),
            failed_url=registrations_list_url(
                self.event.pk, sync_status=Registration.SyncStatus.FAILED
            ),
            edit_url=reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
            can_retry=self.can_retry,
            can_refresh=self.can_refresh,
        )
        return context

    def post(self, request, page_id: int):
        from . import metadata, sync

        action = request.POST.get("action")
        if (action == "refresh" and not self.can_refresh) or (
            action == "retry_failed" and not self.can_retry
        ):
            raise PermissionDenied
        if action == "refresh":
            result = metadata.refresh_and_save(self.event)
            for warning in result.warnings:
                messages.warning(request, warning)
            if result.refreshed:
                messages.success(request, _("The join link and passcode were refreshed from Zoom."))
                sync.queue_backfill_if_needed(self.event)
        elif action == "retry_failed":
            count = sync.retry_failed_for_event(self.event.pk)
            messages.success(
                request,
                ngettext(
                    "%(count)d failed sync is queued again.",
                    "%(count)d failed syncs are queued again.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.error(request, _("Unknown action."))
        return redirect(EVENT_ZOOM_URL_NAME, self.event.pk)


class EventSubmissionsDeleteView(DeleteSubmissionsView):
    """Wagtail's "delete submissions" for a form page, with the registration policy
    for event pages: editing the page is not enough to delete its registrations
    (deleting also cancels the person in Zoom). Other form pages keep Wagtail's rule.
    """

    def dispatch(self, request, *args, **kwargs):
        page = get_object_or_404(Page, id=kwargs.get("page_id"))
        is_event = issubclass(page.specific_class or type(page), tuple(event_page_models()))
        if is_event and not registration_policy.user_can_for_event(request.user, DELETE, page):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
