"""Staff actions on one registration: cancel, re-register, retry sync, resend the reminder.

Each is an entry in :data:`REGISTRATION_ACTIONS` that calls the same service function a
visitor's action would. They run as Wagtail operation views (POST only, back to a safe
``next`` URL or the registration's page), appear in the Registrations list's row menu
and on the registration's page, and need the registration policy's permission on the
registration's event. Cancelling asks for confirmation on a page of its own first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import (
    BaseObjectMixin,
    BaseOperationView,
    WagtailAdminTemplateMixin,
)

from .. import registration as service
from .. import reminders, sync
from ..models import Registration
from ..permissions import CHANGE, registration_policy


# -- staff actions on one registration -------------------------------------------------------
@dataclass(frozen=True)
class RegistrationAction:
    label: str
    #: Does the work and returns the message for staff. Runs on a POST only.
    run: Callable[[Registration], str]
    #: Whether to offer the button for this registration.
    available: Callable[[Registration], bool]
    icon: str
    permission: str = CHANGE
    #: Ask "are you sure?" on a page of its own before doing it.
    confirm: bool = False


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
    reminders.request_resend(registration)
    return _("The reminder is on its way to %(email)s again.") % {"email": registration.email}


def _retry_sync(registration: Registration) -> str:
    if sync.retry_registration(registration):
        return _("Sync with Zoom is queued again.")
    return _("This registration's sync has not failed, so there is nothing to retry.")


REGISTRATION_ACTIONS: dict[str, RegistrationAction] = {
    "retry_sync": RegistrationAction(
        gettext_lazy("Retry sync"),
        _retry_sync,
        lambda r: r.sync_status == Registration.SyncStatus.FAILED,
        icon="rotate",
    ),
    "resend_reminder": RegistrationAction(
        gettext_lazy("Resend reminder"), _resend_reminder, lambda r: r.is_active, icon="mail"
    ),
    "reregister": RegistrationAction(
        gettext_lazy("Re-register"), _reregister, lambda r: not r.is_active, icon="undo"
    ),
    "cancel": RegistrationAction(
        gettext_lazy("Cancel registration"),
        _cancel,
        lambda r: r.is_active,
        icon="cross",
        confirm=True,
    ),
}


class RegistrationUrls:
    """URL names of the registrations viewset, for views that link to each other."""

    def __init__(self, namespace: str):
        self.namespace = namespace

    def __call__(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def action(self, registration, name: str, next_url: str = "") -> str:
        action = REGISTRATION_ACTIONS[name]
        view = "cancel_confirm" if action.confirm else "action"
        url = self(view, registration.pk) if action.confirm else self(view, registration.pk, name)
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def actions_for(user, registration) -> list[tuple[str, RegistrationAction]]:
    """The staff actions ``user`` may take on ``registration`` now."""
    return [
        (name, action)
        for name, action in REGISTRATION_ACTIONS.items()
        if action.available(registration)
        and registration_policy.user_can_for_event(user, action.permission, registration.page)
    ]


class RegistrationOperationMixin:
    """The registration named in the URL, if the policy lets the user take the action."""

    model = Registration
    success_url_name = ""  # set by the viewset: back to the registration

    def get_base_object_queryset(self):
        return Registration.objects.select_related("page")

    def setup(self, request, *args, **kwargs):
        self.action_name = kwargs.get("action", "cancel")
        self.action = REGISTRATION_ACTIONS.get(self.action_name)
        if self.action is None:
            raise Http404
        super().setup(request, *args, **kwargs)

    def get_object(self):
        registration = super().get_object()
        if not registration_policy.user_can_for_event(
            self.request.user, self.action.permission, registration.page
        ):
            raise PermissionDenied
        return registration


class RegistrationActionView(RegistrationOperationMixin, BaseOperationView):
    """POST only: one staff action on one registration, then back to ``next`` (a safe
    URL on this site) or the registration's page."""

    def perform_operation(self):
        self.message = None
        if not self.action.available(self.object):
            messages.warning(
                self.request, _("That action does not apply to this registration now.")
            )
            return
        try:
            self.message = self.action.run(self.object)
        except service.RegistrationRefused as refused:
            messages.error(self.request, refused.message)

    def get_success_message(self):
        return self.message


class CancelConfirmView(
    RegistrationOperationMixin, BaseObjectMixin, WagtailAdminTemplateMixin, TemplateView
):
    """GET: "Cancel this registration?" (the form posts to the cancel action)."""

    template_name = "wagtail_webinars/admin/registration_cancel_confirm.html"
    page_title = gettext_lazy("Cancel registration")
    header_icon = "cross"
    action_url_name = ""

    def get_page_subtitle(self):
        return str(self.object.pk)

    def get_context_data(self, **kwargs):
        next_url = get_valid_next_url_from_request(self.request) or reverse(
            self.success_url_name, args=(self.object.pk,)
        )
        return super().get_context_data(
            registration=self.object,
            action_url=reverse(self.action_url_name, args=(self.object.pk, "cancel")),
            next_url=next_url,
            **kwargs,
        )
