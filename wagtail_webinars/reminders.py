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
sent over one mail connection, then ``reminder_sent_for`` is recorded for the
rows this sweep still holds. So:

* two sweeps (or two workers) at once never claim the same row, so never send
  twice;
* a worker killed after claiming leaves claims behind that a later sweep takes
  over once they are older than ``REMINDER_CLAIM_TIMEOUT_SECONDS``; nobody is
  lost (a worker killed between sending and recording can cause one repeat:
  the one case where "at least once" wins over "at most once");
* a failed send releases that row's claim and records ``reminder_error``; the
  next sweep tries again.

Queries are per batch (``REMINDER_BATCH_SIZE`` rows) and per event, never per
registrant: everything the templates need from the event (site, branding,
rendered description) is worked out once per event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html
from wagtail.whitelist import Whitelister

from . import emails, tokens
from .conf import campus_time_zone, campus_time_zone_name, get_setting
from .joins import attendance_window
from .models import EventPage, Registration
from .templatetags.webinars import campus_datetime
from .templatetags.webinars_text import richtext_as_text
from .urls_util import site_root_url

logger = logging.getLogger(__name__)

# How much of a failure's text we keep on the row.
ERROR_MAX_LENGTH = 500


@dataclass
class DeliveryReport:
    """What one sweep (or one resend) did."""

    sent: int = 0
    failed: int = 0
    #: Primary keys of the events that had reminders due.
    events: list[int] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "events": list(self.events)}


# -- the email ------------------------------------------------------------------------


@dataclass
class PreparedEvent:
    """What every reminder for one event shares, worked out once per event."""

    event: EventPage
    subject: str
    site_root: str
    context: dict


def prepare_event(event: EventPage, now: datetime | None = None) -> PreparedEvent:
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


def _pin_site(event: EventPage) -> None:
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


def _deliver(
    prepared: PreparedEvent, registrations: list[Registration]
) -> tuple[list[int], dict[int, str]]:
    """Send one batch over one connection. Returns (sent pks, {failed pk: reason}).

    Messages go one ``send_messages`` call at a time on the open connection, so
    a failure is pinned on the registration it belongs to.
    """
    sent: list[int] = []
    failed: dict[int, str] = {}
    connection = get_connection()
    try:
        connection.open()
    except Exception as err:
        reason = _describe(err)
        logger.warning("mail connection failed for a reminder batch: %s", type(err).__name__)
        return [], {r.pk: reason for r in registrations}
    try:
        for registration in registrations:
            try:
                message = reminder_message(prepared, registration)
                if connection.send_messages([message]) != 1:
                    raise NotAccepted(_("The mail server did not accept the message."))
            except Exception as err:
                failed[registration.pk] = _describe(err)
                logger.warning(
                    "reminder for registration %s not sent: %s",
                    registration.pk,
                    type(err).__name__,
                )
            else:
                sent.append(registration.pk)
    finally:
        try:
            connection.close()
        except Exception as err:
            # Everything was handed over already; a failing QUIT changes nothing.
            logger.warning("closing the mail connection failed: %s", type(err).__name__)
    return sent, failed


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
    return Case(
        *(When(pk=pk, then=Value(reason)) for pk, reason in failed.items()), default=Value("")
    )


# -- the sweep ----------------------------------------------------------------------------


def due_events(now: datetime | None = None) -> list[EventPage]:
    """Live events whose reminders are due at ``now`` (one query)."""
    now = now or timezone.now()
    default_lead = timedelta(minutes=get_setting("REMINDER_LEAD_MINUTES"))
    closes_after = timedelta(minutes=get_setting("ATTENDANCE_CLOSES_MINUTES_AFTER"))
    candidates = (
        EventPage.objects.live()
        .filter(end__gt=now - closes_after)
        .filter(Q(start__lte=now + default_lead) | Q(reminder_lead_minutes__isnull=False))
        .order_by("start", "pk")
    )
    return [
        event for event in candidates if event.reminder_due_at <= now < attendance_window(event)[1]
    ]


def send_due_reminders(now: datetime | None = None) -> DeliveryReport:
    """One sweep: send every reminder that is due and not yet sent, exactly once.

    ``now`` decides what is due (default: the current time); claims and
    "sent" stamps always use the clock.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    for event in due_events(now):
        report.events.append(event.pk)
        report.add(_sweep_event(event, now))
    if report.sent or report.failed:
        logger.info(
            "reminder sweep: %s sent, %s failed, events %s",
            report.sent,
            report.failed,
            report.events,
        )
    return report


def _sweep_event(event: EventPage, now: datetime) -> DeliveryReport:
    report = DeliveryReport()
    start = event.start
    size = get_setting("REMINDER_BATCH_SIZE")
    due = Registration.objects.active().filter(page_id=event.pk).exclude(reminder_sent_for=start)
    prepared: PreparedEvent | None = None
    last_pk = 0
    while True:
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
        sent, failed = _deliver(prepared, batch)
        mine = Registration.objects.filter(reminder_claimed_for=start, reminder_claimed_at=stamp)
        if sent:
            # Only rows still claimed by this batch: if a slow batch's claim was
            # taken over, the sweep that took it over records the outcome.
            mine.filter(pk__in=sent).update(
                reminder_sent_for=start,
                reminder_sent_at=timezone.now(),
                reminder_claimed_for=None,
                reminder_claimed_at=None,
                reminder_error="",
            )
        if failed:
            mine.filter(pk__in=list(failed)).update(
                reminder_claimed_for=None,
                reminder_claimed_at=None,
                reminder_error=_error_case(failed),
            )
        report.sent += len(sent)
        report.failed += len(failed)
    return report


# -- resends ------------------------------------------------------------------------------


def request_resend(registration: Registration) -> None:
    """Staff action: queue the reminder again for one registration.

    Resends leave the sweep's own bookkeeping (``reminder_sent_for`` and the
    claims) alone; they are counted in ``reminder_resend_count``.
    """
    from . import tasks

    requested_at = timezone.now()
    registration_id = registration.pk
    transaction.on_commit(
        lambda: tasks.enqueue(
            "wagtail_webinars.tasks.resend_reminder", registration_id, requested_at
        )
    )


def request_resend_all(event: EventPage) -> int:
    """Staff action: queue the reminder again for every active registrant of
    ``event``. Returns how many that is now."""
    from . import tasks

    requested_at = timezone.now()
    event_id = event.pk
    count = Registration.objects.active().filter(page_id=event_id).count()
    transaction.on_commit(
        lambda: tasks.enqueue(
            "wagtail_webinars.tasks.resend_event_reminders", event_id, requested_at
        )
    )
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
    )


def resend_event_reminders(event_id: int, requested_at: datetime) -> DeliveryReport:
    """Task body: resend the reminder to every active registrant of one event."""
    return _resend(event_id, Registration.objects.active().filter(page_id=event_id), requested_at)


def _resend(event_id: int, registrations: QuerySet, requested_at: datetime) -> DeliveryReport:
    report = DeliveryReport()
    event = EventPage.objects.filter(pk=event_id).first()
    if event is None:
        return report
    report.events.append(event.pk)
    size = get_setting("REMINDER_BATCH_SIZE")
    conditions = _resend_conditions(requested_at)
    prepared: PreparedEvent | None = None
    last_pk = 0
    while True:
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
        sent, failed = _deliver(prepared, batch)
        if sent:
            Registration.objects.filter(pk__in=sent).update(reminder_error="")
        if failed:
            _undo_resend_claims([r for r in batch if r.pk in failed], failed, stamp)
        report.sent += len(sent)
        report.failed += len(failed)
    logger.info(
        "reminder resend for event %s: %s sent, %s failed", event_id, report.sent, report.failed
    )
    return report


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
