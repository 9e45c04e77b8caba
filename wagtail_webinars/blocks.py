"""One StreamField block per provider kind, each enforcing the seed's field table.

Blocks own their value and its validation; network calls (filling the
auto-populated fields from Zoom) belong to the provider layer.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from .providers import get_provider_class
from .providers.base import BLANK, REQUIRED

ZOOM_ID_MIN_DIGITS = 9
ZOOM_ID_MAX_DIGITS = 13  # Zoom ids can exceed 10 digits; they still fit in 64 bits.


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


class HttpsURLBlock(blocks.URLBlock):
    def clean(self, value):
        value = super().clean(value)
        if value and urlsplit(value).scheme != "https":
            raise ValidationError(_("The link must start with https://"), code="https")
        return value


class AutoPopulatedBlock(blocks.FieldBlock):
    """Filled from the provider's API; shown read-only so editors do not type over it."""

    def __init__(self, **kwargs):
        self.field = forms.CharField(
            required=False,
            widget=forms.TextInput(attrs={"readonly": "readonly"}),
            help_text=_("Filled in from Zoom when the page is published."),
        )
        super().__init__(**kwargs)


class LocationBlock(blocks.StructBlock):
    """Base: applies the provider's field rules with messages an editor understands."""

    #: Message per child block when a required value is missing.
    required_messages: dict = {}

    @cached_property
    def provider_class(self):
        return get_provider_class(self.name)

    def clean(self, value):
        errors = {}
        try:
            value = super().clean(value)
        except StructBlockValidationError as err:
            errors.update(err.block_errors)
        rules = self.provider_class.field_rules
        for child_name, rule in rules.items():
            if child_name in errors or child_name not in self.child_blocks:
                continue
            present = bool(value.get(child_name))
            if rule == REQUIRED and not present:
                errors[child_name] = ValidationError(
                    self.required_messages.get(child_name, _("This field is required.")),
                    code="required",
                )
            elif rule == BLANK and present:
                errors[child_name] = ValidationError(
                    _("Leave this blank for this provider."), code="blank"
                )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "globe"


def _zoom_children(id_label, managed: bool):
    children = [("meeting_id", ZoomIdBlock(label=id_label))]
    if managed:
        children += [
            ("join_url", AutoPopulatedBlock(label=_("Join link"))),
            ("password", AutoPopulatedBlock(label=_("Passcode"))),
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


class VimeoBlock(LocationBlock):
    required_messages = {"join_url": _("Vimeo needs the event link")}

    def __init__(self, **kwargs):
        super().__init__(
            [("join_url", HttpsURLBlock(required=False, label=_("Vimeo event link")))], **kwargs
        )

    class Meta:
        label = _("Vimeo (link only)")
        icon = "media"


def location_blocks():
    """The block types a location StreamField offers, one per provider kind."""
    return [
        ("zoom_meeting", ZoomMeetingBlock()),
        ("zoom_webinar", ZoomWebinarBlock()),
        ("zoom_meeting_link", ZoomMeetingLinkBlock()),
        ("zoom_webinar_link", ZoomWebinarLinkBlock()),
        ("vimeo", VimeoBlock()),
    ]
