"""The Registrations admin: list, add, inspect, rename, delete, export, staff actions.

Wired up in ``wagtail_hooks.py``. Who sees and changes which registrations is the
one permission policy's decision (:mod:`wagtail_webinars.permissions`).

Staff actions on one registration (cancel, re-register, retry sync, resend the
reminder) are entries in :data:`REGISTRATION_ACTIONS`: each calls the same service
function a visitor's action would, runs as a Wagtail operation view (POST only,
back to a safe ``next`` URL) and appears in the list's row menu and on the
registration's page. Cancelling asks for confirmation first.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    InspectView,
)
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.coreutils import multigetattr
from wagtail.permissions import page_permission_policy

from .. import registration as service
from .. import validators
from ..models import Registration, event_page_models
from ..permissions import ADD, CHANGE, DELETE, VIEW, registration_policy
from ..templatetags.webinars import campus_datetime
from .actions import RegistrationUrls, actions_for
from .exports import RegistrationExportMixin


# -- choosing an event: newest first, with its date, drafts marked ---------------------------
def events_newest_first(pages):
    """``pages`` (event pages) ordered by their start, newest first, each carrying
    ``event_start`` for its label; one query whatever the number of event models."""
    starts = [
        Subquery(model.objects.filter(pk=OuterRef("pk")).values("start")[:1])
        for model in event_page_models()
    ]
    start = starts[0] if len(starts) == 1 else Coalesce(*starts)
    return (
        pages.annotate(event_start=start)
        .order_by(F("event_start").desc(nulls_last=True), "-pk")
        .only("id", "title", "live")
    )


def event_choice_label(page) -> str:
    start = getattr(page, "event_start", None)
    label = f"{page.title} — {campus_datetime(start)}" if start else page.title
    if not page.live:
        label = _("%(event)s (draft)") % {"event": label}
    return label


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return event_choice_label(obj)


class EventFilter(django_filters.ModelChoiceFilter):
    field_class = EventChoiceField


class RegistrationFilterSet(WagtailFilterSet):
    page = EventFilter(
        label=gettext_lazy("Event"),
        queryset=lambda request: events_newest_first(
            registration_policy.event_pages_for_user(request.user, VIEW)
        ),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=Registration.Status.choices
    )
    sync_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Sync"), choices=Registration.SyncStatus.choices
    )
    # One person's registrations across events (a registrant asking for their data).
    email = django_filters.CharFilter(label=gettext_lazy("Email address"), lookup_expr="iexact")

    class Meta:
        model = Registration
        fields = ["page", "status", "sync_status", "email"]


# -- columns -----------------------------------------------------------------------------
class SyncStatusColumn(StatusTagColumn):
    """The sync status tag; "Sync failed" in Wagtail's critical colours so it stands out."""

    cell_template_name = "wagtail_webinars/admin/sync_status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["failed"] = instance.sync_status == Registration.SyncStatus.FAILED
        return context


SYNC_COLUMN = SyncStatusColumn(
    "sync_status",
    label=gettext_lazy("Sync"),
    accessor="get_sync_status_display",
    primary=lambda r: r.sync_status == Registration.SyncStatus.SYNCED,
)
EVENT_COLUMN = Column("page", label=gettext_lazy("Event"), accessor="page.title")


STANDARD_ANSWERS = ("email", "first_name", "last_name")


def answers_text(registration) -> str:
    """The answers to the event's extra questions, "question: answer; ..."."""
    return "; ".join(
        f"{key}: {', '.join(value) if isinstance(value, list) else value}"
        for key, value in (registration.form_data or {}).items()
        if key not in STANDARD_ANSWERS
    )


def person_export_url(index_url: str, email: str) -> str:
    """All of one person's registrations (that the user may see) as CSV."""
    return f"{index_url}?{urlencode({'email': email, 'export': 'csv'})}"


# -- views ---------------------------------------------------------------------------------
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


class RegistrationIndexView(RegistrationExportMixin, IndexView):
    #: Model fields exported with their labels (not their codes).
    choice_fields = ("status", "source", "sync_status", "checkin_source")

    def get_base_queryset(self):
        # One query for the page, whatever the number of rows (no per-row lookups).
        return (
            registration_policy.instances_user_has_permission_for(self.request.user, VIEW)
            .select_related("page")
            .order_by("-registered_at")
        )

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        # Every row's name opens the registration; its menu holds the actions.
        column_class = self._get_title_column_class(column_class)
        return column_class(
            field_name,
            label=_("Name"),
            accessor=field_name,
            get_url=self.get_inspect_url,
        )

    @cached_property
    def urls(self) -> RegistrationUrls:
        return RegistrationUrls(self.index_url_name.rpartition(":")[0])

    def get_edit_url(self, instance):
        if registration_policy.user_can_for_event(self.request.user, CHANGE, instance.page):
            return super().get_edit_url(instance)
        return None

    def get_delete_url(self, instance):
        if registration_policy.user_can_for_event(self.request.user, DELETE, instance.page):
            return super().get_delete_url(instance)
        return None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        # Back to this listing (not its results fragment) after confirming.
        query = self.request.GET.urlencode()
        listing = f"{self.index_url}?{query}" if query else self.index_url
        for priority, (name, action) in enumerate(actions_for(self.request.user, instance)):
            url = self.urls.action(instance, name)
            attrs = {}
            if action.confirm:
                url = self.urls.action(instance, name, next_url=listing)
            else:
                # Posts the action (with CSRF token and this page as ``next``) like
                # Wagtail's own one-click operations.
                attrs = {
                    "data-controller": "w-action",
                    "data-action": "w-action#post",
                    "data-w-action-url-value": url,
                }
            buttons.append(
                Button(
                    action.label,
                    url=url,
                    icon_name=action.icon,
                    priority=40 + priority,
                    attrs=attrs,
                )
            )
        return buttons

    def to_row_dict(self, item):
        row = {}
        for field in self.list_export:
            if field == "answers":
                row[field] = answers_text(item)
            elif field == "page":
                row[field] = item.page.title
            elif field in self.choice_fields:
                row[field] = getattr(item, f"get_{field}_display")()
            else:
                row[field] = multigetattr(item, field)
        return row


class StaffRegistrationForm(WagtailAdminModelForm):
    """Staff add someone; the registration service does the rest (rules, sync, mail)."""

    page = EventChoiceField(
        label=gettext_lazy("Event"), queryset=page_permission_policy.model.objects.none()
    )
    ignore_limits = forms.BooleanField(
        label=gettext_lazy("Add even if registration is closed or the event is full"),
        required=False,
    )

    class Meta:
        model = Registration
        fields = ["page", "first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = events_newest_first(
            registration_policy.event_pages_for_user(self.for_user, ADD)
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

    @cached_property
    def header_buttons(self):
        # Back to the registration's own page (its status, sync and actions), in view
        # rather than only in the "more" menu.
        return [
            *super().header_buttons,
            HeaderButton(
                _("View registration"),
                url=reverse(self.inspect_url_name, args=(self.object.pk,)),
                icon_name="info-circle",
            ),
        ]


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

    def delete_action(self):
        # The label names the registration by its id, which the row loses when deleted.
        self.deleted_label = str(self.object)
        super().delete_action()

    def get_success_message(self):
        return _("Registration deleted: %(label)s.") % {"label": self.deleted_label}


class RegistrationInspectView(EventScopedObjectMixin, InspectView):
    template_name = "wagtail_webinars/admin/registration_inspect.html"

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
        urls = RegistrationUrls(self.index_url_name.rpartition(":")[0])
        context["actions"] = [
            (name, action, urls.action(self.object, name))
            for name, action in actions_for(self.request.user, self.object)
        ]
        context["person_export_url"] = person_export_url(
            reverse(self.index_url_name), self.object.email
        )
        # The record groups what we know (person, Zoom, reminder and link, attendance)
        # with a timeline and the check-in buttons: see registration_record.py.
        from .registration_record import record_context

        context.update(record_context(self.object, self.request.user))
        return context
