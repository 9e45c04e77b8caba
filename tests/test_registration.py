"""The registration service: the rules every entry point shares."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration
from wagtail_webinars.validators import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH

pytestmark = pytest.mark.django_db

PERSON = {"email": "Ada.Lovelace@Example.org ", "first_name": " Ada ", "last_name": "Lovelace"}


def register(event, **overrides):
    return service.register(event, **{**PERSON, **overrides})


class TestRegister:
    def test_creates_one_clean_row(self, make_event):
        event = make_event(kind="vimeo")

        result = register(event, answers={"diet": "vegan"})

        assert result.outcome == "created"
        assert result.created and not result.already_registered
        reg = Registration.objects.get()
        assert reg == result.registration
        assert reg.page_id == event.pk
        assert reg.email == "ada.lovelace@example.org"
        assert (reg.first_name, reg.last_name) == ("Ada", "Lovelace")
        assert reg.status == Registration.Status.REGISTERED
        assert reg.source == Registration.Source.WEB
        assert reg.form_data == {
            "diet": "vegan",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada.lovelace@example.org",
        }
        assert reg.sync_status == Registration.SyncStatus.NOT_APPLICABLE
        assert event.get_submissions().get() == reg

    @pytest.mark.parametrize("kind", ["zoom_meeting", "zoom_webinar"])
    def test_managed_event_marks_sync_pending(self, make_event, kind):
        event = make_event(kind=kind)
        reg = register(event).registration
        assert reg.sync_status == Registration.SyncStatus.PENDING

    @pytest.mark.parametrize("kind", ["zoom_meeting_link", "zoom_webinar_link", "vimeo"])
    def test_unmanaged_event_has_nothing_to_sync(self, make_event, kind):
        event = make_event(kind=kind)
        reg = register(event).registration
        assert reg.sync_status == Registration.SyncStatus.NOT_APPLICABLE

    def test_standard_fields_win_over_answers_with_the_same_name(self, make_event):
        event = make_event(kind="vimeo")
        reg = register(event, answers={"email": "evil@example.org", "first_name": "X"}).registration
        assert reg.form_data["email"] == "ada.lovelace@example.org"
        assert reg.form_data["first_name"] == "Ada"

    def test_side_effects_wait_for_commit(self, make_event, django_capture_on_commit_callbacks):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            register(event)
        assert len(callbacks) == 1
        assert mail.outbox == []  # nothing is mailed before the data is committed

    def test_confirmation_is_mailed_after_commit(
        self, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=True):
            reg = register(event).registration
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["ada.lovelace@example.org"]
        reg.refresh_from_db()
        assert reg.confirmation_sent_at is not None


class TestDuplicate:
    def test_duplicate_creates_nothing_and_resends_confirmation(
        self, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=True):
            first = register(event)
        with (
            time_machine.travel(timezone.now() + timedelta(minutes=2)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            second = register(event, email="ADA.LOVELACE@example.ORG", first_name="Other")

        assert second.outcome == "already_registered"
        assert second.already_registered
        assert second.registration.pk == first.registration.pk
        assert Registration.objects.count() == 1
        # The existing row is not overwritten by the second attempt.
        assert Registration.objects.get().first_name == "Ada"
        assert len(mail.outbox) == 2
        assert all(m.to == ["ada.lovelace@example.org"] for m in mail.outbox)

    def test_quick_duplicates_resend_the_confirmation_at_most_once_a_minute(
        self, make_event, django_capture_on_commit_callbacks
    ):
        # Otherwise anyone could make the form mail someone's address in a loop.
        event = make_event(kind="vimeo")
        start = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            register(event)
        for seconds in (5, 30, 59):
            with (
                time_machine.travel(start + timedelta(seconds=seconds)),
                django_capture_on_commit_callbacks(execute=True),
            ):
                assert register(event).already_registered
        assert len(mail.outbox) == 1
        with (
            time_machine.travel(start + timedelta(seconds=61)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            register(event)
        assert len(mail.outbox) == 2

    def test_duplicate_is_recognised_even_after_registration_closed(self, make_event):
        event = make_event(kind="vimeo")
        register(event)
        later = event.start + timedelta(minutes=5)
        assert register(event, now=later).outcome == "already_registered"

    def test_same_email_may_register_for_two_events(self, make_event):
        one, two = make_event(kind="vimeo"), make_event(kind="vimeo")
        register(one)
        assert register(two).outcome == "created"
        assert Registration.objects.count() == 2

    def test_database_allows_one_row_per_event_and_email(self, make_event):
        event = make_event(kind="vimeo")
        register(event)
        with pytest.raises(IntegrityError), transaction.atomic():
            Registration.objects.create(
                page=event,
                email="ada.lovelace@example.org",
                first_name="A",
                last_name="B",
                form_data={},
            )


class TestCancelAndReregister:
    def test_cancel(self, make_event):
        event = make_event(kind="vimeo")
        reg = register(event).registration
        now = timezone.now()

        cancelled = service.cancel(reg, now=now)

        assert cancelled.status == Registration.Status.CANCELLED
        reg.refresh_from_db()
        assert reg.status == Registration.Status.CANCELLED
        assert reg.cancelled_at == now
        assert not reg.is_active

    def test_cancel_twice_changes_nothing(self, make_event, django_capture_on_commit_callbacks):
        event = make_event(kind="vimeo")
        reg = register(event).registration
        first_time = timezone.now() - timedelta(hours=1)
        service.cancel(reg, now=first_time)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            service.cancel(reg)
        reg.refresh_from_db()
        assert reg.cancelled_at == first_time
        assert callbacks == []

    def test_cancel_managed_asks_provider_to_cancel(self, make_event):
        event = make_event(kind="zoom_meeting")
        reg = register(event).registration
        Registration.objects.filter(pk=reg.pk).update(
            sync_status=Registration.SyncStatus.SYNCED, sync_attempts=3, sync_error="old"
        )
        service.cancel(reg)
        reg.refresh_from_db()
        assert reg.sync_status == Registration.SyncStatus.PENDING
        assert (reg.sync_attempts, reg.sync_error) == (0, "")

    def test_reregister_after_cancel_reactivates_same_row(
        self, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        original = register(event, answers={"diet": "vegan"}).registration
        service.cancel(original)

        with django_capture_on_commit_callbacks(execute=True):
            result = register(event, first_name="Augusta", answers={"diet": "none"})

        assert result.outcome == "reactivated"
        assert result.registration.pk == original.pk
        assert result.registration.uid == original.uid  # old links keep working
        assert Registration.objects.count() == 1
        reg = Registration.objects.get()
        assert reg.status == Registration.Status.REGISTERED
        assert reg.cancelled_at is None
        assert reg.first_name == "Augusta"
        assert reg.form_data["diet"] == "none"
        assert len(mail.outbox) == 1  # a fresh confirmation

    def test_reactivating_managed_registration_resyncs(self, make_event):
        event = make_event(kind="zoom_webinar")
        reg = register(event).registration
        service.cancel(reg)
        Registration.objects.filter(pk=reg.pk).update(
            sync_status=Registration.SyncStatus.FAILED, sync_error="boom", sync_attempts=8
        )
        reg = register(event).registration
        reg.refresh_from_db()
        assert reg.sync_status == Registration.SyncStatus.PENDING
        assert (reg.sync_error, reg.sync_attempts) == ("", 0)

    def test_reregister_follows_the_rules(self, make_event):
        event = make_event(kind="vimeo", capacity=1)
        reg = register(event).registration
        service.cancel(reg)
        register(event, email="someone.else@example.org")  # takes the freed place
        with pytest.raises(service.RegistrationRefused) as refused:
            register(event)
        assert refused.value.code == "full"
        reg.refresh_from_db()
        assert reg.status == Registration.Status.CANCELLED


class TestRules:
    def test_before_registration_opens(self, make_event):
        now = timezone.now()
        event = make_event(kind="vimeo", registration_opens=now + timedelta(days=1))
        with pytest.raises(service.RegistrationRefused) as refused:
            register(event, now=now)
        assert refused.value.code == "closed"
        assert refused.value.message.startswith("Registration opens ")
        # The opening time is shown in campus time with the zone's name.
        assert refused.value.message.rstrip(".").endswith(("EST", "EDT"))
        assert not Registration.objects.exists()

    def test_opens_exactly_on_time(self, make_event):
        opens = timezone.now() + timedelta(days=1)
        event = make_event(kind="vimeo", registration_opens=opens)
        assert register(event, now=opens).created

    def test_after_registration_closes(self, make_event):
        now = timezone.now()
        event = make_event(kind="vimeo", registration_closes=now - timedelta(minutes=1))
        with pytest.raises(service.RegistrationRefused) as refused:
            register(event, now=now)
        assert refused.value.code == "closed"
        assert refused.value.message == "Registration for this event has closed."
        assert not Registration.objects.exists()

    @pytest.mark.parametrize("after_start", [timedelta(0), timedelta(minutes=30)])
    def test_after_the_event_started(self, make_event, after_start):
        event = make_event(kind="vimeo")
        with pytest.raises(service.RegistrationRefused) as refused:
            register(event, now=event.start + after_start)
        assert refused.value.code == "closed"
        assert "already started" in refused.value.message
        assert not Registration.objects.exists()

    def test_beyond_capacity(self, make_event):
        event = make_event(kind="vimeo", capacity=2)
        register(event, email="one@example.org")
        register(event, email="two@example.org")
        with pytest.raises(service.RegistrationRefused) as refused:
            register(event, email="three@example.org")
        assert refused.value.code == "full"
        assert refused.value.message == "Sorry, this event is full."
        assert Registration.objects.count() == 2

    def test_cancelled_registrations_free_their_place(self, make_event):
        event = make_event(kind="vimeo", capacity=1)
        first = register(event, email="one@example.org").registration
        service.cancel(first)
        assert register(event, email="two@example.org").created

    def test_capacity_of_another_event_does_not_count(self, make_event):
        busy = make_event(kind="vimeo", capacity=1)
        register(busy)
        quiet = make_event(kind="vimeo", capacity=1)
        assert register(quiet).created

    def test_staff_may_ignore_limits(self, make_event):
        event = make_event(kind="vimeo", capacity=1)
        register(event, email="one@example.org")
        result = register(
            event,
            email="two@example.org",
            enforce_rules=False,
            source=Registration.Source.ADMIN,
            now=event.start + timedelta(hours=2),
        )
        assert result.created
        assert result.registration.source == Registration.Source.ADMIN
        assert event.active_registration_count() == 2

    @pytest.mark.parametrize(("capacity", "locks"), [(None, False), (10, True)])
    def test_event_row_is_locked_only_to_count_places(
        self, make_event, django_assert_num_queries, capacity, locks
    ):
        # Without a capacity there is nothing to count, and the address's own row
        # plus the unique constraint keep one registration per address: no lock
        # that would queue every registration of the event behind the others.
        event = make_event(kind="vimeo", capacity=capacity)
        with django_assert_num_queries(3 + 2 * locks) as captured:
            assert register(event).created
        # The lock is the only read of the event's row (FOR UPDATE on PostgreSQL).
        event_reads = [
            q["sql"]
            for q in captured.captured_queries
            if 'FROM "wagtail_webinars_eventpage"' in q["sql"]
        ]
        assert len(event_reads) == locks

    def test_a_new_address_is_inserted_without_looking_it_up_first(
        self, make_event, django_assert_num_queries
    ):
        # The unique (event, email) constraint answers whether the address has a row:
        # a new one costs its insert only (a lookup first planned and ran a query
        # that grew with the event's registrations, on every POST).
        event = make_event(kind="vimeo")
        with django_assert_num_queries(3) as captured:
            assert register(event, email="new@example.org").created
        reads = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith("SELECT") and "wagtail_webinars_registration" in q["sql"]
        ]
        assert reads == []

    @pytest.mark.parametrize("ask", [False, True])
    def test_an_address_with_a_row_is_decided_from_that_row(self, make_event, ask):
        # The insert of a known address fails on the constraint; the row then decides,
        # locked, exactly as before (nothing saved by the failed insert).
        event = make_event(kind="vimeo")
        first = register(event, email="known@example.org").registration
        again = register(event, email="KNOWN@example.org", ask_before_reactivating=ask)
        assert again.outcome == service.ALREADY_REGISTERED
        assert again.registration.pk == first.pk
        service.cancel(first)
        back = register(event, email="known@example.org", ask_before_reactivating=ask)
        expected = service.REACTIVATION_OFFERED if ask else service.REACTIVATED
        assert back.outcome == expected
        assert Registration.objects.filter(page=event).count() == 1

    def test_refusal_queues_nothing(self, make_event, django_capture_on_commit_callbacks):
        event = make_event(kind="vimeo", capacity=1)
        register(event, email="one@example.org")
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(service.RegistrationRefused),
        ):
            register(event, email="two@example.org")
        assert callbacks == []
        assert mail.outbox == []

    def test_a_page_that_is_not_an_event_is_refused(self, site):
        with pytest.raises(service.RegistrationRefused) as refused:
            register(site.root_page.specific)
        assert refused.value.code == "not_an_event"
        assert not Registration.objects.exists()


BAD_INPUT = [
    ("email", {"email": "not-an-email"}),
    ("email", {"email": ""}),
    ("email", {"email": "   "}),
    ("email", {"email": "a@" + "b" * EMAIL_MAX_LENGTH + ".org"}),
    ("email", {"email": "ada@example.org\nBcc: victim@example.org"}),
    ("email", {"email": "ada\x00@example.org"}),
    ("first_name", {"first_name": ""}),
    ("first_name", {"first_name": " \t "}),
    ("last_name", {"last_name": ""}),
    ("first_name", {"first_name": "A" * (NAME_MAX_LENGTH + 1)}),
    ("last_name", {"last_name": "B" * (NAME_MAX_LENGTH + 1)}),
    ("first_name", {"first_name": "Ada\nBcc: victim@example.org"}),
    ("last_name", {"last_name": "Love\rlace"}),
    ("first_name", {"first_name": "Ada\x00"}),
    ("last_name", {"last_name": "Love\u202elace"}),  # bidi override: spoofs names in lists
]


class TestBadInput:
    @pytest.mark.parametrize(("field", "bad"), BAD_INPUT)
    def test_refused_with_message_and_nothing_saved(
        self, make_event, django_capture_on_commit_callbacks, field, bad
    ):
        event = make_event(kind="vimeo")
        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(ValidationError) as err,
        ):
            register(event, **bad)
        assert field in err.value.message_dict
        assert err.value.message_dict[field][0]  # a message a person can read
        assert not Registration.objects.exists()
        assert callbacks == []

    def test_all_problems_reported_at_once(self, make_event):
        event = make_event(kind="vimeo")
        with pytest.raises(ValidationError) as err:
            register(event, email="nope", first_name="", last_name="")
        assert set(err.value.message_dict) == {"email", "first_name", "last_name"}

    def test_longest_allowed_values_are_accepted(self, make_event):
        event = make_event(kind="vimeo")
        local = "a" * 64
        domain = ".".join(["b" * 63, "c" * 63, "d" * 57, "org"])
        email = f"{local}@{domain}"
        assert len(email) == EMAIL_MAX_LENGTH
        reg = register(
            event,
            email=email,
            first_name="A" * NAME_MAX_LENGTH,
            last_name="B" * NAME_MAX_LENGTH,
        ).registration
        reg.refresh_from_db()
        assert reg.email == email
        assert len(reg.first_name) == NAME_MAX_LENGTH

    def test_names_keep_their_letters(self, make_event):
        event = make_event(kind="vimeo")
        reg = register(
            event, first_name="Zoë  Anne", last_name="O’Brien-Núñez", email="zoe@example.org"
        ).registration
        assert (reg.first_name, reg.last_name) == ("Zoë Anne", "O’Brien-Núñez")

    @pytest.mark.parametrize(
        "answers",
        [
            {"comments": "x" * 5000},
            {"comments": "NUL \x00 byte"},
            {"choices": ["ok", "bad \x00"]},
            {"x" * 300: "key too long"},
        ],
        ids=["too-long", "nul", "nul-in-list", "long-key"],
    )
    def test_bad_answers_refused(self, make_event, answers):
        # Other entry points (GraphQL) pass answers straight to the service.
        event = make_event(kind="vimeo")
        with pytest.raises(ValidationError) as err:
            register(event, answers=answers)
        assert "answers" in err.value.message_dict
        assert not Registration.objects.exists()

    def test_multiline_answers_are_fine(self, make_event):
        event = make_event(kind="vimeo")
        reg = register(event, answers={"comments": "line one\nline two\ttabbed"}).registration
        reg.refresh_from_db()
        assert reg.form_data["comments"] == "line one\nline two\ttabbed"


def test_logs_carry_no_personal_data(make_event, caplog):
    event = make_event(kind="vimeo")
    with caplog.at_level(logging.DEBUG, logger="wagtail_webinars"):
        reg = register(event).registration
        register(event)
        service.cancel(reg)
        register(event)
    assert caplog.records, "the service should log what it did"
    text = "\n".join(r.getMessage() for r in caplog.records)
    for personal in ("ada", "lovelace", "example.org"):
        assert personal not in text.lower()


class TestProviderSide:
    """Cancellations and registrations that happened at the provider (Zoom's webhooks)."""

    def test_cancel_by_provider_does_not_tell_the_provider(self, make_event, queued, commit):
        from tests.factories import RegistrationFactory

        event = make_event(kind="zoom_meeting")
        row = RegistrationFactory(
            page=event, provider_registrant_id="r1", sync_status=Registration.SyncStatus.SYNCED
        )
        with commit():
            service.cancel(row, by_provider=True)
        row.refresh_from_db()
        assert row.status == Registration.Status.CANCELLED
        assert row.sync_status == Registration.SyncStatus.SYNCED
        assert row.provider_status == "cancelled"
        # One task: the email; no sync (needs_sync False).
        assert [args for _f, args in queued] == [(row.pk, service.CANCELLED_AT_PROVIDER, False)]

    def test_adopting_stores_the_providers_registrant_and_pushes_nothing(
        self, make_event, queued, commit
    ):
        event = make_event(kind="zoom_meeting")
        with commit():
            result = service.adopt_provider_registrant(
                event,
                email="Dee@Example.org",
                first_name="",
                last_name="",
                registrant_id="zr-1",
                join_url="https://zoom.us/w/1?tk=zr-1",
            )
        row = result.registration
        assert result.outcome == service.ADOPTED
        assert (row.email, row.provider_registrant_id) == ("dee@example.org", "zr-1")
        assert row.sync_status == Registration.SyncStatus.SYNCED
        assert [args for _f, args in queued] == [(row.pk, service.ADOPTED, False)]
        again = service.adopt_provider_registrant(
            event, email="dee@example.org", first_name="D", last_name="", registrant_id="zr-1"
        )
        assert again.already_registered
