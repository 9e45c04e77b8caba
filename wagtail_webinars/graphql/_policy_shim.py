"""TEMPORARY stand-in for wagtail_webinars.permissions (engineer B), removed when it lands."""

from __future__ import annotations

from wagtail.permissions import page_permission_policy


class _Policy:
    def user_has_permission(self, user, action):
        return bool(user.is_active) and user.has_perm(f"wagtail_webinars.{action}_registration")

    def events_for_user(self, user, action):
        from ..models import event_page_models

        if not self.user_has_permission(user, action):
            return []
        pages = page_permission_policy.instances_user_has_permission_for(user, "change")
        return pages.type(*event_page_models()).values_list("pk", flat=True)


registration_policy = _Policy()
