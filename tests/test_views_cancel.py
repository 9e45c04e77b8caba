"""The cancel link from the confirmation email: GET asks, only POST cancels."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from wagtail_webinars import links
from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration

pytestmark = pytest.mark.django_db


def cancel_url(token: str) -> str:
    return reverse("wagtail_webinars:cancel", kwargs={"token": token})


@pytest.fixture
def registration(make_event):
    event = make_event(kind="vimeo", title="Data Science 101")
    return service.register(
        event, email="ada@example.org", first_name="Ada", last_name="Lovelace"
    ).registration


@pytest.fixture
def url(registration):
    return cancel_url(links.make_token(registration, links.CANCEL))


def test_token_carries_the_random_uid_not_the_row_id(registration):
    token = links.make_token(registration, links.CANCEL)
    assert signing.loads(token, salt=links.CANCEL) == f"{registration.uid.hex}.0"
    assert "ada" not in token.lower()
    assert links.read_token(token, links.CANCEL) == registration
    assert links.read_token(token, links.JOIN) is None


def test_get_asks_and_changes_nothing(client, registration, url):
    for _ in range(3):  # mail scanners may open the link several times
        response = client.get(url)
        assert response.status_code == 200
    html = response.content.decode()
    assert "Data Science 101" in html
    assert "Ada, do you want to cancel your registration?" in html
    form = re.search(r"<form.*?</form>", html, re.S).group(0)
    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REGISTERED


@pytest.mark.parametrize("method", ["get", "post"])
def test_personal_page_is_not_cached_or_leaked(client, registration, url, method):
    response = getattr(client, method)(url)
    assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
    # The token in the URL cancels the registration: keep it out of other sites'
    # Referer headers, but let the page's own form send its Origin (CSRF needs it).
    assert response["Referrer-Policy"] == "same-origin"


def test_post_cancels(client, registration, url):
    response = client.post(url)
    assert response.status_code == 200
    assert "Your registration is cancelled." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert registration.cancelled_at is not None


def test_post_twice_is_harmless(client, registration, url):
    client.post(url)
    registration.refresh_from_db()
    cancelled_at = registration.cancelled_at
    response = client.post(url)
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.cancelled_at == cancelled_at


def test_get_after_cancelling_offers_to_register_again(client, registration, url):
    client.post(url)
    html = client.get(url).content.decode()
    assert "This registration is already cancelled." in html
    assert f'href="{registration.page.url}"' in html
    assert "<form" not in html


def test_managed_cancel_is_passed_to_the_provider(client, make_event):
    event = make_event(kind="zoom_meeting")
    reg = service.register(event, email="z@example.org", first_name="Z", last_name="Z").registration
    Registration.objects.filter(pk=reg.pk).update(sync_status=Registration.SyncStatus.SYNCED)
    client.post(cancel_url(links.make_token(reg, links.CANCEL)))
    reg.refresh_from_db()
    assert reg.status == Registration.Status.CANCELLED
    assert reg.sync_status == Registration.SyncStatus.PENDING


def test_csrf_is_enforced(registration, url):
    response = Client(enforce_csrf_checks=True).post(url)
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.is_active


def test_post_with_the_pages_csrf_token(registration, url):
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert browser.post(url, {"csrfmiddlewaretoken": token}).status_code == 200
    registration.refresh_from_db()
    assert not registration.is_active


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, registration, url, method):
    assert getattr(client, method)(url).status_code == 405
    registration.refresh_from_db()
    assert registration.is_active


def _tampered_tokens(registration):
    good = links.make_token(registration, links.CANCEL)
    value, signature = good.rsplit(":", 1)
    other = signing.dumps("0" * 32, salt=links.CANCEL)
    return {
        "garbage": "not-a-token",
        "truncated": good[:-3],
        "bad-signature": f"{value}:{'A' * len(signature)}",
        "swapped-payload": f"{other.rsplit(':', 1)[0]}:{signature}",
        "join-token": links.make_token(registration, links.JOIN),
        "other-secret": signing.dumps(
            registration.uid.hex, key="another-secret", salt=links.CANCEL
        ),
        "unknown-registration": other,
        "not-a-uuid": signing.dumps("z" * 32, salt=links.CANCEL),
        "not-a-string": signing.dumps({"uid": registration.uid.hex}, salt=links.CANCEL),
        "percent": "%00",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "garbage",
        "truncated",
        "bad-signature",
        "swapped-payload",
        "join-token",
        "other-secret",
        "unknown-registration",
        "not-a-uuid",
        "not-a-string",
        "percent",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_token_gives_a_friendly_404(client, registration, kind, method):
    token = _tampered_tokens(registration)[kind]
    response = getattr(client, method)(cancel_url(token))
    assert response.status_code == 404
    assert "We could not find that link" in response.content.decode()
    registration.refresh_from_db()
    assert registration.is_active


def test_deleted_registration(client, registration, url):
    registration.delete()
    assert client.get(url).status_code == 404


def test_reregister_after_cancel_reactivates_the_same_row(
    client, registration, url, django_capture_on_commit_callbacks
):
    client.post(url)
    event = registration.page.specific
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            event.url, {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"}
        )
    assert "Check your inbox" in response.content.decode()
    # The form only offers it back: the signed link in the email re-activates it.
    reregister = re.search(r"https?://\S+(/events/reregister/\S+/)", mail.outbox[-1].body)
    client.post(reregister.group(1))
    assert Registration.objects.get().pk == registration.pk
    assert Registration.objects.get().is_active
    # The same link keeps working for the re-activated registration.
    assert "do you want to cancel" in client.get(url).content.decode()


# -- the link expires with the event (issue 9 #10) --------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_after_the_end_the_cancel_link_says_the_event_is_over(client, registration, url, method):
    import time_machine

    event = registration.page.specific
    with time_machine.travel(event.end, tick=False):
        response = getattr(client, method)(url)
    assert response.status_code == 410
    html = response.content.decode()
    assert "This event is over" in html
    assert "Data Science 101" in html
    assert "cancel your registration?" not in html
    assert response["Referrer-Policy"] == "same-origin"
    registration.refresh_from_db()
    assert registration.is_active  # nothing was cancelled


def test_withdrawn_cancel_link_says_so(client, registration, url):
    links.withdraw_event_links(registration.page)
    response = client.post(url)
    assert response.status_code == 410
    assert "This link no longer works" in response.content.decode()
    registration.refresh_from_db()
    assert registration.is_active
