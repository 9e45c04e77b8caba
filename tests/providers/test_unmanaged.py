"""Link-only providers: capability flags, typed "unsupported" errors, and never any API call."""

from __future__ import annotations

import pytest
import responses
from django.core.exceptions import ValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from wagtail_webinars import event_details, sync
from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration
from wagtail_webinars.providers import get_provider_class
from wagtail_webinars.providers.base import CHECKIN_EMAIL_CLICK
from wagtail_webinars.providers.errors import UnsupportedOperation
from wagtail_webinars.providers.unmanaged import VimeoBlock

UNMANAGED = ["zoom_meeting_link", "zoom_webinar_link", "vimeo"]
OPERATIONS = [
    ("fetch_metadata", ()),
    ("push_registrant", (Registration(email="a@example.org"),)),
    ("find_registrant", ("a@example.org",)),
    ("cancel_registrant", (Registration(email="a@example.org"),)),
    ("approve_registrant", (Registration(email="a@example.org"),)),
    ("batch_push", ([Registration(email="a@example.org")],)),
    ("pull_participants", ()),
]


@pytest.fixture
def no_network():
    """Any HTTP request at all fails the test (nothing is registered)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize("kind", UNMANAGED)
def test_capabilities(kind):
    provider_class = get_provider_class(kind)
    assert not provider_class.can_push_registrants
    assert not provider_class.can_pull_participants
    assert provider_class.checkin_method == CHECKIN_EMAIL_CLICK


@pytest.mark.parametrize("kind", UNMANAGED)
@pytest.mark.parametrize("operation,args", OPERATIONS)
def test_managed_operations_raise_a_typed_error(kind, operation, args, no_network):
    provider = get_provider_class(kind)({"join_url": "https://vimeo.com/event/1"})
    with pytest.raises(UnsupportedOperation) as caught:
        getattr(provider, operation)(*args)
    assert type(provider).__name__ in str(caught.value)
    assert caught.value.operation == operation
    assert len(no_network.calls) == 0


@pytest.mark.parametrize("kind", UNMANAGED)
def test_whole_flow_never_calls_an_api(
    kind, make_event, no_network, django_capture_on_commit_callbacks
):
    event = make_event(kind=kind)
    with django_capture_on_commit_callbacks(execute=True):
        result = service.register(
            event, email="ada@example.org", first_name="Ada", last_name="Lovelace"
        )
    registration = Registration.objects.get(pk=result.registration.pk)
    assert registration.sync_status == Registration.SyncStatus.NOT_APPLICABLE
    with django_capture_on_commit_callbacks(execute=True):
        service.cancel(registration)
    assert sync.sync_registration(registration.pk) == "not_applicable"
    assert sync.backfill_event(event.pk) == 0
    assert event_details.refresh_event(event).warnings == []
    assert not sync.queue_backfill_if_needed(event)
    assert len(no_network.calls) == 0
    assert event.provider.join_info(registration).url == event.location_block.value["join_url"]


# -- the blocks editors fill in -------------------------------------------------------


def location_block(kind):
    return EventPage._meta.get_field("location").stream_block.child_blocks[kind]


def link_errors(kind, join_url) -> list[str]:
    """The messages on the join link when an editor saves this link (other fields valid)."""
    value = {
        "zoom_meeting_link": {"meeting_id": "85512345678", "password": "abc123"},
        "zoom_webinar_link": {"meeting_id": "96612345678", "password": "abc123"},
        "vimeo": {},
    }[kind]
    b = location_block(kind)
    try:
        b.clean(b.to_python({**value, "join_url": join_url}))
    except StructBlockValidationError as err:
        return list(err.block_errors.get("join_url", ValidationError([])).messages)
    return []


ZOOM_LINK_ERROR = (
    "This is not a Zoom join link. Paste the link from the meeting's invitation "
    "(it looks like https://zoom.us/j/…)."
)
VIMEO_LINK_ERROR = (
    "This is not a Vimeo event, video or showcase link (it looks like https://vimeo.com/event/…)."
)


@pytest.mark.parametrize("kind", ["zoom_meeting_link", "zoom_webinar_link"])
@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/j/85512345678",
        "https://us02web.zoom.us/j/85512345678?pwd=abc",
        "https://example.zoom.us/w/96612345678?tk=x",
        "https://zoom.us/my/campus.helpdesk",
        "https://zoomgov.com/j/1612345678",
        "https://agency.zoomgov.com/j/1612345678?pwd=x",
        "https://ZOOM.US/j/85512345678",
    ],
)
def test_link_only_zoom_accepts_zoom_join_links(kind, url):
    assert link_errors(kind, url) == []


@pytest.mark.parametrize("kind", ["zoom_meeting_link", "zoom_webinar_link"])
@pytest.mark.parametrize(
    "url",
    [
        "https://vimeo.com/event/1234567",
        "https://zoom.us.example.com/j/85512345678",
        "https://notzoom.us/j/85512345678",
        "https://example.com/zoom.us/j/85512345678",
        # The host's start link lets anyone start the meeting as the host.
        "https://zoom.us/s/85512345678?zak=secret",
        "https://zoom.us/",
        "https://zoom.us/meeting/schedule",
    ],
)
def test_link_only_zoom_refuses_other_links(kind, url):
    assert link_errors(kind, url) == [ZOOM_LINK_ERROR]


@pytest.mark.parametrize(
    "url",
    [
        "https://vimeo.com/event/1234567",
        "https://vimeo.com/event/1234567/embed",
        "https://vimeo.com/123456789",
        "https://vimeo.com/123456789/abcdef0123",
        "https://www.vimeo.com/showcase/98765",
        "https://player.vimeo.com/video/123456789",
    ],
)
def test_vimeo_accepts_event_video_and_showcase_links(url):
    assert link_errors("vimeo", url) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/j/85512345678",
        "https://vimeo.com/campususer",
        "https://vimeo.com/",
        "https://vimeo.com.example.org/event/1",
        "https://evilvimeo.com/event/1",
    ],
)
def test_vimeo_refuses_other_links(url):
    assert link_errors("vimeo", url) == [VIMEO_LINK_ERROR]


def test_http_links_are_still_refused_first():
    assert link_errors("vimeo", "http://vimeo.com/event/1") == ["The link must start with https://"]


def test_a_site_can_allow_more_hosts(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "JOIN_LINK_HOSTS": {
            "vimeo": ["video.example.edu"],
            "zoom_meeting_link": ["go.example.edu"],
        },
    }
    # The site's own hosts (and their subdomains) take any path: they are the site's.
    assert link_errors("vimeo", "https://video.example.edu/live/1") == []
    assert link_errors("vimeo", "https://live.video.example.edu/") == []
    assert link_errors("zoom_meeting_link", "https://go.example.edu/town-hall") == []
    # Only for the provider they were allowed for.
    assert link_errors("zoom_webinar_link", "https://go.example.edu/town-hall") == [ZOOM_LINK_ERROR]
    assert link_errors("vimeo", "https://example.edu/live/1") == [VIMEO_LINK_ERROR]


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        ("zoom_meeting_link", {"meeting_id", "join_url", "password"}),
        ("zoom_webinar_link", {"meeting_id", "join_url", "password"}),
        ("vimeo", {"join_url"}),
    ],
)
def test_required_fields_show_as_required(kind, required):
    children = location_block(kind).child_blocks
    assert {name for name, child in children.items() if child.required} == required


def test_vimeo_block_is_link_only():
    assert list(VimeoBlock().child_blocks) == ["join_url"]
