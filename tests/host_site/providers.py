"""A provider a host project adds from its own code (test-only): Google Meet links.

Nothing in the app knows about it: the test settings name it in
``WAGTAIL_WEBINARS["PROVIDERS"]`` and the event pages offer its block.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from wagtail_webinars.blocks import LinkBlock
from wagtail_webinars.providers.base import BLANK, REQUIRED, Provider


class GoogleMeetBlock(LinkBlock):
    link_label = _("Google Meet link")
    required_messages = {"join_url": _("Google Meet needs the meeting link")}

    class Meta:
        label = _("Google Meet (link only)")
        icon = "link"


class GoogleMeetProvider(Provider):
    kind = "google_meet"
    label = _("Google Meet")
    block_class = GoogleMeetBlock
    field_rules = {"meeting_id": BLANK, "join_url": REQUIRED, "password": BLANK}
    join_link_hosts = ("meet.google.com",)
    join_link_path = r"^/[a-z]{3}-[a-z]{4}-[a-z]{3}$"
    join_link_error = _(
        "This is not a Google Meet link (it looks like https://meet.google.com/abc-defg-hij)."
    )
