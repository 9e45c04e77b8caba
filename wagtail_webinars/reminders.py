"""Reminder emails: the every-minute sweep that sends each registrant one
reminder per event start, and the resends staff ask for.

When
----
An event's reminders are due from ``event.reminder_due_at`` (its start minus
its lead time, ``REMINDER_LEAD_MINUTES`` unless the page sets its own) until
its attendance window closes (the end plus ``ATTENDANCE_CLOSES_MINUTES_AFTER``).
Sending on after the start is deliberate: someone staff add at the last
minute, or a worker that was down at the start, still gets a join link while
joining makes sense; such a reminder says the event has started. After the
window nothing is sent.

Exactly once
------------
A registration is due when it is active and ``reminder_sent_for`` is not the
event's current start (so a moved event gets a new reminder). The sending is
done by :mod:`wagtail_webinars.mail_batches`, the one claim / deliver / record
loop that resends use too: each batch is *claimed* before anything is sent
(``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it; SQLite's
IMMEDIATE transactions serialise writers instead), here by marking
``reminder_claimed_for``/``reminder_claimed_at`` with an UPDATE that repeats
the conditions. The claim is committed, then the batch is sent over one mail
connection, and ``reminder_sent_for`` is recorded *while* it goes out (every
``RECORD_EVERY`` messages, and at least every ``RECORD_INTERVAL`` seconds),
only for rows this batch still holds. So:

* two sweeps (or two workers) at once never claim the same row, so never send
  twice;
* a sweep stops claiming and sending once its time budget is spent (half the
  shorter of django-q2's task timeout and ``REMINDER_CLAIM_TIMEOUT_SECONDS``)
  and frees what it did not send: it is neither killed by the task timeout nor
  still sending when its claims could be taken over;
* a worker stopped mid-batch (django-q2's timeout raises a ``SystemExit`` in the
  task) records what went out and frees the rest on its way out; one killed
  outright leaves claims that a later sweep takes over once they are older than
  ``REMINDER_CLAIM_TIMEOUT_SECONDS``. Nobody is lost; what can repeat is only
  what went out since the last record (at most ``RECORD_EVERY`` messages, or
  ``RECORD_INTERVAL`` seconds of them): "at least once" wins over "at most
  once" there;
* a failed send releases that row's claim and records ``reminder_error``; the
  next sweep tries again.

Queries are per batch (``REMINDER_BATCH_SIZE`` rows, recorded in
``REMINDER_BATCH_SIZE / RECORD_EVERY`` updates at most) and per event, never per
registrant: everything the templates need from the event (site, branding,
rendered description) is worked out once per event. Due events are found by
the database (the due time is computed in SQL), one query per event page model
(``models.event_page_models()``), so host projects' own event pages get
reminders too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import jobs, mail_batches
from .conf import get_setting
from .mail_batches import DeliveryReport
from .models import EventPageMixin, Registration, event_page_models, get_event_page

logger = logging.getLogger(__name__)

# -- the sweep ----------------------------------------------------------------------------


def due_at_expression() -> ExpressionWrapper:
    """The start minus the lead time (the page's own, else the site default), in SQL."""
    minutes = ExpressionWrapper(
        Coalesce(F("reminder_lead_minutes"), Value(get_setting("REMINDER_LEAD_MINUTES"))),
        # A plain integer: SQLite's duration arithmetic refuses PositiveIntegerField.
        output_field=IntegerField(),
    )
    lead = ExpressionWrapper(minutes * Value(timedelta(minutes=1)), output_field=DurationField())
    return ExpressionWrapper(F("start") - lead, output_field=DateTimeField())


def due_events(now: datetime | None = None) -> list[EventPageMixin]:
    """Live events whose reminders are due at ``now``, soonest first.

    Due: from the start minus the lead time until the attendance window closes
    (the end plus ``ATTENDANCE_CLOSES_MINUTES_AFTER``). The database decides, so
    only due events are loaded: one query per event page model.
    """
    now = now or timezone.now()
    closes_after = timedelta(minutes=get_setting("ATTENDANCE_CLOSES_MINUTES_AFTER"))
    events: list[EventPageMixin] = []
    for model in event_page_models():
        events += (
            model.objects.live()
            .filter(end__gt=now - closes_after)
            .alias(due_at=due_at_expression())
            .filter(due_at__lte=now)
            .order_by("start", "pk")
        )
    events.sort(key=lambda event: (event.start, event.pk))
    return events


def send_due_reminders(now: datetime | None = None) -> DeliveryReport:
    """One sweep: send every reminder that is due and not yet sent, exactly once.

    ``now`` decides what is due (default: the current time); claims and
    "sent" stamps always use the clock. Stops after
    :func:`~wagtail_webinars.mail_batches.time_budget`; what is left goes out
    with the next sweep.
    """
    now = now or timezone.now()
    deadline = mail_batches.deadline_from_now()
    report = DeliveryReport()
    for event in due_events(now):
        report.events.append(event.pk)
        # The first event is always swept (it gets at least one batch), so even
        # a budget spent on finding the events cannot stall the reminders.
        if report.out_of_time or (len(report.events) > 1 and mail_batches.out_of_time(deadline)):
            report.out_of_time = True
            continue
        _call_helpers(event)
        report.add(mail_batches.run(sweep_run(event), deadline=deadline, now=now))
    if report.sent or report.failed or report.out_of_time:
        logger.info(
            "reminder sweep: %s sent, %s failed, events %s%s",
            report.sent,
            report.failed,
            report.events,
            "; out of time, the next sweep sends the rest" if report.out_of_time else "",
        )
    return report


def _call_helpers(event: EventPageMixin) -> int:
    """Queue helper tasks that send this event's reminders alongside the sweep.

    With ``REMINDER_SEND_TASKS`` above 1, an event with more due reminders than
    one batch gets up to that many senders at once (the sweep and its helpers),
    each on its own worker and mail connection. They take batches from the same
    rows; the claim (``SKIP LOCKED`` on PostgreSQL) gives each batch to one of
    them, so every reminder still goes out once and throughput grows with the
    workers. Returns how many were queued.
    """
    senders = get_setting("REMINDER_SEND_TASKS")
    if senders <= 1:
        return 0  # no extra query either: one sender is the sweep itself
    batches = -(-sweep_run(event).due.count() // get_setting("REMINDER_BATCH_SIZE"))
    helpers = min(senders, batches) - 1
    for _ in range(helpers):
        jobs.enqueue(jobs.SEND_EVENT_REMINDERS, event.pk)
    return max(helpers, 0)


def send_event_reminders(event_id: int, now: datetime | None = None) -> DeliveryReport:
    """Task body of a sweep's helper: send due reminders of one event, as the
    sweep does, until none is left or the time budget is spent."""
    now = now or timezone.now()
    report = DeliveryReport()
    event = get_event_page(event_id)
    if event is None or not _is_due(event, now):
        return report
    report.events.append(event.pk)
    report.add(
        mail_batches.run(sweep_run(event), deadline=mail_batches.deadline_from_now(), now=now)
    )
    if report.sent or report.failed:
        logger.info(
            "reminder helper for event %s: %s sent, %s failed",
            event_id,
            report.sent,
            report.failed,
        )
    return report


def _is_due(event: EventPageMixin, now: datetime) -> bool:
    # The rule of due_events(), for one event already loaded.
    closes_after = timedelta(minutes=get_setting("ATTENDANCE_CLOSES_MINUTES_AFTER"))
    return event.live and event.reminder_due_at <= now < event.end + closes_after


def sweep_run(event: EventPageMixin) -> mail_batches.Run:
    """The sweep's rows of one event: due for its current start, claimed with
    ``reminder_claimed_for``/``reminder_claimed_at``, sent into ``reminder_sent_for``."""
    start = event.start

    def unclaimed() -> Q:
        stale = timezone.now() - timedelta(seconds=get_setting("REMINDER_CLAIM_TIMEOUT_SECONDS"))
        return (
            Q(reminder_claimed_at__isnull=True)
            | Q(reminder_claimed_at__lt=stale)
            # A claim for an earlier start (the event moved) is no claim on this one.
            | ~Q(reminder_claimed_for=start)
        )

    def mine(stamp: datetime):
        # Only rows still claimed by this batch: should a claim ever be taken
        # over, the sweep that took it over records the outcome.
        return Registration.objects.filter(reminder_claimed_for=start, reminder_claimed_at=stamp)

    def record_sent(batch, stamp: datetime, pks: list[int]) -> None:
        mine(stamp).filter(pk__in=pks).update(
            reminder_sent_for=start,
            reminder_sent_at=timezone.now(),
            reminder_claimed_for=None,
            reminder_claimed_at=None,
            reminder_error="",
        )

    def release(batch, stamp: datetime, failed: dict[int, str], unsent: list[int]) -> None:
        mine(stamp).filter(pk__in=[*failed, *unsent]).update(
            reminder_claimed_for=None,
            reminder_claimed_at=None,
            reminder_error=mail_batches.error_case(failed),
        )

    return mail_batches.Run(
        event=event,
        due=Registration.objects.active().filter(page_id=event.pk).exclude(reminder_sent_for=start),
        unclaimed=unclaimed,
        claim=lambda at: {"reminder_claimed_for": start, "reminder_claimed_at": at},
        stamp_field="reminder_claimed_at",
        record_sent=record_sent,
        release=release,
    )


# -- resends ------------------------------------------------------------------------------


def request_resend(registration: Registration) -> None:
    """Staff action: queue the reminder again for one registration.

    Resends leave the sweep's own bookkeeping (``reminder_sent_for`` and the
    claims) alone; they are counted in ``reminder_resend_count``.
    """
    jobs.enqueue_on_commit(jobs.RESEND_REMINDER, registration.pk, timezone.now())


def request_resend_all(event: EventPageMixin) -> int:
    """Staff action: queue the reminder again for every active registrant of
    ``event``. Returns how many that is now."""
    requested_at = timezone.now()
    count = Registration.objects.active().filter(page_id=event.pk).count()
    jobs.enqueue_on_commit(jobs.RESEND_EVENT_REMINDERS, event.pk, requested_at)
    return count


def resend_reminder(registration_id: int, requested_at: datetime) -> DeliveryReport:
    """Task body: resend one registration's reminder (if still active)."""
    registration = Registration.objects.filter(pk=registration_id).only("page_id").first()
    if registration is None:
        return DeliveryReport()
    return _resend(
        registration.page_id,
        Registration.objects.active().filter(pk=registration_id),
        requested_at,
        (jobs.RESEND_REMINDER, registration_id),
    )


def resend_event_reminders(event_id: int, requested_at: datetime) -> DeliveryReport:
    """Task body: resend the reminder to every active registrant of one event."""
    return _resend(
        event_id,
        Registration.objects.active().filter(page_id=event_id),
        requested_at,
        (jobs.RESEND_EVENT_REMINDERS, event_id),
    )


def _resend(
    event_id: int,
    registrations: QuerySet,
    requested_at: datetime,
    this_task: tuple[str, int],
) -> DeliveryReport:
    report = DeliveryReport()
    deadline = mail_batches.deadline_from_now()
    event = get_event_page(event_id)
    if event is None:
        return report
    report.events.append(event.pk)
    report.add(
        mail_batches.run(
            resend_run(event, registrations.filter(page_id=event_id), requested_at),
            deadline=deadline,
        )
    )
    logger.info(
        "reminder resend for event %s: %s sent, %s failed%s",
        event_id,
        report.sent,
        report.failed,
        "; out of time, continued in a new task" if report.out_of_time else "",
    )
    if report.out_of_time:
        # Same request time: whoever got it already in this run is skipped.
        jobs.enqueue(this_task[0], this_task[1], requested_at)
    return report


def resend_run(
    event: EventPageMixin, registrations: QuerySet, requested_at: datetime
) -> mail_batches.Run:
    """A resend's rows: claimed by stamping ``reminder_resent_at`` (and counting
    the resend); the sweep's own bookkeeping is left alone."""

    def unclaimed() -> Q:
        # Rows already resent after the request was made are done: running the
        # task twice (a worker retry, a double-clicked button) sends once.
        return Q(reminder_resent_at__isnull=True) | Q(reminder_resent_at__lt=requested_at)

    def release(batch, stamp: datetime, failed: dict[int, str], unsent: list[int]) -> None:
        gone = {*failed, *unsent}
        _undo_resend_claims([r for r in batch if r.pk in gone], failed, stamp)

    return mail_batches.Run(
        event=event,
        due=registrations,
        unclaimed=unclaimed,
        claim=lambda at: {
            "reminder_resent_at": at,
            "reminder_resend_count": F("reminder_resend_count") + 1,
        },
        stamp_field="reminder_resent_at",
        record_sent=lambda batch, stamp, pks: _clear_reminder_error(pks),
        release=release,
    )


def _clear_reminder_error(pks: list[int]) -> None:
    Registration.objects.filter(pk__in=pks).update(reminder_error="")


def _undo_resend_claims(
    rows: Iterable[Registration], failed: dict[int, str], stamp: datetime
) -> None:
    # Put the count and the last resend time back as they were: nothing was resent.
    rows = list(rows)
    previous = Case(
        *(When(pk=r.pk, then=Value(r.reminder_resent_at, DateTimeField())) for r in rows),
        default=F("reminder_resent_at"),
        output_field=DateTimeField(),
    )
    Registration.objects.filter(pk__in=[r.pk for r in rows], reminder_resent_at=stamp).update(
        reminder_resent_at=previous,
        reminder_resend_count=F("reminder_resend_count") - 1,
        reminder_error=mail_batches.error_case(failed),
    )
