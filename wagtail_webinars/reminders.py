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
event's current start (so a moved event gets a new reminder). Each batch is
*claimed* before anything is sent: inside one short transaction the sweep
selects due, unclaimed rows (``SELECT ... FOR UPDATE SKIP LOCKED`` where the
database has it; SQLite's IMMEDIATE transactions serialise writers instead)
and marks them with ``reminder_claimed_for``/``reminder_claimed_at`` by an
UPDATE that repeats the conditions. The claim is committed, then the batch is
sent over one mail connection, and ``reminder_sent_for`` is recorded *while*
it goes out (every ``RECORD_EVERY`` messages, and at least every
``RECORD_INTERVAL`` seconds), only for rows this batch still holds. So:

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
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html
from wagtail.whitelist import Whitelister

from . import emails, jobs, tokens
from .conf import campus_time_zone, campus_time_zone_name, get_setting
from .models import EventPageMixin, Registration, event_page_models
from .templatetags.webinars import campus_datetime
from .templatetags.webinars_text import richtext_as_text
from .urls_util import site_root_url

logger = logging.getLogger(__name__)

# How much of a failure's text we keep on the row.
ERROR_MAX_LENGTH = 500

#: While a batch goes out, its sends are recorded every this many messages...
RECORD_EVERY = 25
#: ...and at least this often (seconds), so a slow mail relay's sends are on
#: record within a second: a worker killed outright repeats only those.
RECORD_INTERVAL = 1.0

# Time budgets are measured on a monotonic clock: a wall-clock step cannot stretch them.
_clock = time.monotonic


def time_budget() -> float:
    """Seconds one sweep (or one resend task) may spend before it stops claiming
    and sending, leaving the rest to the next run.

    Half the shorter of django-q2's task timeout (``Q_CLUSTER["timeout"]``) and
    ``REMINDER_CLAIM_TIMEOUT_SECONDS``: the message in flight and the bookkeeping
    then finish long before the task is killed or its claims could be taken over.
    """
    claim_timeout = get_setting("REMINDER_CLAIM_TIMEOUT_SECONDS")
    task_timeout = (getattr(settings, "Q_CLUSTER", None) or {}).get("timeout")
    return (min(claim_timeout, task_timeout) if task_timeout else claim_timeout) / 2


@dataclass
class DeliveryReport:
    """What one sweep (or one resend) did."""

    sent: int = 0
    failed: int = 0
    #: Primary keys of the events that had reminders due.
    events: list[int] = field(default_factory=list)
    #: The run stopped at its time budget before it could tell it was done:
    #: the next run sends whatever is left.
    out_of_time: bool = False

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.out_of_time = self.out_of_time or other.out_of_time

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "events": list(self.events),
            "out_of_time": self.out_of_time,
        }


# -- the email ------------------------------------------------------------------------


@dataclass
class PreparedEvent:
    """What every reminder for one event shares, worked out once per event."""

    event: EventPageMixin
    subject: str
    site_root: str
    context: dict


def prepare_event(event: EventPageMixin, now: datetime | None = None) -> PreparedEvent:
    """Look up the site, branding and description once, for all of an event's reminders."""
    now = now or timezone.now()
    _pin_site(event)
    site_root = site_root_url(event)
    context = {
        "event": event,
        "local_start": timezone.localtime(event.start, campus_time_zone()),
        "local_end": timezone.localtime(event.end, campus_time_zone()),
        "start_text": campus_datetime(event.start),
        "time_zone_name": campus_time_zone_name(),
        "event_url": site_root + (event.url or ""),
        "branding": emails.branding_for(event),
        "description_html": email_safe_html(event.description, site_root),
        "description_text": richtext_as_text(event.description),
        "already_started": now >= event.start,
    }
    subject = _("Reminder: %(title)s, %(when)s") % {
        "title": event.title,
        "when": context["start_text"],
    }
    return PreparedEvent(event=event, subject=subject, site_root=site_root, context=context)


def _pin_site(event: EventPageMixin) -> None:
    # Page.get_site() is a query on every call, and the URL helpers, the
    # branding and the .ics all call it for every message: look it up once.
    site = event.get_site()
    event.get_site = lambda: site


_RELATIVE_LINK = re.compile(r'\b(href|src)="/(?!/)')


def email_safe_html(richtext: str | None, site_root: str) -> SafeString:
    """Rich text fit for an email: Wagtail links expanded, only harmless markup
    kept (no scripts, styles, forms or event handlers), site links made absolute
    because a mail client has no "current site"."""
    if not richtext:
        return mark_safe("")
    markup = Whitelister().clean(expand_db_html(str(richtext)))
    markup = _RELATIVE_LINK.sub(lambda m: f'{m.group(1)}="{site_root}/', markup)
    return mark_safe(markup)  # sanitised just above


def reminder_message(prepared: PreparedEvent, registration: Registration) -> EmailMultiAlternatives:
    """The reminder for one registration: HTML and text, the .ics, Reply-To the event's."""
    event = prepared.event
    # Templates overridden by a host project may follow registration.page: no query.
    registration.page = event
    join_url = prepared.site_root + reverse(
        "wagtail_webinars:join", kwargs={"token": tokens.make_token(registration, tokens.JOIN)}
    )
    provider = event.provider
    context = {
        **prepared.context,
        "registration": registration,
        "join_url": join_url,
        "password": provider.join_info(registration).password if provider else "",
        "cancel_url": prepared.site_root
        + reverse(
            "wagtail_webinars:cancel",
            kwargs={"token": tokens.make_token(registration, tokens.CANCEL)},
        ),
    }
    return emails.build_message(
        template="reminder",
        subject=prepared.subject,
        event=event,
        registration=registration,
        context=context,
        ics_join_url=join_url,
    )


# -- sending ----------------------------------------------------------------------------


class NotAccepted(Exception):
    """The mail backend returned without sending (it reported 0 messages sent)."""


def _describe(err: Exception) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text[:ERROR_MAX_LENGTH]


@dataclass
class BatchOutcome:
    """What became of one claimed batch."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    #: Claimed but not sent: the time budget ran out (or the worker was stopped).
    unsent: list[int] = field(default_factory=list)


def _deliver(
    prepared: PreparedEvent,
    registrations: list[Registration],
    *,
    deadline: float,
    record_sent: Callable[[list[int]], None],
    release: Callable[[dict[int, str], list[int]], None],
) -> BatchOutcome:
    """Send one claimed batch over one connection, recording sends as they happen.

    ``record_sent(pks)`` is called every ``RECORD_EVERY`` messages (or
    ``RECORD_INTERVAL`` seconds) and for the last ones; ``release(failed,
    unsent)`` once, for the rows whose mail did not go out. Messages go one
    ``send_messages`` call at a time on the open connection, so a failure is
    pinned on the registration it belongs to. Sending stops at ``deadline`` (on
    :data:`_clock`), after at least one message, so every run makes progress.
    """
    outcome = BatchOutcome()
    connection = get_connection()
    try:
        connection.open()
    except Exception as err:
        reason = _describe(err)
        logger.warning("mail connection failed for a reminder batch: %s", type(err).__name__)
        outcome.failed = {r.pk: reason for r in registrations}
        release(outcome.failed, [])
        return outcome

    pending: list[int] = []

    def flush() -> None:
        if pending:
            record_sent(list(pending))
            outcome.sent += pending
            pending.clear()

    def finish() -> None:
        flush()
        done = set(outcome.sent) | set(outcome.failed)
        outcome.unsent = [r.pk for r in registrations if r.pk not in done]
        if outcome.failed or outcome.unsent:
            release(outcome.failed, outcome.unsent)

    try:
        last_flush = _clock()
        for index, registration in enumerate(registrations):
            if index and _clock() >= deadline:
                break
            try:
                message = reminder_message(prepared, registration)
                if connection.send_messages([message]) != 1:
                    raise NotAccepted(_("The mail server did not accept the message."))
            except Exception as err:
                outcome.failed[registration.pk] = _describe(err)
                logger.warning(
                    "reminder for registration %s not sent: %s",
                    registration.pk,
                    type(err).__name__,
                )
            else:
                pending.append(registration.pk)
            if len(pending) >= RECORD_EVERY or (
                pending and _clock() - last_flush >= RECORD_INTERVAL
            ):
                flush()
                last_flush = _clock()
    except BaseException:
        # The worker is being stopped: django-q2 ends a task that outlives its
        # timeout by raising a SystemExit wherever it is. Put what went out on
        # record and free the rest (the message in flight included: it may not
        # have gone) before leaving, as far as the database still lets us.
        try:
            finish()
        except Exception as err:
            logger.warning(
                "recording a stopped reminder batch failed: %s; its claims will time out",
                type(err).__name__,
            )
        raise
    else:
        finish()
    finally:
        try:
            connection.close()
        except Exception as err:
            # Everything was handed over already; a failing QUIT changes nothing.
            logger.warning("closing the mail connection failed: %s", type(err).__name__)
    return outcome


def _claim_batch(
    claimable: QuerySet,
    conditions: Q,
    after_pk: int,
    size: int,
    claim: Callable[[datetime], dict],
    stamp_field: str,
) -> tuple[list[Registration], datetime | None]:
    """Claim up to ``size`` rows of ``claimable.filter(conditions)`` after ``after_pk``.

    Returns the claimed rows (in pk order) and the claim's timestamp.
    """
    with transaction.atomic():
        rows = claimable.filter(conditions, pk__gt=after_pk).order_by("pk")
        if db_connection.features.has_select_for_update_skip_locked:
            # Rows another sweep is claiming right now are skipped, not waited for.
            rows = rows.select_for_update(skip_locked=True)
        batch = list(rows[:size])
        if not batch:
            return [], None
        stamp = timezone.now()
        pks = [r.pk for r in batch]
        # The UPDATE repeats the conditions: on a database that neither locks
        # rows nor serialises writers it still claims each row only once.
        updated = claimable.filter(conditions, pk__in=pks).update(**claim(stamp))
        if updated != len(batch):
            mine = set(
                claimable.model.objects.filter(pk__in=pks, **{stamp_field: stamp}).values_list(
                    "pk", flat=True
                )
            )
            batch = [r for r in batch if r.pk in mine]
    return batch, stamp


def _error_case(failed: dict[int, str]) -> Case:
    # Rows not in ``failed`` (released unsent) keep the error they had.
    return Case(
        *(When(pk=pk, then=Value(reason)) for pk, reason in failed.items()),
        default=F("reminder_error"),
        output_field=TextField(),
    )


# -- the sweep ----------------------------------------------------------------------------


def _due_at() -> ExpressionWrapper:
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
            .alias(due_at=_due_at())
            .filter(due_at__lte=now)
            .order_by("start", "pk")
        )
    events.sort(key=lambda event: (event.start, event.pk))
    return events


def send_due_reminders(now: datetime | None = None) -> DeliveryReport:
    """One sweep: send every reminder that is due and not yet sent, exactly once.

    ``now`` decides what is due (default: the current time); claims and
    "sent" stamps always use the clock. Stops after :func:`time_budget`; what is
    left goes out with the next sweep.
    """
    now = now or timezone.now()
    deadline = _clock() + time_budget()
    report = DeliveryReport()
    for event in due_events(now):
        report.events.append(event.pk)
        # The first event is always swept (it gets at least one batch), so even
        # a budget spent on finding the events cannot stall the reminders.
        if report.out_of_time or (len(report.events) > 1 and _clock() >= deadline):
            report.out_of_time = True
            continue
        report.add(_sweep_event(event, now, deadline))
    if report.sent or report.failed or report.out_of_time:
        logger.info(
            "reminder sweep: %s sent, %s failed, events %s%s",
            report.sent,
            report.failed,
            report.events,
            "; out of time, the next sweep sends the rest" if report.out_of_time else "",
        )
    return report


def _sweep_event(event: EventPageMixin, now: datetime, deadline: float) -> DeliveryReport:
    report = DeliveryReport()
    start = event.start
    size = get_setting("REMINDER_BATCH_SIZE")
    due = Registration.objects.active().filter(page_id=event.pk).exclude(reminder_sent_for=start)
    prepared: PreparedEvent | None = None
    last_pk = 0
    while True:
        if last_pk and _clock() >= deadline:
            report.out_of_time = True
            break
        stale = timezone.now() - timedelta(seconds=get_setting("REMINDER_CLAIM_TIMEOUT_SECONDS"))
        unclaimed = (
            Q(reminder_claimed_at__isnull=True)
            | Q(reminder_claimed_at__lt=stale)
            # A claim for an earlier start (the event moved) is no claim on this one.
            | ~Q(reminder_claimed_for=start)
        )
        batch, stamp = _claim_batch(
            due,
            unclaimed,
            last_pk,
            size,
            lambda at: {"reminder_claimed_for": start, "reminder_claimed_at": at},
            "reminder_claimed_at",
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        if prepared is None:
            prepared = prepare_event(event, now)
        # Only rows still claimed by this batch: should a claim ever be taken
        # over, the sweep that took it over records the outcome.
        mine = Registration.objects.filter(reminder_claimed_for=start, reminder_claimed_at=stamp)

        def record_sent(pks: list[int], mine: QuerySet = mine) -> None:
            mine.filter(pk__in=pks).update(
                reminder_sent_for=start,
                reminder_sent_at=timezone.now(),
                reminder_claimed_for=None,
                reminder_claimed_at=None,
                reminder_error="",
            )

        def release(failed: dict[int, str], unsent: list[int], mine: QuerySet = mine) -> None:
            mine.filter(pk__in=[*failed, *unsent]).update(
                reminder_claimed_for=None,
                reminder_claimed_at=None,
                reminder_error=_error_case(failed),
            )

        outcome = _deliver(
            prepared, batch, deadline=deadline, record_sent=record_sent, release=release
        )
        report.sent += len(outcome.sent)
        report.failed += len(outcome.failed)
        if outcome.unsent:
            report.out_of_time = True
            break
    return report


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


def _resend_conditions(requested_at: datetime) -> Q:
    # Rows already resent after the request was made are done: running the
    # task twice (a worker retry, a double-clicked button) sends once.
    return Q(reminder_resent_at__isnull=True) | Q(reminder_resent_at__lt=requested_at)


def _resend_claim(at: datetime) -> dict:
    return {"reminder_resent_at": at, "reminder_resend_count": F("reminder_resend_count") + 1}


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


def _event_page(page_id: int) -> EventPageMixin | None:
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).specific().first()
    return page if isinstance(page, tuple(event_page_models())) else None


def _resend(
    event_id: int,
    registrations: QuerySet,
    requested_at: datetime,
    this_task: tuple[str, int],
) -> DeliveryReport:
    report = DeliveryReport()
    deadline = _clock() + time_budget()
    event = _event_page(event_id)
    if event is None:
        return report
    report.events.append(event.pk)
    size = get_setting("REMINDER_BATCH_SIZE")
    conditions = _resend_conditions(requested_at)
    prepared: PreparedEvent | None = None
    last_pk = 0
    while True:
        # At least one batch per run: a continuation always makes progress.
        if last_pk and _clock() >= deadline:
            report.out_of_time = True
            break
        batch, stamp = _claim_batch(
            registrations.filter(page_id=event_id),
            conditions,
            last_pk,
            size,
            _resend_claim,
            "reminder_resent_at",
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        if prepared is None:
            prepared = prepare_event(event)

        def release(
            failed: dict[int, str], unsent: list[int], batch: list = batch, stamp=stamp
        ) -> None:
            gone = {*failed, *unsent}
            _undo_resend_claims([r for r in batch if r.pk in gone], failed, stamp)

        outcome = _deliver(
            prepared,
            batch,
            deadline=deadline,
            record_sent=_clear_reminder_error,
            release=release,
        )
        report.sent += len(outcome.sent)
        report.failed += len(outcome.failed)
        if outcome.unsent:
            report.out_of_time = True
            break
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
        reminder_error=_error_case(failed),
    )
