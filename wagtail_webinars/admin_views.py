"""Admin views for registrations. Wired up in ``wagtail_hooks.py``.

Staff actions on one registration (cancel, re-register, retry sync, resend the
reminder) are entries in :data:`REGISTRATION_ACTIONS`: each calls the same
service function a visitor's action would, and answers with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.generic import CreateView, IndexView, InspectView

from . import registration as service
from .models import EventPage, Registration


@dataclass(frozen=True)
class RegistrationAction:
    label: str
    #: Does the work and returns the message for staff. Runs on a POST only.
    run: Callable[[Registration], str]
    #: Whether to offer the button for this registration.
    available: Callable[[Registration], bool]
    permission: str = "change"


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


REGISTRATION_ACTIONS: dict[str, RegistrationAction] = {
    "cancel": RegistrationAction(
        gettext_lazy("Cancel registration"), _cancel, lambda r: r.is_active
    ),
    "reregister": RegistrationAction(
        gettext_lazy("Re-register"), _reregister, lambda r: not r.is_active
    ),
}


class RegistrationFilterSet(WagtailFilterSet):
    page = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Event"),
        queryset=lambda request: EventPage.objects.order_by("-start").only("id", "title"),
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
        return super().get_base_queryset().select_related("page").order_by("-registered_at")


class StaffRegistrationForm(WagtailAdminModelForm):
    """Staff add someone; the registration service does the rest (rules, sync, mail)."""

    page = forms.ModelChoiceField(
        label=gettext_lazy("Event"), queryset=EventPage.objects.order_by("-start")
    )
    ignore_limits = forms.BooleanField(
        label=gettext_lazy("Add even if registration is closed or the event is full"),
        required=False,
    )

    class Meta:
        model = Registration
        fields = ["page", "first_name", "last_name", "email"]

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
                self.add_error(field, errors)
        else:
            cleaned.update(email=email, first_name=first, last_name=last)
        return cleaned

    def validate_unique(self):
        # A duplicate is not an error here: the service reports "already registered".
        return None


class RegistrationCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        result = service.register(
            data["page"],
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
            return self.form_invalid(form)

    def get_success_message(self, instance):
        if getattr(self, "result", None) and self.result.already_registered:
            return _("%(email)s was already registered; their confirmation was sent again.") % {
                "email": instance.email
            }
        return _("Registered %(name)s.") % {"name": instance.full_name}


class RegistrationInspectView(InspectView):
    template_name = "wagtail_webinars/admin/registration_inspect.html"
    action_url_name = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registration = self.object
        can_change = self.permission_policy.user_has_permission(self.request.user, "change")
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
        if not self.permission_policy.user_has_permission(request.user, entry.permission):
            raise PermissionDenied
        registration = get_object_or_404(Registration.objects.select_related("page"), pk=pk)
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
