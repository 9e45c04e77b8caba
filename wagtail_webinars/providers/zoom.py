"""Managed Zoom meetings and webinars (Server-to-Server OAuth).

The API operations live here; the HTTP plumbing (token, session, retries,
paging) is in :mod:`wagtail_webinars.providers.zoom_client`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from .base import AUTO, CHECKIN_PROVIDER_REPORT, REQUIRED, JoinInfo, Provider

if TYPE_CHECKING:
    from wagtail_webinars.models import Registration


class ZoomProvider(Provider):
    requires_api_keys = True
    can_push_registrants = True
    can_pull_participants = True
    checkin_method = CHECKIN_PROVIDER_REPORT
    field_rules = {"meeting_id": REQUIRED, "join_url": AUTO, "password": AUTO}
    #: "meetings" or "webinars": the path segment of Zoom's API.
    resource = "meetings"

    def join_info(self, registration: Registration | None = None) -> JoinInfo:
        # A personal join URL (stored by the registrant push) lets Zoom match the
        # participant to the registrant; prefer it over the shared meeting link.
        info = super().join_info(registration)
        personal = getattr(registration, "provider_join_url", "") if registration else ""
        return JoinInfo(url=personal or info.url, password=info.password)


class ZoomMeetingProvider(ZoomProvider):
    kind = "zoom_meeting"
    label = _("Zoom meeting (managed)")
    resource = "meetings"


class ZoomWebinarProvider(ZoomProvider):
    kind = "zoom_webinar"
    label = _("Zoom webinar (managed)")
    resource = "webinars"
