"""Location blocks: one per registered provider, each enforcing its field table."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from wagtail_webinars.blocks import (
    HttpsURLBlock,
    LocationBlock,
    location_blocks,
)
from wagtail_webinars.models import EventPage
from wagtail_webinars.providers import get_provider_class
from wagtail_webinars.providers.base import AUTO, BLANK, REQUIRED, Provider

KINDS = [
    "zoom_meeting",
    "zoom_webinar",
    "zoom_meeting_link",
    "zoom_webinar_link",
    "vimeo",
    "microsoft_teams",
]


def block(kind):
    return EventPage._meta.get_field("location").stream_block.child_blocks[kind]


def clean(kind, value):
    b = block(kind)
    return b.clean(b.to_python(value))


def errors(kind, value) -> dict[str, list[str]]:
    with pytest.raises(StructBlockValidationError) as err:
        clean(kind, value)
    return {name: list(e.messages) for name, e in err.value.block_errors.items()}


def test_one_block_per_provider_kind():
    assert [name for name, _ in location_blocks()] == KINDS
    stream = EventPage._meta.get_field("location").stream_block
    assert list(stream.child_blocks) == KINDS
    assert stream.meta.min_num == 1
    assert stream.meta.max_num == 1
    for kind in KINDS:
        assert get_provider_class(kind).kind == kind


# Each provider's table: meeting ID, join link, passcode.
FIELD_TABLE = {
    "zoom_meeting": {"meeting_id": REQUIRED, "join_url": AUTO, "password": AUTO},
    "zoom_webinar": {"meeting_id": REQUIRED, "join_url": AUTO, "password": AUTO},
    "zoom_meeting_link": {"meeting_id": REQUIRED, "join_url": REQUIRED, "password": REQUIRED},
    "zoom_webinar_link": {"meeting_id": REQUIRED, "join_url": REQUIRED, "password": REQUIRED},
    "vimeo": {"meeting_id": BLANK, "join_url": REQUIRED, "password": BLANK},
    "microsoft_teams": {"meeting_id": BLANK, "join_url": REQUIRED, "password": BLANK},
}


@pytest.mark.parametrize("kind", KINDS)
def test_providers_follow_their_field_table(kind):
    assert dict(get_provider_class(kind).field_rules) == FIELD_TABLE[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_blank_fields_are_not_offered(kind):
    children = set(block(kind).child_blocks)
    blank = {f for f, rule in FIELD_TABLE[kind].items() if rule == BLANK}
    assert not children & blank


@pytest.mark.parametrize("kind", ["zoom_meeting_link", "zoom_webinar_link", "vimeo"])
def test_unmanaged_fields_are_editable(kind):
    for child in block(kind).child_blocks.values():
        assert "readonly" not in child.field.widget.attrs


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("zoom_meeting", {"meeting_id": ""}, {"meeting_id": ["Zoom meeting ID is required"]}),
        ("zoom_webinar", {"meeting_id": ""}, {"meeting_id": ["Zoom webinar ID is required"]}),
        (
            "zoom_meeting_link",
            {"meeting_id": "", "join_url": "", "password": ""},
            {
                "meeting_id": ["Zoom meeting ID is required"],
                "join_url": ["Zoom needs the meeting's join link"],
                "password": ["Zoom meeting passcode is required"],
            },
        ),
        ("vimeo", {"join_url": ""}, {"join_url": ["Vimeo needs the event link"]}),
        (
            "vimeo",
            {"join_url": "http://vimeo.com/event/1"},
            {"join_url": ["The link must start with https://"]},
        ),
        (
            "zoom_webinar_link",
            {"meeting_id": "12", "join_url": "https://zoom.us/w/1", "password": "p"},
            {"meeting_id": ["A Zoom ID is 9 to 13 digits, e.g. 812 3456 7890."]},
        ),
    ],
)
def test_errors_are_per_field(kind, value, expected):
    assert errors(kind, value) == expected


def test_https_block():
    b = HttpsURLBlock(required=False)
    assert b.clean("https://vimeo.com/event/1") == "https://vimeo.com/event/1"
    assert b.clean("") == ""
    with pytest.raises(ValidationError):
        b.clean("http://vimeo.com/event/1")


def test_password_length_is_limited():
    value = {"meeting_id": "85512345678", "join_url": "https://zoom.us/j/1", "password": "p" * 65}
    assert "password" in errors("zoom_meeting_link", value)


class _KeyProvider(Provider):
    kind = "custom"
    field_rules = {"join_url": REQUIRED, "password": BLANK}


def test_blank_rule_is_enforced_for_other_providers(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "PROVIDERS": {"custom": f"{__name__}._KeyProvider"},
    }

    class CustomBlock(LocationBlock):
        required_messages = {"join_url": "Custom needs the link"}

        def __init__(self, **kwargs):
            super().__init__(
                [
                    ("join_url", HttpsURLBlock(required=False)),
                    ("password", blocks.CharBlock(required=False)),
                ],
                **kwargs,
            )

    b = CustomBlock()
    b.set_name("custom")
    with pytest.raises(StructBlockValidationError) as err:
        b.clean(b.to_python({"join_url": "", "password": "secret"}))
    messages = {k: list(v.messages) for k, v in err.value.block_errors.items()}
    assert messages == {
        "join_url": ["Custom needs the link"],
        "password": ["Leave this blank for this provider."],
    }
