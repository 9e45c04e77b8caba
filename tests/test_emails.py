"""The confirmation email: HTML and text, branding, .ics, cancel link, safe headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils.html import escape
from icalendar import Calendar

from wagtail_webinars import emails, links
from wagtail_webinars import registration as service
from wagtail_webinars.models import EmailBrandingSettings, Registration

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
END = datetime(2030, 1, 15, 20, 30, tzinfo=UTC)


@pytest.fixture
def event(make_event):
    return make_event(
        kind="vimeo",
        title="Data & Society",
        start=START,
        end=END,
        description='<p>Bring questions.</p><p>See <a href="https://example.edu/x">notes</a>.</p>',
        reply_to="organiser@example.edu",
        venue="Room 101",
    )


def register(event, email="ada@example.org", first_name="Ada", last_name="Lovelace"):
    return service.register(
        event, email=email, first_name=first_name, last_name=last_name
    ).registration


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def ics_of(message) -> Calendar:
    [(filename, content, mimetype)] = message.attachments
    assert filename == "event.ics"
    assert mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


def vevent_of(message):
    [vevent] = ics_of(message).walk("VEVENT")
    return vevent


class TestConfirmation:
    def test_headers(self, event, settings):
        settings.DEFAULT_FROM_EMAIL = "events@example.edu"
        message = emails.confirmation_message(register(event))
        assert message.to == ["ada@example.org"]
        assert message.from_email == "events@example.edu"
        assert message.reply_to == ["organiser@example.edu"]
        assert message.subject == (
            "You're registered: Data & Society, Tuesday 15 January 2030, 14:00 EST"
        )

    def test_from_address_setting_wins(self, event, settings):
        settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "FROM_EMAIL": "w@example.edu"}
        assert emails.confirmation_message(register(event)).from_email == "w@example.edu"

    def test_no_reply_to_without_an_address(self, make_event):
        event = make_event(kind="vimeo", reply_to="")
        message = emails.confirmation_message(register(event))
        assert message.reply_to == []
        assert "Reply-To" not in message.message()

    def test_text_part(self, event):
        reg = register(event)
        text = emails.confirmation_message(reg).body
        assert "Hello Ada," in text
        assert "You are registered for Data & Society." in text
        assert "When: Tuesday 15 January 2030, 14:00 EST" in text
        assert "In person: Room 101" in text
        assert "Bring questions." in text
        assert "notes (https://example.edu/x)" in text
        assert "<p>" not in text and "&amp;" not in text
        assert f"http://testserver{event.url}" in text

    def test_html_part(self, event):
        reg = register(event)
        html = html_of(emails.confirmation_message(reg))
        assert "Hello Ada," in html
        assert "<strong>Data &amp; Society</strong>" in html
        assert "Tuesday 15 January 2030, 14:00 EST" in html
        assert "<p>Bring questions.</p>" in html
        assert f'href="http://testserver{event.url}"' in html

    def test_names_are_escaped_in_html(self, event):
        reg = register(event, first_name="<script>x</script>")
        html = html_of(emails.confirmation_message(reg))
        assert "<script>" not in html
        assert escape("<script>x</script>") in html

    def test_cancel_link_carries_a_signed_token_and_works(self, client, event):
        reg = register(event)
        message = emails.confirmation_message(reg)
        found = re.findall(r"http://testserver(/events/cancel/[^/\s\"]+/)", message.body)
        assert len(found) == 1
        assert f'href="http://testserver{found[0]}"' in html_of(message)
        token = found[0].split("/")[-2]
        assert links.read_token(token, links.CANCEL) == reg
        assert str(reg.uid) not in found[0] and reg.uid.hex not in found[0]
        assert "do you want to cancel" in client.get(found[0]).content.decode()

    def test_branding(self, event, site):
        branding = EmailBrandingSettings.for_site(site)
        branding.organisation_name = "Example University"
        branding.header_colour = "#aa0000"
        branding.footer = "Alumni Office\nMain Street 1"
        branding.save()
        html = html_of(emails.confirmation_message(register(event)))
        assert "Example University" in html
        assert "background:#aa0000" in html
        assert "Alumni Office<br>Main Street 1" in html

    def test_send_marks_the_time_and_skips_cancelled(self, event):
        reg = register(event)
        emails.send_confirmation(reg)
        assert len(mail.outbox) == 1
        reg.refresh_from_db()
        assert reg.confirmation_sent_at is not None
        cancelled = service.cancel(reg)
        emails.send_confirmation(cancelled)
        assert len(mail.outbox) == 1

    def test_links_are_absolute_with_several_sites(self, event, site):
        from wagtail.models import Site

        from tests.factories import root_page

        other_home = root_page().add_child(title="Other", slug="other-home")
        Site.objects.create(hostname="other.example", port=443, root_page=other_home)
        message = emails.confirmation_message(register(event))
        assert f"Event page: http://testserver/events/{event.slug}/\n" in message.body
        assert "http://testserverhttp" not in message.body
        assert re.search(r"http://testserver/events/cancel/\S+/", message.body)

    def test_whole_message_renders_as_mime(self, event):
        raw = emails.confirmation_message(register(event)).message().as_bytes()
        assert b"Content-Type: text/calendar" in raw
        assert b"Content-Type: text/html" in raw


class TestCalendar:
    def test_event_details(self, event):
        vevent = vevent_of(emails.confirmation_message(register(event)))
        assert str(vevent["summary"]) == "Data & Society"
        assert vevent.decoded("dtstart") == START
        assert vevent.decoded("dtend") == END
        assert "Bring questions." in str(vevent["description"])
        assert "<p>" not in str(vevent["description"])
        assert str(vevent["location"]) == "Room 101"
        assert "status" not in vevent

    def test_calendar_header(self, event):
        cal = ics_of(emails.confirmation_message(register(event)))
        assert str(cal["version"]) == "2.0"
        assert str(cal["method"]) == "PUBLISH"
        assert cal["prodid"]

    def test_uid_is_stable_per_registration(self, event):
        reg = register(event)
        first = vevent_of(emails.confirmation_message(reg))["uid"]
        again = vevent_of(emails.confirmation_message(Registration.objects.get(pk=reg.pk)))["uid"]
        other = vevent_of(emails.confirmation_message(register(event, email="b@example.org")))
        assert first == again
        assert other["uid"] != first
        assert str(first) == f"registration-{reg.uid}@testserver"

    def test_uid_survives_cancel_and_reregister(self, event):
        reg = register(event)
        before = vevent_of(emails.confirmation_message(reg))["uid"]
        service.cancel(reg)
        again = register(event)
        assert vevent_of(emails.confirmation_message(again))["uid"] == before

    def test_moved_event_gets_a_higher_sequence(self, event):
        reg = register(event)
        before = int(vevent_of(emails.confirmation_message(reg))["sequence"])
        event.start, event.end = START.replace(hour=20), END.replace(hour=21)
        event.save_revision().publish()
        reg = Registration.objects.get(pk=reg.pk)
        after = vevent_of(emails.confirmation_message(reg))
        assert int(after["sequence"]) > before
        assert after.decoded("dtstart") == START.replace(hour=20)


class TestHeaderInjection:
    def test_newlines_in_the_title_do_not_reach_headers(self, make_event):
        event = make_event(kind="vimeo", title="Talk\r\nBcc: victim@example.org")
        message = emails.confirmation_message(register(event))
        assert "\n" not in message.subject and "\r" not in message.subject
        raw = message.message()
        assert raw["Bcc"] is None
        assert message.recipients() == ["ada@example.org"]

    def test_service_keeps_newlines_out_of_names_and_addresses(self, event):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            register(event, email="ada@example.org\nBcc: victim@example.org")
        with pytest.raises(ValidationError):
            register(event, first_name="Ada\r\nBcc: victim@example.org")
        assert not Registration.objects.exists()


class TestOneContextForEveryMessage:
    """Confirmation, reminder and resend are built from one context (issue 7 #15, 9 #9)."""

    @pytest.fixture
    def two_sites(self, site):
        from wagtail.models import Site

        from tests.factories import root_page

        other_home = root_page().add_child(title="Other", slug="other-home")
        Site.objects.create(hostname="other.example", port=443, root_page=other_home)

    def _reminder(self, event, registration):
        from datetime import timedelta

        import time_machine

        from wagtail_webinars import reminders

        mail.outbox = []
        with time_machine.travel(event.start - timedelta(minutes=30), tick=False):
            assert reminders.send_due_reminders().sent == 1
        (message,) = mail.outbox
        return message

    def _resend(self, event, registration):
        from django.utils import timezone

        from wagtail_webinars import reminders

        mail.outbox = []
        assert reminders.resend_reminder(registration.pk, timezone.now()).sent == 1
        (message,) = mail.outbox
        return message

    def test_event_link_is_the_full_url_with_two_sites(self, event, two_sites):
        reg = register(event)
        page = f"http://testserver/events/{event.slug}/"
        for message in (
            emails.confirmation_message(reg),
            self._reminder(event, reg),
            self._resend(event, reg),
        ):
            assert f"Event page: {page}\n" in message.body
            assert f'href="{page}"' in html_of(message)
            for body in (message.body, html_of(message)):
                assert "http://testserverhttp" not in body

    def test_description_is_sanitised_in_every_message(self, make_event):
        event = make_event(
            kind="vimeo",
            start=START,
            end=END,
            description=(
                '<p>Bring <b>questions</b>. <a href="/events/">All events</a>.</p>'
                "<script>alert('x')</script><p onclick=\"steal()\">Hi</p>"
            ),
        )
        reg = register(event)
        for message in (
            emails.confirmation_message(reg),
            self._reminder(event, reg),
            self._resend(event, reg),
        ):
            html = html_of(message)
            assert "Bring <b>questions</b>" in html
            assert '<a href="http://testserver/events/">All events</a>' in html
            assert "<script" not in html
            assert "onclick" not in html


class TestCalendarFields:
    """Every .ics has URL (the event page), LOCATION and DESCRIPTION (issue 7 #16)."""

    def test_online_event_without_venue_or_description(self, make_event):
        event = make_event(kind="vimeo", start=START, end=END, description="")
        page = f"http://testserver/events/{event.slug}/"
        vevent = vevent_of(emails.confirmation_message(register(event)))
        assert str(vevent["url"]) == page
        assert str(vevent["location"]) == page
        assert page in str(vevent["description"])

    def test_confirmation_has_url_and_keeps_the_venue(self, event):
        vevent = vevent_of(emails.confirmation_message(register(event)))
        assert str(vevent["url"]) == f"http://testserver/events/{event.slug}/"
        assert str(vevent["location"]) == "Room 101"
        assert "Bring questions." in str(vevent["description"])

    def test_calendar_content_type_has_one_charset(self, event):
        raw = emails.confirmation_message(register(event)).message().as_string()
        (header,) = re.findall(r"Content-Type: text/calendar[^\n]*(?:\n\s+[^\n]*)*", raw)
        assert header.lower().count("charset") == 1, header
