"""What follows a registration change once it is committed: the confirmation
mail and the provider sync (one task per change), and keeping the registrant of a
deleted registration until the provider has it cancelled.

Kept apart from :mod:`wagtail_webinars.registration` so the service stays about
rules and this module about side effects. The service queues
``jobs.REGISTRATION_CHANGED`` after commit; the worker runs
:func:`run_after_change`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from . import emails, jobs, sync
from .conf import get_setting
from .mail_batches import describe_error
from .models import Registration
from .registration import (
    ADOPTED,
    ALREADY_REGISTERED,
    CANCELLED,
    CANCELLED_AT_PROVIDER,
    CREATED,
    REACTIVATED,
    REACTIVATION_OFFERED,
)
from .templatetags.webinars import campus_time

logger = logging.getLogger(__name__)

#: A confirmation the mail server did not take is tried again after these many
#: minutes (then given up, the reason left on the registration for staff).
CONFIRMATION_RETRY_MINUTES = (1, 5, 30, 120)
#: The emails tried again. Not the "already registered" and "register again?"
#: mails: they are claimed before they are sent (one per quiet period), and the
#: person has an earlier email already.
RETRIED_OUTCOMES = (CREATED, REACTIVATED, ADOPTED, CANCELLED_AT_PROVIDER)


def run_after_change(
    registration_id: int, outcome: str, needs_sync: bool, attempt: int = 1
) -> None:
    """Send the email the change calls for, then sync the provider.

    ``needs_sync`` is true when the event has a managed provider that must hear of it.
    One task instead of two: every queued task costs the web request an insert
    (and, with django-q2's ORM broker, connection handling). ``attempt`` counts the
    tries of a confirmation the mail server did not take: a later one is queued
    for the mail only (``needs_sync`` false), on either broker, from the database.
    """
    try:
        if outcome in (
            CREATED,
            REACTIVATED,
            ALREADY_REGISTERED,
            REACTIVATION_OFFERED,
            ADOPTED,
            CANCELLED_AT_PROVIDER,
        ):
            registration = (
                Registration.objects.select_related("page").filter(pk=registration_id).first()
            )
            if registration is not None and not _confirmed_already(registration, outcome):
                _send_or_retry(registration, outcome, attempt)
    finally:
        # A failed mail must not hold back the provider: it is a separate concern,
        # and the sync is safe to run whatever happened to the mail.
        if needs_sync and outcome in (CREATED, REACTIVATED, CANCELLED):
            sync.sync_registration(registration_id)


def _send_or_retry(registration: Registration, outcome: str, attempt: int) -> None:
    try:
        send_email_for(registration, outcome)
    except DatabaseError:
        # Not the mail server: the mail may have gone out already, and the task's
        # failure (django-q2's record of it) is the place for this one.
        raise
    except Exception as err:  # the mail backend's errors are its own (SMTP, socket, ...)
        if outcome not in RETRIED_OUTCOMES:
            raise
        _retry_later(registration, outcome, attempt, err)
        return
    if registration.confirmation_error:
        Registration.objects.filter(pk=registration.pk).update(confirmation_error="")


def _retry_later(registration: Registration, outcome: str, attempt: int, err: Exception) -> None:
    reason = describe_error(err)
    if attempt <= len(CONFIRMATION_RETRY_MINUTES):
        at = timezone.now() + timedelta(minutes=CONFIRMATION_RETRY_MINUTES[attempt - 1])
        # A schedule (a row of the database) rather than a queued task: it waits
        # for its time, and the Redis broker keeps nothing a killed worker took.
        jobs.enqueue_at(jobs.REGISTRATION_CHANGED, at, registration.pk, outcome, False, attempt + 1)
        text = _("The mail server did not take it (%(reason)s). We will try again at %(at)s.")
        text = text % {"reason": reason, "at": campus_time(at)}
    else:
        text = _(
            "The mail server did not take it (%(reason)s); not tried again after %(n)s attempts."
        ) % {"reason": reason, "n": attempt}
    Registration.objects.filter(pk=registration.pk).update(confirmation_error=text)
    logger.warning(
        "email for registration %s (attempt %s) not sent: %s",
        registration.pk,
        attempt,
        type(err).__name__,
    )


def _confirmed_already(registration: Registration, outcome: str) -> bool:
    """Whether this change's confirmation went out already: the task runs again when
    its worker was killed after the mail was sent (django-q2 delivers it again)."""
    sent = registration.confirmation_sent_at
    return (
        outcome in (CREATED, REACTIVATED)
        and sent is not None
        and sent >= registration.registered_at
    )


def send_email_for(registration: Registration, outcome: str) -> bool:
    """The email saying what happened (the public page says the same in every
    case); returns whether one went out.

    Besides each registration's resend throttle, one address gets at most
    ``CONFIRMATION_MAILS_PER_ADDRESS_PER_HOUR`` of these an hour across all
    events, so nobody can flood an inbox by registering it for many events.
    Staff adding or re-registering someone are not held back by it.
    """
    if outcome == CANCELLED_AT_PROVIDER:
        # One per cancellation, and the person must hear of it: not throttled.
        return emails.send_provider_cancellation(registration)
    by_staff = (
        outcome in (CREATED, REACTIVATED, ADOPTED)
        and registration.source != Registration.Source.WEB
    )
    if not by_staff and not _mail_allowed(registration.email):
        logger.info("registration %s: hourly mail limit of its address reached", registration.pk)
        return False
    if outcome == REACTIVATION_OFFERED:
        sent = emails.send_reactivation_offer(registration)
    else:
        sent = emails.send_confirmation(registration, resend=outcome == ALREADY_REGISTERED)
    if sent and not by_staff:
        _count_mail(registration.email)
    return sent


def _mail_usage(email: str, increment: bool):
    limit = get_setting("CONFIRMATION_MAILS_PER_ADDRESS_PER_HOUR")
    if not limit:
        return None
    # A digest, never the address itself, in the cache key.
    digest = hashlib.sha256(email.encode()).hexdigest()
    return get_usage(
        None,
        group="wagtail_webinars.confirmation_mails",
        key=lambda group, request: digest,
        rate=f"{limit}/h",
        increment=increment,
    )


def _mail_allowed(email: str) -> bool:
    usage = _mail_usage(email, increment=False)
    # A cache that cannot answer (limit 0) must not stop every confirmation.
    return usage is None or not usage["limit"] or usage["count"] < usage["limit"]


def _count_mail(email: str) -> None:
    _mail_usage(email, increment=True)


def cancel_at_provider_before_delete(sender, instance, **kwargs) -> None:
    """A deleted registration must not stay approved at the provider.

    Whatever deletes it (the registrations admin, Wagtail's submissions list, a
    deleted event page), the row and its registrant id are gone afterwards: its
    registrant is kept, in the same transaction, until the provider has it
    cancelled (:mod:`wagtail_webinars.sync.removed`, retried by the sync sweeper).
    """
    sync.removed.remember(instance)


def cancel_removed_registrant(
    event_id: int, registrant_id: str, email: str, meeting_id: str = ""
) -> bool:
    """A cancel queued by an earlier version, with the registrant's details as task
    arguments: kept and sent like any other (so it is retried if it fails)."""
    pk = sync.removed.remember_queued(event_id, registrant_id, email, meeting_id)
    return sync.removed.cancel_deleted_registrant(pk) == "cancelled"
