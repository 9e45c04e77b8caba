"""Who may see and act on registrations: the one rule, in one permission policy.

A user acts on an event's registrations when they hold the Registration
permission for that action ("view", "add", "change" or "delete") **and** may edit
that event's page (Wagtail's own rule for who sees a form page's submissions).
Superusers always may; inactive users never.

Every path that shows or changes registrations asks :data:`registration_policy`:
the registrations viewset (list, filters, inspect, edit, actions, exports), the
page's submissions list, its exports and delete, the resend and Zoom pages, the
headcount report and the GraphQL API. Permission names are spelled only here.
"""

from __future__ import annotations

from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import page_permission_policy, register_permission_policy

from .models.registration import Registration
from .models.webhooks import WebhookDelivery

VIEW = "view"
ADD = "add"
CHANGE = "change"
DELETE = "delete"
ACTIONS = (VIEW, ADD, CHANGE, DELETE)

# Wagtail shows a form page's submissions to those who may change (edit) the page.
PAGE_ACTION = "change"


def _event_page_models():
    from .models.lookups import event_page_models

    return event_page_models()


class RegistrationPermissionPolicy(ModelPermissionPolicy):
    """Model permissions for Registration, narrowed to the events a user may edit."""

    def __init__(self):
        super().__init__(Registration)

    def _check_action(self, action: str) -> None:
        if action not in ACTIONS:
            raise ValueError(f"Unknown registration action {action!r}")

    def user_has_permission(self, user, action: str) -> bool:
        """Whether ``user`` holds the Registration permission for ``action`` at all
        (for some events). Use :meth:`user_can_for_event` for one event."""
        self._check_action(action)
        return bool(user.is_active) and super().user_has_permission(user, action)

    def event_pages_for_user(self, user, action: str):
        """The event pages (a page queryset, not specific) whose registrations ``user``
        may ``action``."""
        Page = page_permission_policy.model
        if not self.user_has_permission(user, action):
            return Page._default_manager.none()
        pages = page_permission_policy.instances_user_has_permission_for(user, PAGE_ACTION)
        return pages.type(*_event_page_models())

    def events_for_user(self, user, action: str):
        """The ids of the events whose registrations ``user`` may ``action`` (a queryset
        usable in ``page_id__in=``)."""
        return self.event_pages_for_user(user, action).values_list("pk", flat=True)

    def instances_user_has_permission_for(self, user, action: str):
        """The registrations ``user`` may ``action``."""
        manager = Registration._default_manager
        if not self.user_has_permission(user, action):
            return manager.none()
        if user.is_superuser:
            return manager.all()
        return manager.filter(page_id__in=self.events_for_user(user, action))

    def instances_user_has_any_permission_for(self, user, actions):
        registrations = Registration._default_manager.none()
        for action in actions:
            registrations |= self.instances_user_has_permission_for(user, action)
        return registrations

    def user_can_for_event(self, user, action: str, event) -> bool:
        """Whether ``user`` may ``action`` the registrations of ``event`` (a page)."""
        if not self.user_has_permission(user, action):
            return False
        if user.is_superuser:
            return True
        return page_permission_policy.user_has_permission_for_instance(user, PAGE_ACTION, event)

    def user_has_permission_for_instance(self, user, action: str, instance) -> bool:
        return self.user_can_for_event(user, action, instance.page)


registration_policy = RegistrationPermissionPolicy()


class DeliveryRecordsPolicy(ModelPermissionPolicy):
    """Webhook delivery records (no personal data) are viewed with the model's "view"
    permission; nobody adds, changes or deletes them by hand."""

    def user_has_permission(self, user, action):
        return action == VIEW and super().user_has_permission(user, VIEW)

    def user_has_any_permission(self, user, actions):
        return VIEW in actions and super().user_has_permission(user, VIEW)


def register() -> None:
    """Put the policy in Wagtail's registry (from ``AppConfig.ready``, before any
    viewset would create a fallback policy for Registration)."""
    register_permission_policy(Registration, registration_policy, exact_class=True)
    # Webhook delivery records: viewed only (admin/webhook_deliveries.py).
    register_permission_policy(WebhookDelivery, DeliveryRecordsPolicy(WebhookDelivery))
