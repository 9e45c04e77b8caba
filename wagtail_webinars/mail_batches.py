"""Claim, deliver, record: the engine that sends one event's mail in batches.

The reminder sweep and the staff resends are both "send this message to these
registrations of one event, each once, within a time budget". They differ only
in which rows are due and how a row is marked claimed, sent or given back: a
:class:`Run` says that, and :func:`run` is the one loop that does the rest.

Each batch is *claimed* before anything is sent: inside one short transaction
we select due, unclaimed rows (``SELECT ... FOR UPDATE SKIP LOCKED`` where the
database has it; SQLite's IMMEDIATE transactions serialise writers instead)
and mark them by an UPDATE that repeats the conditions. The claim is committed,
then the batch is sent over one mail connection, and what went out is recorded
*while* it goes out (every :data:`RECORD_EVERY` messages, and at least every
:data:`RECORD_INTERVAL` seconds). What did not go out (a failure, the time
budget, a stopped worker) is released for a later run. The guarantees that
follow are described in :mod:`wagtail_webinars.reminders`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, TextField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from . import emails
from .conf import get_setting
from .emails import PreparedEvent
from .models import EventPageMixin, Registration

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


def deadline_from_now() -> float:
    return _clock() + time_budget()


def out_of_time(deadline: float) -> bool:
    return _clock() >= deadline


@dataclass
class DeliveryReport:
    """What one sweep (or one resend) did."""

    sent: int = 0
    failed: int = 0
    #: Primary keys of the events that had mail due.
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


# -- one run over one event -----------------------------------------------------------


@dataclass
class Run:
    """What one kind of mail run over one event's registrations needs to say.

    ``due`` holds the registrations that may get the message; ``unclaimed()``
    the condition a due row must meet to be claimed now (called once per
    batch); ``claim(at)`` the field values that claim a row; ``stamp_field``
    the field whose value equals ``at`` on every row this batch holds.
    ``record_sent(batch, stamp, pks)`` and ``release(batch, stamp, failed,
    unsent)`` put the outcome on the rows.
    """

    event: EventPageMixin
    due: QuerySet
    unclaimed: Callable[[], Q]
    claim: Callable[[datetime], dict]
    stamp_field: str
    record_sent: Callable[[list[Registration], datetime, list[int]], None]
    release: Callable[[list[Registration], datetime, dict[int, str], list[int]], None]
    message: Callable[[PreparedEvent, Registration], EmailMessage] = emails.reminder_message


def run(job: Run, *, deadline: float, now: datetime | None = None) -> DeliveryReport:
    """Claim and send ``job``'s due rows batch by batch until none is left or
    ``deadline`` passes (at least one batch either way, so every run makes
    progress). ``now`` is the time the messages speak of ("has started")."""
    report = DeliveryReport()
    size = get_setting("REMINDER_BATCH_SIZE")
    prepared: PreparedEvent | None = None
    last_pk = 0
    while True:
        if last_pk and out_of_time(deadline):
            report.out_of_time = True
            break
        batch, stamp = claim_batch(
            job.due, job.unclaimed(), last_pk, size, job.claim, job.stamp_field
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        if prepared is None:
            prepared = emails.prepare_event(job.event, now)

        def record_sent(pks: list[int], batch: list = batch, stamp: datetime = stamp) -> None:
            job.record_sent(batch, stamp, pks)

        def release(
            failed: dict[int, str], unsent: list[int], batch: list = batch, stamp=stamp
        ) -> None:
            job.release(batch, stamp, failed, unsent)

        outcome = deliver(
            prepared,
            batch,
            deadline=deadline,
            record_sent=record_sent,
            release=release,
            message=job.message,
        )
        report.sent += len(outcome.sent)
        report.failed += len(outcome.failed)
        if outcome.unsent:
            report.out_of_time = True
            break
    return report


# -- claiming ------------------------------------------------------------------------------


def claim_batch(
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


def error_case(failed: dict[int, str]) -> Case:
    """``reminder_error`` for an UPDATE: each failed row's reason; other rows
    (released unsent) keep the error they had."""
    return Case(
        *(When(pk=pk, then=Value(reason)) for pk, reason in failed.items()),
        default=F("reminder_error"),
        output_field=TextField(),
    )


# -- sending -------------------------------------------------------------------------------


class NotAccepted(Exception):
    """The mail backend returned without sending (it reported 0 messages sent)."""


def describe_error(err: Exception) -> str:
    """A mail failure in words for staff (on the registration; never logged)."""
    text = f"{type(err).__name__}: {err}".strip()
    return text[:ERROR_MAX_LENGTH]


@dataclass
class BatchOutcome:
    """What became of one claimed batch."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    #: Claimed but not sent: the time budget ran out (or the worker was stopped).
    unsent: list[int] = field(default_factory=list)


def deliver(
    prepared: PreparedEvent,
    registrations: list[Registration],
    *,
    deadline: float,
    record_sent: Callable[[list[int]], None],
    release: Callable[[dict[int, str], list[int]], None],
    message: Callable[[PreparedEvent, Registration], EmailMessage] = emails.reminder_message,
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
        reason = describe_error(err)
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
                if connection.send_messages([message(prepared, registration)]) != 1:
                    raise NotAccepted(_("The mail server did not accept the message."))
            except Exception as err:
                outcome.failed[registration.pk] = describe_error(err)
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
