"""The claim / deliver / record engine shared by the reminder sweep and the resends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Q
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars import mail_batches
from wagtail_webinars.models import Registration

pytestmark = pytest.mark.django_db


def test_one_run_claims_delivers_and_records_each_row_once(make_event, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "REMINDER_BATCH_SIZE": 2}
    event = make_event(kind="vimeo", start=timezone.now() + timedelta(hours=1))
    regs = RegistrationFactory.create_batch(5, page=event)
    recorded, released = [], []
    job = mail_batches.Run(
        event=event,
        due=Registration.objects.filter(page_id=event.pk, reminder_sent_at__isnull=True),
        unclaimed=lambda: Q(reminder_claimed_at__isnull=True),
        claim=lambda at: {"reminder_claimed_at": at},
        stamp_field="reminder_claimed_at",
        record_sent=lambda batch, stamp, pks: (
            recorded.append(pks),
            Registration.objects.filter(pk__in=pks).update(reminder_sent_at=stamp),
        ),
        release=lambda batch, stamp, failed, unsent: released.append((failed, unsent)),
    )
    report = mail_batches.run(job, deadline=mail_batches.deadline_from_now())
    assert report.sent == 5 and report.failed == 0 and not report.out_of_time
    assert sorted(pk for pks in recorded for pk in pks) == sorted(r.pk for r in regs)
    assert released == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in regs)
    # Everything is claimed now: a second run finds nothing.
    assert mail_batches.run(job, deadline=mail_batches.deadline_from_now()).sent == 0
