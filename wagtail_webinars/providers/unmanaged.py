"""Link-only providers: we link to the meeting and never call any API.

Check-in for these is implied by a counted click on the reminder's join link.
Each brings its block, and says which links are its join links.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..blocks import LinkBlock
from .base import BLANK, REQUIRED, Provider
from .zoom.blocks import (
    ZOOM_JOIN_LINK_ERROR,
    ZOOM_JOIN_LINK_HOSTS,
    ZOOM_JOIN_LINK_PATH,
    ZoomMeetingLinkBlock,
    ZoomWebinarLinkBlock,
)


class ZoomMeetingLinkProvider(Provider):
    kind = "zoom_meeting_link"
    label = _("Zoom meeting (link only)")
    public_label = _("Zoom")
    block_class = ZoomMeetingLinkBlock
    field_rules = {"meeting_id": REQUIRED, "join_url": REQUIRED, "password": REQUIRED}
    join_link_hosts = ZOOM_JOIN_LINK_HOSTS
    join_link_path = ZOOM_JOIN_LINK_PATH
    join_link_error = ZOOM_JOIN_LINK_ERROR


class ZoomWebinarLinkProvider(ZoomMeetingLinkProvider):
    kind = "zoom_webinar_link"
    label = _("Zoom webinar (link only)")
    block_class = ZoomWebinarLinkBlock


class VimeoBlock(LinkBlock):
    link_label = _("Vimeo event link")
    required_messages = {"join_url": _("Vimeo needs the event link")}

    class Meta:
        label = _("Vimeo (link only)")
        icon = "media"


class VimeoProvider(Provider):
    kind = "vimeo"
    label = _("Vimeo")
    block_class = VimeoBlock
    field_rules = {"meeting_id": BLANK, "join_url": REQUIRED, "password": BLANK}
    join_link_hosts = ("vimeo.com",)
    #: A live event, a video (``/123``, ``/123/hash``, the player's ``/video/123``)
    #: or a showcase; not a profile or the home page.
    join_link_path = r"^/(event/\d+|showcase/\d+|video/\d+|\d+)(/|$)"
    join_link_error = _(
        "This is not a Vimeo event, video or showcase link "
        "(it looks like https://vimeo.com/event/…)."
    )


class TeamsBlock(LinkBlock):
    link_label = _("Teams meeting link")
    required_messages = {"join_url": _("Microsoft Teams needs the meeting link")}

    class Meta:
        label = _("Microsoft Teams (link only)")
        icon = "link"


class TeamsProvider(Provider):
    kind = "microsoft_teams"
    label = _("Microsoft Teams")
    block_class = TeamsBlock
    field_rules = {"meeting_id": BLANK, "join_url": REQUIRED, "password": BLANK}
    join_link_hosts = ("teams.microsoft.com", "teams.live.com")
    #: A meeting's join link (``/l/meetup-join/…``) or a short meeting link (``/meet/…``).
    join_link_path = r"^/(l/meetup-join|meet)/[^/]+"
    join_link_error = _(
        "This is not a Microsoft Teams meeting link "
        "(it looks like https://teams.microsoft.com/l/meetup-join/…)."
    )
