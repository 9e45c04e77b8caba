"""The blocks editors fill in for Zoom: how an ID is typed, what is read-only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.test_blocks import block, clean
from wagtail_webinars.blocks import AutoPopulatedBlock
from wagtail_webinars.providers.zoom.blocks import ZoomIdBlock, normalize_zoom_id


@pytest.mark.parametrize("kind", ["zoom_meeting", "zoom_webinar"])
def test_managed_auto_fields_are_read_only(kind):
    b = block(kind)
    for name in ("join_url", "password"):
        child = b.child_blocks[name]
        assert isinstance(child, AutoPopulatedBlock)
        assert child.field.widget.attrs.get("readonly") == "readonly"
        assert not child.field.required
    assert "readonly" not in b.child_blocks["meeting_id"].field.widget.attrs


def test_managed_block_accepts_empty_auto_fields():
    value = clean("zoom_meeting", {"meeting_id": "812 3456 7890", "join_url": "", "password": ""})
    assert dict(value) == {
        "meeting_id": "81234567890",
        "occurrence_id": "",
        "join_url": "",
        "password": "",
    }


def test_managed_block_keeps_values_filled_from_zoom():
    # Re-saving a page posts the read-only values back; they must survive.
    value = clean(
        "zoom_webinar",
        {"meeting_id": "91234567890", "join_url": "https://zoom.us/w/9", "password": "pw"},
    )
    assert value["join_url"] == "https://zoom.us/w/9"
    assert value["password"] == "pw"


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("812 3456 7890", "81234567890"),
        ("812-3456-7890", "81234567890"),
        ("812\u00a03456\t7890", "81234567890"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_zoom_id(typed, digits):
    assert normalize_zoom_id(typed) == digits


def test_zoom_id_block_rejects_non_digits():
    with pytest.raises(ValidationError):
        ZoomIdBlock(required=True).clean("81234567890a")
    with pytest.raises(ValidationError):
        ZoomIdBlock(required=True).clean("")


@pytest.mark.parametrize("kind", ["zoom_meeting", "zoom_webinar"])
def test_required_and_read_only_fields_show_as_such(kind):
    children = block(kind).child_blocks
    assert children["meeting_id"].required
    for name in ("join_url", "password"):
        widget = children[name].field.widget
        html = widget.render(name, "https://zoom.us/j/1")
        # Greyed like Wagtail's inactive fields, and announced as read-only.
        assert "readonly" in html and 'aria-readonly="true"' in html
        assert "--w-color-surface-field-inactive" in html
