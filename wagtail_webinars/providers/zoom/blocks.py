"""The blocks editors fill in for Zoom, managed or link only.

Zoom's own rules live here: how an ID is typed and which links are Zoom join links.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from ...blocks import AutoPopulatedBlock, HttpsURLBlock, LocationBlock, ProviderChoiceBlock

ZOOM_ID_MIN_DIGITS = 9
ZOOM_ID_MAX_DIGITS = 13  # Zoom ids can exceed 10 digits; they still fit in 64 bits.

#: Where Zoom join links live (each with its subdomains: ``us02web.zoom.us``, vanity hosts).
ZOOM_JOIN_LINK_HOSTS = ("zoom.us", "zoomgov.com")
#: A join link's path: a meeting (``/j/``), a webinar (``/w/``), a personal room
#: (``/my/``) or the web client. Never the host's start link (``/s/``): it lets
#: whoever holds it start the meeting as the host.
ZOOM_JOIN_LINK_PATH = r"^/(j|w|my|wc/join)/[^/]+"
ZOOM_JOIN_LINK_ERROR = _(
    "This is not a Zoom join link. Paste the link from the meeting's invitation "
    "(it looks like https://zoom.us/j/…)."
)


def normalize_zoom_id(value: str) -> str:
    """Digits only, as Zoom's API wants them; editors paste "812 3456 7890" or "812-3456-7890"."""
    return re.sub(r"[\s\-]", "", value or "")


class ZoomIdBlock(blocks.FieldBlock):
    def __init__(self, required: bool = False, **kwargs):
        self.field = forms.CharField(
            required=required,
            max_length=40,
            help_text=_("As shown in Zoom, e.g. 812 3456 7890."),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        digits = normalize_zoom_id(super().clean(value))
        if digits and not (
            digits.isdigit() and ZOOM_ID_MIN_DIGITS <= len(digits) <= ZOOM_ID_MAX_DIGITS
        ):
            raise ValidationError(
                _("A Zoom ID is 9 to 13 digits, e.g. 812 3456 7890."), code="invalid"
            )
        return digits

    class Meta:
        icon = "code"


class OccurrenceBlock(ProviderChoiceBlock):
    """One date of a recurring meeting: Zoom's ``occurrence_id`` (digits)."""

    def __init__(self, **kwargs):
        super().__init__(
            "occurrence_id",
            sends=("meeting_id",),
            button_label=_("Load the occurrences from Zoom"),
            help_text=_(
                "Only for a recurring meeting: the date this event is. The start time is "
                "then taken from Zoom. Leave empty for a one-off meeting."
            ),
            **kwargs,
        )

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if value and not value.isdigit():
            raise ValidationError(
                _("Pick the occurrence from the list (Zoom's occurrence IDs are digits)."),
                code="invalid",
            )
        return value

    class Meta:
        icon = "date"


def _zoom_children(id_label, managed: bool):
    children = [("meeting_id", ZoomIdBlock(label=id_label))]
    if managed:
        filled = _("Filled in from Zoom when the page is published.")
        children += [
            ("occurrence_id", OccurrenceBlock(label=_("Occurrence"))),
            ("join_url", AutoPopulatedBlock(label=_("Join link"), help_text=filled)),
            ("password", AutoPopulatedBlock(label=_("Passcode"), help_text=filled)),
        ]
    else:
        children += [
            ("join_url", HttpsURLBlock(required=False, label=_("Join link"))),
            ("password", blocks.CharBlock(required=False, max_length=64, label=_("Passcode"))),
        ]
    return children


class ZoomMeetingBlock(LocationBlock):
    required_messages = {"meeting_id": _("Zoom meeting ID is required")}

    def __init__(self, **kwargs):
        super().__init__(_zoom_children(_("Zoom meeting ID"), managed=True), **kwargs)

    class Meta:
        label = _("Zoom meeting (managed)")
        icon = "globe"


class ZoomWebinarBlock(LocationBlock):
    required_messages = {"meeting_id": _("Zoom webinar ID is required")}

    def __init__(self, **kwargs):
        super().__init__(_zoom_children(_("Zoom webinar ID"), managed=True), **kwargs)

    class Meta:
        label = _("Zoom webinar (managed)")
        icon = "globe"


class ZoomMeetingLinkBlock(LocationBlock):
    required_messages = {
        "meeting_id": _("Zoom meeting ID is required"),
        "join_url": _("Zoom needs the meeting's join link"),
        "password": _("Zoom meeting passcode is required"),
    }

    def __init__(self, **kwargs):
        super().__init__(_zoom_children(_("Zoom meeting ID"), managed=False), **kwargs)

    class Meta:
        label = _("Zoom meeting (link only, no API keys)")
        icon = "link"


class ZoomWebinarLinkBlock(LocationBlock):
    required_messages = {
        "meeting_id": _("Zoom webinar ID is required"),
        "join_url": _("Zoom needs the webinar's join link"),
        "password": _("Zoom webinar passcode is required"),
    }

    def __init__(self, **kwargs):
        super().__init__(_zoom_children(_("Zoom webinar ID"), managed=False), **kwargs)

    class Meta:
        label = _("Zoom webinar (link only, no API keys)")
        icon = "link"
