"""The public event page: details in campus time, the registration form, and its rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration, RegistrationFormField

pytestmark = pytest.mark.django_db

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org"}


def future(**kwargs):
    return timezone.now() + timedelta(**kwargs)


def add_question(event, label, field_type="singleline", required=True, **kwargs):
    return RegistrationFormField.objects.create(
        page=event, label=label, field_type=field_type, required=required, **kwargs
    )


def errors_of(response) -> str:
    """The text of the error summary (empty when there is none)."""
    match = re.search(r'<div class="webinars-errors".*?</div>', response.content.decode(), re.S)
    return match.group(0) if match else ""


class TestShowsTheEvent:
    def test_details_in_campus_time_with_zone_name(self, client, make_event):
        event = make_event(
            kind="vimeo",
            start=datetime(2030, 1, 15, 19, 0, tzinfo=UTC),
            end=datetime(2030, 1, 15, 20, 30, tzinfo=UTC),
        )
        html = client.get(event.url).content.decode()
        assert "Tuesday 15 January 2030, 14:00 EST" in html
        assert "15:30 EST" in html
        assert '<time datetime="2030-01-15T14:00:00-05:00">' in html

    def test_summer_time_shows_daylight_zone(self, client, make_event):
        event = make_event(
            kind="vimeo",
            start=datetime(2030, 7, 16, 18, 0, tzinfo=UTC),
            end=datetime(2030, 7, 16, 19, 0, tzinfo=UTC),
        )
        html = client.get(event.url).content.decode()
        assert "Tuesday 16 July 2030, 14:00 EDT" in html

    @pytest.mark.parametrize(
        ("kind", "where"),
        [
            ("zoom_meeting", "Online on Zoom"),
            ("zoom_webinar", "Online on Zoom"),
            ("zoom_meeting_link", "Online on Zoom"),
            ("zoom_webinar_link", "Online on Zoom"),
            ("vimeo", "Online on Vimeo"),
        ],
    )
    def test_shows_provider_kind(self, client, make_event, kind, where):
        # In the visitor's words: "managed" and "link only" are admin words.
        event = make_event(kind=kind)
        response = client.get(event.url)
        assert response.status_code == 200
        html = response.content.decode()
        assert where in html
        assert "managed" not in html and "link only" not in html

    def test_join_details_are_not_on_the_public_page(self, client, make_event):
        # The link and passcode go to registrants only (in the reminder).
        event = make_event(kind="zoom_meeting_link")
        html = client.get(event.url).content.decode()
        assert "abc123" not in html
        assert "example.zoom.us" not in html

    def test_description_and_venue(self, client, make_event):
        event = make_event(
            kind="vimeo", description="<p>Bring <b>questions</b>.</p>", venue="Room 101"
        )
        html = client.get(event.url).content.decode()
        assert "<b>questions</b>" in html
        assert "Room 101" in html


class TestForm:
    def test_fixed_fields_honeypot_and_csrf(self, client, make_event):
        event = make_event(kind="vimeo")
        html = client.get(event.url).content.decode()
        form = re.search(r"<form.*?</form>", html, re.S).group(0)
        assert 'method="post"' in form
        assert 'name="csrfmiddlewaretoken"' in form
        for name in ("first_name", "last_name", "email"):
            assert f'name="{name}"' in form
            assert f'<label for="id_{name}"' in form
        assert 'type="email"' in form
        # The honeypot is there but hidden from people and skipped by the keyboard.
        honeypot = re.search(r'<div class="webinars-hp" aria-hidden="true">.*?</div>', form, re.S)
        assert honeypot and 'name="website"' in honeypot.group(0)
        assert 'tabindex="-1"' in honeypot.group(0)

    def test_editor_questions_follow_the_fixed_fields(self, client, make_event):
        event = make_event(kind="vimeo")
        add_question(event, "Dietary needs", sort_order=1)
        add_question(event, "Your department", field_type="dropdown", choices="Art,Science")
        html = client.get(event.url).content.decode()
        positions = [html.index(f'name="{n}"') for n in ("first_name", "email", "dietary_needs")]
        assert positions == sorted(positions)
        assert 'name="your_department"' in html

    def test_register_with_editor_questions(self, client, make_event):
        event = make_event(kind="vimeo")
        add_question(event, "Dietary needs")
        add_question(event, "Comments", field_type="multiline", required=False)

        response = client.post(
            event.url, {**PERSON, "dietary_needs": "Vegan", "comments": "Line 1\r\nLine 2"}
        )

        assert response.status_code == 200
        assert "Check your inbox" in response.content.decode()
        reg = Registration.objects.get()
        assert reg.email == "ada@example.org"
        assert reg.source == Registration.Source.WEB
        assert reg.form_data["dietary_needs"] == "Vegan"
        assert reg.form_data["comments"] == "Line 1\r\nLine 2"
        assert "website" not in reg.form_data

    def test_required_editor_question(self, client, make_event):
        event = make_event(kind="vimeo")
        add_question(event, "Dietary needs")
        response = client.post(event.url, PERSON)
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert not Registration.objects.exists()

    def test_confirmation_mail_after_commit(
        self, client, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(event.url, PERSON)
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["ada@example.org"]


def _long_email():
    return "a@" + "b" * 250 + ".org"


BAD_POSTS = [
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"email": ""}, "This field is required."),
    ({"email": _long_email()}, "Email addresses can be at most 254 characters."),
    ({"email": "ada@example.org\r\nBcc: x@example.org"}, "Enter a valid email address."),
    ({"first_name": ""}, "This field is required."),
    ({"last_name": "   "}, "This field is required."),
    ({"first_name": "A" * 101}, "Your first name can be at most 100 characters."),
    ({"last_name": "B" * 101}, "Your last name can be at most 100 characters."),
    ({"first_name": "Ada\nBcc: x@example.org"}, "cannot contain line breaks"),
    ({"last_name": "Love\x07lace"}, "cannot contain line breaks"),
    ({"first_name": "Ada\x00"}, "Null characters are not allowed."),
    ({"email": "ada\x00@example.org"}, "Null characters are not allowed."),
]


class TestBadInput:
    @pytest.mark.parametrize(("bad", "message"), BAD_POSTS)
    def test_clear_message_and_nothing_saved(self, client, make_event, bad, message):
        event = make_event(kind="vimeo")
        response = client.post(event.url, {**PERSON, **bad})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Please correct the problems below." in errors_of(response)
        assert message in html
        assert not Registration.objects.exists()
        assert mail.outbox == []

    def test_error_summary_is_announced_and_links_to_the_fields(self, client, make_event):
        event = make_event(kind="vimeo")
        response = client.post(event.url, {**PERSON, "email": "nope", "first_name": ""})
        summary = errors_of(response)
        assert 'role="alert"' in summary
        assert '<a href="#id_email">Email: Enter a valid email address.</a>' in summary
        assert '<a href="#id_first_name">First name: This field is required.</a>' in summary
        assert "Last name" not in summary
        html = response.content.decode()
        assert 'aria-invalid="true"' in html
        assert 'aria-describedby="id_email_error"' in html

    def test_help_text_is_tied_to_its_field(self, client, make_event):
        event = make_event(kind="vimeo")
        add_question(event, "Comments", help_text="Anything we should know?")
        html = client.get(event.url).content.decode()
        described_by = re.search(r'name="comments"[^>]*aria-describedby="([^"]+)"', html)
        assert described_by is not None
        help_refs = [ref for ref in described_by.group(1).split() if "help" in ref]
        assert help_refs
        for ref in help_refs:
            assert f'id="{ref}">Anything we should know?' in html

    def test_entered_values_are_kept(self, client, make_event):
        event = make_event(kind="vimeo")
        html = client.post(event.url, {**PERSON, "email": "nope"}).content.decode()
        assert 'value="Lovelace"' in html

    @pytest.mark.parametrize(("field_type", "limit"), [("singleline", 255), ("multiline", 4000)])
    def test_over_long_answers(self, client, make_event, field_type, limit):
        event = make_event(kind="vimeo")
        add_question(event, "Comments", field_type=field_type)
        response = client.post(event.url, {**PERSON, "comments": "x" * (limit + 1)})
        assert response.status_code == 200
        assert f"at most {limit} characters" in response.content.decode()
        assert not Registration.objects.exists()
        ok = client.post(event.url, {**PERSON, "comments": "x" * limit})
        assert "Check your inbox" in ok.content.decode()

    def test_answer_with_nul_byte(self, client, make_event):
        event = make_event(kind="vimeo")
        add_question(event, "Comments", field_type="multiline")
        response = client.post(event.url, {**PERSON, "comments": "a\x00b"})
        assert response.status_code == 200
        assert "Null characters are not allowed." in response.content.decode()
        assert not Registration.objects.exists()

    def test_empty_post(self, client, make_event):
        event = make_event(kind="vimeo")
        response = client.post(event.url, {})
        assert response.status_code == 200
        assert not Registration.objects.exists()

    def test_repeated_and_unknown_fields(self, client, make_event):
        event = make_event(kind="vimeo")
        data = {**PERSON, "email": ["ada@example.org", "other@example.org"], "page": "999"}
        response = client.post(event.url, data)
        assert response.status_code == 200
        reg = Registration.objects.get()
        assert reg.page_id == event.pk
        assert "page" not in reg.form_data


class TestHoneypot:
    def test_bot_sees_success_but_nothing_is_saved(
        self, client, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(event.url, {**PERSON, "website": "http://spam.example"})
        assert response.status_code == 200
        assert "Check your inbox" in response.content.decode()
        assert not Registration.objects.exists()
        assert mail.outbox == []


class TestCsrf:
    def test_post_without_token_is_refused(self, make_event):
        event = make_event(kind="vimeo")
        response = Client(enforce_csrf_checks=True).post(event.url, PERSON)
        assert response.status_code == 403
        assert not Registration.objects.exists()

    def test_post_with_token_from_the_page_works(self, make_event):
        event = make_event(kind="vimeo")
        browser = Client(enforce_csrf_checks=True)
        html = browser.get(event.url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        response = browser.post(event.url, {**PERSON, "csrfmiddlewaretoken": token})
        assert response.status_code == 200
        assert Registration.objects.count() == 1


class TestOutcomes:
    # The page answers the same whatever the address's state (the email says
    # what happened): see tests/test_public_form.py for the full story.
    def test_already_registered(self, client, make_event, django_capture_on_commit_callbacks):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(event.url, PERSON)
        with (
            time_machine.travel(timezone.now() + timedelta(minutes=2)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(event.url, {**PERSON, "email": " ADA@example.ORG"})
        html = response.content.decode()
        assert "Check your inbox" in html
        assert "ada@example.org" in html
        assert Registration.objects.count() == 1
        assert len(mail.outbox) == 2  # the confirmation is sent again
        assert "You were already registered" in mail.outbox[1].body

    def test_reregister_after_cancel(self, client, make_event):
        event = make_event(kind="vimeo")
        client.post(event.url, PERSON)
        reg = Registration.objects.get()
        service.cancel(reg)
        response = client.post(event.url, PERSON)
        assert "Check your inbox" in response.content.decode()
        assert Registration.objects.get().pk == reg.pk
        # Only the link in the email re-activates it.
        assert Registration.objects.get().status == Registration.Status.CANCELLED


class TestClosed:
    def test_before_registration_opens(self, client, make_event):
        event = make_event(
            kind="vimeo",
            registration_opens=datetime(2030, 1, 10, 14, 0, tzinfo=UTC),
            start=datetime(2030, 1, 15, 19, 0, tzinfo=UTC),
        )
        html = client.get(event.url).content.decode()
        assert "Registration opens Thursday 10 January 2030, 09:00 EST." in html
        assert 'name="email"' not in html
        response = client.post(event.url, PERSON)
        assert response.status_code == 200
        assert "Registration opens" in response.content.decode()
        assert not Registration.objects.exists()

    def test_after_registration_closes(self, client, make_event):
        event = make_event(kind="vimeo", registration_closes=future(minutes=-1))
        html = client.get(event.url).content.decode()
        assert "Registration for this event has closed." in html
        assert 'name="email"' not in html
        client.post(event.url, PERSON)
        assert not Registration.objects.exists()

    def test_after_the_event_started(self, client, make_event):
        event = make_event(kind="vimeo", start=future(minutes=-10), end=future(minutes=50))
        html = client.get(event.url).content.decode()
        assert "already started" in html
        client.post(event.url, PERSON)
        assert not Registration.objects.exists()

    def test_full(self, client, make_event):
        event = make_event(kind="vimeo", capacity=1)
        service.register(event, email="first@example.org", first_name="F", last_name="L")
        html = client.get(event.url).content.decode()
        assert "Sorry, this event is full." in html
        assert 'name="email"' not in html
        response = client.post(event.url, PERSON)
        assert response.status_code == 200
        assert "Sorry, this event is full." in response.content.decode()
        assert Registration.objects.count() == 1

    def test_places_left(self, client, make_event):
        event = make_event(kind="vimeo", capacity=3)
        assert "3 places left." in client.get(event.url).content.decode()
        service.register(event, email="one@example.org", first_name="O", last_name="N")
        service.register(event, email="two@example.org", first_name="T", last_name="W")
        assert "1 place left." in client.get(event.url).content.decode()

    def test_cancelled_registrations_do_not_take_places(self, client, make_event):
        event = make_event(kind="vimeo", capacity=2)
        reg = service.register(
            event, email="one@example.org", first_name="O", last_name="N"
        ).registration
        service.cancel(reg)
        assert "2 places left." in client.get(event.url).content.decode()

    def test_no_limit_shows_no_count(self, client, make_event):
        event = make_event(kind="vimeo")
        assert "places left" not in client.get(event.url).content.decode()


def test_a_page_that_is_not_an_event_takes_no_registrations(client, site):
    home = site.root_page
    response = client.post(home.url, PERSON)
    assert response.status_code in (200, 405)
    assert not Registration.objects.exists()
    assert not isinstance(home.specific, EventPage)


def test_listing_and_page_queries_do_not_grow_with_registrations(
    client, make_event, django_assert_max_num_queries
):
    event = make_event(kind="vimeo", capacity=500)
    for n in range(30):
        service.register(event, email=f"p{n}@example.org", first_name="P", last_name=str(n))
    with django_assert_max_num_queries(20):
        assert client.get(event.url).status_code == 200
