"""Link-only providers: we link to the meeting and never call any API.

Check-in for these is implied by a counted click on the reminder's join link.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import BLANK, REQUIRED, Provider


class ZoomMeetingLinkProvider(Provider):
    kind = "zoom_meeting_link"
    label = _("Zoom meeting (link only)")
    public_label = _("Zoom")
    field_rules = {"meeting_id": REQUIRED, "join_url": REQUIRED, "password": REQUIRED}


class ZoomWebinarLinkProvider(Provider):
    kind = "zoom_webinar_link"
    label = _("Zoom webinar (link only)")
    public_label = _("Zoom")
    field_rules = {"meeting_id": REQUIRED, "join_url": REQUIRED, "password": REQUIRED}


class VimeoProvider(Provider):
    kind = "vimeo"
    label = _("Vimeo")
    field_rules = {"meeting_id": BLANK, "join_url": REQUIRED, "password": BLANK}
