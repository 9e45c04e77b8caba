"""Link-only providers: capability flags, typed "unsupported" errors, and never any API call."""

from __future__ import annotations

import pytest
import responses

from wagtail_webinars import metadata, sync
from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration
from wagtail_webinars.providers import get_provider_class
from wagtail_webinars.providers.base import CHECKIN_EMAIL_CLICK
from wagtail_webinars.providers.errors import UnsupportedOperation

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
    assert not provider_class.requires_api_keys
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
    assert metadata.refresh_event(event).warnings == []
    assert not sync.queue_backfill_if_needed(event)
    assert len(no_network.calls) == 0
    assert event.provider.join_info(registration).url == event.location_block.value["join_url"]
