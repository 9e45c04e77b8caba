"""The registration service: register, cancel, re-register.

Every entry point (the event page, the Wagtail admin, GraphQL) calls these
functions, so the rules live in exactly one place:

* one row per (event, email); a duplicate for an active registration creates
  nothing, changes nothing and resends the confirmation (throttled);
* registering again after a cancellation re-activates the same row (so the
  provider re-approves the same registrant instead of adding a new one). From
  the public form it only asks: the person gets an email with a signed "yes,
  register me again" link, and nothing changes until they follow it
  (:func:`confirm_reactivation`), so nobody can re-register, rename or re-answer
  for someone else's address; staff re-registration stays immediate;
* no registration before it opens, after it closes, once the event started, or
  beyond capacity, whichever path the request came through.

Capacity holds under concurrency because each registration for an event with a
capacity locks the event's row first (PostgreSQL: ``SELECT ... FOR UPDATE``;
SQLite: an IMMEDIATE transaction serialises writers).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import jobs, validators

# The submodule, not ``.models``: the event page calls this service, and importing
# the pages from here would put them in one import loop with it.
from .models.registration import Registration
from .providers.base import ProviderStatus

if TYPE_CHECKING:
    from .models.pages import EventPageMixin

logger = logging.getLogger(__name__)


class RegistrationRefused(Exception):
    """The rules say no. ``message`` is fit to show the visitor; ``code`` is for programs."""

    def __init__(self, message: str, code: str):
        self.message = message
        self.code = code
        super().__init__(message)


#: What a registration change did (``RegistrationResult.outcome``).
CREATED = "created"
REACTIVATED = "reactivated"
ALREADY_REGISTERED = "already_registered"
CANCELLED = "cancelled"
#: A cancelled person asked to register again from the public form: they were
#: emailed a link to confirm, and nothing else changed.
REACTIVATION_OFFERED = "reactivation_offered"
#: The provider says the person cancelled there (a webhook): cancelled here, the
#: provider is not told again, the person is told by email.
CANCELLED_AT_PROVIDER = "cancelled_at_provider"
#: Someone who registered at the provider directly, adopted by staff: a registration
#: already held by the provider (nothing to push), confirmed by email.
ADOPTED = "adopted"


def _queue_after_change(registration_id: int, outcome: str, needs_sync: bool) -> None:
    # One task per change, after commit: it sends the confirmation and syncs the
    # provider (see :mod:`wagtail_webinars.registration_effects`).
    jobs.enqueue_on_commit(jobs.REGISTRATION_CHANGED, registration_id, outcome, needs_sync)


@dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    #: "created", "reactivated" or "already_registered".
    outcome: str

    @property
    def created(self) -> bool:
        return self.outcome == "created"

    @property
    def already_registered(self) -> bool:
        return self.outcome == "already_registered"


def validate_registrant(
    email: str, first_name: str, last_name: str, answers: Mapping[str, Any] | None = None
) -> tuple[str, str, str]:
    """Clean the three standard fields (and check any extra answers) or raise a
    ``ValidationError`` keyed by field ("answers" for the extra answers)."""
    errors: dict[str, ValidationError] = {}
    cleaned: dict[str, Any] = {}
    for field, func in (
        ("email", lambda: validators.clean_email(email)),
        ("first_name", lambda: validators.clean_name(first_name, _("first name"))),
        ("last_name", lambda: validators.clean_name(last_name, _("last name"))),
        ("answers", lambda: validators.clean_answers(answers)),
    ):
        try:
            cleaned[field] = func()
        except ValidationError as err:
            errors[field] = err
    if errors:
        raise ValidationError(errors)
    return cleaned["email"], cleaned["first_name"], cleaned["last_name"]


def register(
    event: EventPageMixin,
    *,
    email: str,
    first_name: str,
    last_name: str,
    answers: dict | None = None,
    source: str = Registration.Source.WEB,
    now: datetime | None = None,
    enforce_rules: bool = True,
    ask_before_reactivating: bool = False,
) -> RegistrationResult:
    """Register someone for ``event`` (or re-activate their cancelled registration).

    ``enforce_rules=False`` lets staff add someone after registration closed or
    beyond capacity; everything else (validation, one row per email) still holds.
    ``ask_before_reactivating`` is for anonymous callers (the public form): a
    cancelled registration is not re-activated but offered back by email
    (outcome ``reactivation_offered``), and the rules are checked before the
    address's state, so the answer does not depend on it.
    Raises ``ValidationError`` for bad input and ``RegistrationRefused`` when the
    rules say no; in both cases nothing is saved.
    """
    email, first_name, last_name = validate_registrant(email, first_name, last_name, answers)
    answers = dict(answers or {})
    now = now or timezone.now()
    if not _takes_registrations(event):
        raise RegistrationRefused(_("This page does not take registrations."), "not_an_event")

    arguments = (event, email, first_name, last_name, answers, source, now, enforce_rules)
    try:
        # The common case first: a new address is one insert, and the unique (event,
        # email) constraint says whether the address has a row. Looking it up first
        # cost every POST a query that grew with the event's registrations.
        result = _register_in_transaction(*arguments, ask_before_reactivating, new_only=True)
    except IntegrityError:
        result = None
    if result is None:
        # The address has a row (or got one from a registration racing this one):
        # that row, locked, decides.
        try:
            result = _register_in_transaction(*arguments, ask_before_reactivating, new_only=False)
        except IntegrityError:
            # Its row was deleted and made again in between: it is registered.
            existing = Registration.objects.get(page=event, email=email)
            result = RegistrationResult(existing, ALREADY_REGISTERED)
            _queue_for(result)

    logger.info(
        "registration %s for event %s: %s", result.registration.pk, event.pk, result.outcome
    )
    return result


def _queue_for(result: RegistrationResult) -> None:
    needs_sync = result.registration.sync_status != Registration.SyncStatus.NOT_APPLICABLE
    _queue_after_change(result.registration.pk, result.outcome, needs_sync)


def _register_in_transaction(*arguments, new_only: bool) -> RegistrationResult | None:
    """One attempt, in its own transaction with its queued task. With ``new_only``
    it creates a registration when the rules allow one (``IntegrityError`` when the
    address has a row: nothing of the attempt is kept) and returns None when they
    refuse, so that the address's row is looked at before answering."""
    with transaction.atomic():
        result = _register_locked(*arguments, new_only=new_only)
        if result is not None:
            _queue_for(result)
    return result


def _register_locked(
    event, email, first_name, last_name, answers, source, now, enforce_rules, ask, *, new_only
):
    # Lock the event row when it has a capacity: concurrent registrations for it
    # queue here, so the count of places taken cannot be raced. Without one there is
    # nothing to count: the row of the address (locked below) and the unique
    # (event, email) constraint keep one registration per address.
    locked = _lock_event(event) if event.capacity is not None else event
    if new_only:
        if enforce_rules and _rules_refusal(event, locked, now) is not None:
            # Refused for a newcomer; an address with an active row may still be
            # answered "already registered" (staff), so its row decides.
            return None
        return RegistrationResult(
            _create(event, email, first_name, last_name, answers, source), CREATED
        )
    existing = (
        Registration.objects.select_for_update().filter(page_id=event.pk, email=email).first()
    )
    if ask:
        # Anonymous callers: the rules first, so a closed or full event answers the
        # same whether or not this address is registered.
        if enforce_rules:
            _check_rules(event, locked, now)
        if existing is not None and existing.is_active:
            return RegistrationResult(existing, ALREADY_REGISTERED)
    else:
        if existing is not None and existing.is_active:
            return RegistrationResult(existing, ALREADY_REGISTERED)
        if enforce_rules:
            _check_rules(event, locked, now)

    form_data = _form_data(answers, email, first_name, last_name)
    if existing is not None and ask:
        # Nothing changes but the request, kept until the person confirms it.
        existing.pending_form_data = {**form_data, "requested_at": now.isoformat()}
        existing.save(update_fields=["pending_form_data"])
        return RegistrationResult(existing, REACTIVATION_OFFERED)
    if existing is not None:
        _reactivate(existing, event, form_data, source, now)
        return RegistrationResult(existing, REACTIVATED)

    return RegistrationResult(
        _create(event, email, first_name, last_name, answers, source), CREATED
    )


def _create(event, email, first_name, last_name, answers, source) -> Registration:
    return Registration.objects.create(
        page=event,
        email=email,
        first_name=first_name,
        last_name=last_name,
        form_data=_form_data(answers, email, first_name, last_name),
        source=source,
        sync_status=_initial_sync_status(event),
    )


def _form_data(answers, email, first_name, last_name) -> dict:
    # What Wagtail's submissions list shows: the answers and the standard fields.
    return {**answers, "first_name": first_name, "last_name": last_name, "email": email}


def _takes_registrations(page) -> bool:
    # Any page with the event behaviour (ours, or a host project's built from
    # EventPageMixin); tested by what the rules call rather than by class, so this
    # module need not import the pages that call it.
    return callable(getattr(page, "registration_closed_reason", None)) and callable(
        getattr(page, "get_submission_class", None)
    )


def _lock_event(event):
    # The event's own model: a host project's page built from AbstractEventPage too.
    return type(event).objects.select_for_update().only("pk", "capacity").get(pk=event.pk)


def _check_rules(event, locked, now) -> None:
    refusal = _rules_refusal(event, locked, now)
    if refusal is not None:
        raise refusal


def _rules_refusal(event, locked, now) -> RegistrationRefused | None:
    reason = event.registration_closed_reason(now)
    if reason:
        return RegistrationRefused(reason, "closed")
    if locked.capacity is not None:
        taken = Registration.objects.filter(page_id=event.pk, status="registered").count()
        if taken >= locked.capacity:
            return RegistrationRefused(_("Sorry, this event is full."), "full")
    return None


def _initial_sync_status(event) -> str:
    if event.is_managed:
        return Registration.SyncStatus.PENDING
    return Registration.SyncStatus.NOT_APPLICABLE


def _reactivate(existing: Registration, event, form_data: dict, source: str, now) -> None:
    existing.status = Registration.Status.REGISTERED
    existing.first_name = form_data["first_name"]
    existing.last_name = form_data["last_name"]
    existing.form_data = form_data
    existing.pending_form_data = {}
    existing.source = source
    existing.cancelled_at = None
    existing.registered_at = now
    if _initial_sync_status(event) == Registration.SyncStatus.PENDING:
        existing.mark_sync_pending()
    existing.save()


def confirm_reactivation(
    registration: Registration, *, now: datetime | None = None
) -> RegistrationResult:
    """The person followed the "yes, register me again" link from their inbox.

    The link proves the address is theirs: the registration is re-activated with
    what they entered on the form (or, without a pending request, what it had),
    under the same rules as a new registration. Following the link again once
    registered changes nothing (outcome ``already_registered``, no mail).
    Raises ``RegistrationRefused`` when the rules say no (nothing changes then).
    """
    now = now or timezone.now()
    event = registration.page.specific
    if not _takes_registrations(event):
        raise RegistrationRefused(_("This page does not take registrations."), "not_an_event")
    with transaction.atomic():
        locked_event = _lock_event(event)
        row = Registration.objects.select_for_update().get(pk=registration.pk)
        if row.is_active:
            return RegistrationResult(row, ALREADY_REGISTERED)
        _check_rules(event, locked_event, now)
        pending = dict(row.pending_form_data or {})
        pending.pop("requested_at", None)
        form_data = pending or {
            **row.form_data,
            "first_name": row.first_name,
            "last_name": row.last_name,
        }
        form_data["email"] = row.email
        _reactivate(row, event, form_data, Registration.Source.WEB, now)
        needs_sync = row.sync_status != Registration.SyncStatus.NOT_APPLICABLE
        _queue_after_change(row.pk, REACTIVATED, needs_sync)
    logger.info("registration %s for event %s: reactivated from the email link", row.pk, event.pk)
    return RegistrationResult(row, REACTIVATED)


def cancel(
    registration: Registration, *, now: datetime | None = None, by_provider: bool = False
) -> Registration:
    """Cancel a registration (idempotent: cancelling twice changes nothing).

    ``by_provider``: the provider says the person cancelled there (Zoom's webhook).
    Then the provider is NOT told again: it already agrees, and telling it would only
    echo back (a loop, and Zoom's daily status limit); the person is told by email.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if not locked.is_active:
            return locked
        locked.status = Registration.Status.CANCELLED
        locked.cancelled_at = now
        update_fields = ["status", "cancelled_at", "updated_at"]
        managed = locked.sync_status != Registration.SyncStatus.NOT_APPLICABLE
        if by_provider:
            locked.provider_status = ProviderStatus.CANCELLED
            update_fields.append("provider_status")
            if managed:
                update_fields += locked.mark_synced(now)
        elif managed:
            # The provider must hear about it: cancel there too.
            update_fields += locked.mark_sync_pending()
        locked.save(update_fields=update_fields)
        outcome = CANCELLED_AT_PROVIDER if by_provider else CANCELLED
        _queue_after_change(locked.pk, outcome, managed and not by_provider)
    logger.info("registration %s cancelled%s", locked.pk, " at the provider" if by_provider else "")
    return locked


def adopt_provider_registrant(
    event: EventPageMixin,
    *,
    email: str,
    first_name: str,
    last_name: str,
    registrant_id: str,
    join_url: str = "",
    meeting_id: str = "",
    now: datetime | None = None,
) -> RegistrationResult:
    """Staff adopt someone who registered at the provider directly: a registration
    with the provider's registrant id and personal join link, so they get the
    confirmation and reminders. Nothing is pushed (the provider has them already:
    pushing would spend one of Zoom's few daily adds on a duplicate).

    A staff action: registration rules (closed, full) do not apply. An active
    registration for the address is left as it is (outcome ``already_registered``);
    a cancelled one is re-activated for this registrant.
    """
    # The provider may have no name for them: the address stands in, as for Zoom.
    email, first_name, last_name = validate_registrant(
        email, first_name or email.split("@")[0], last_name or "-"
    )
    now = now or timezone.now()
    if not _takes_registrations(event):
        raise RegistrationRefused(_("This page does not take registrations."), "not_an_event")
    held = {
        "provider_registrant_id": registrant_id[:128],
        "provider_meeting_id": (meeting_id or event.provider.external_id)[:20],
        "provider_join_url": join_url[:1024],
        "provider_status": ProviderStatus.APPROVED,
    }
    with transaction.atomic():
        _lock_event(event)
        row = Registration.objects.select_for_update().filter(page_id=event.pk, email=email).first()
        if row is not None and row.is_active:
            return RegistrationResult(row, ALREADY_REGISTERED)
        form_data = {"first_name": first_name, "last_name": last_name, "email": email}
        if row is None:
            row = Registration(
                page=event,
                email=email,
                first_name=first_name,
                last_name=last_name,
                form_data=form_data,
                source=Registration.Source.ADMIN,
            )
        else:
            row.status = Registration.Status.REGISTERED
            row.cancelled_at = None
            row.registered_at = now
            row.source = Registration.Source.ADMIN
        for name, value in held.items():
            setattr(row, name, value)
        if _initial_sync_status(event) == Registration.SyncStatus.PENDING:
            row.mark_synced(now)
        row.save()
        _queue_after_change(row.pk, ADOPTED, False)
    logger.info("registration %s for event %s: adopted from the provider", row.pk, event.pk)
    return RegistrationResult(row, ADOPTED)


def rename(registration: Registration, *, first_name: str, last_name: str) -> Registration:
    """Correct a registrant's name (staff, from the admin).

    The answers in ``form_data`` follow, so exports agree with the columns. The
    email cannot change here: it is the person's identity at the provider too.
    A managed provider keeps the name it was first given (Zoom has no call to
    rename a registrant).
    """
    errors: dict[str, ValidationError] = {}
    cleaned: dict[str, str] = {}
    for field, value, label in (
        ("first_name", first_name, _("first name")),
        ("last_name", last_name, _("last name")),
    ):
        try:
            cleaned[field] = validators.clean_name(value, label)
        except ValidationError as err:
            errors[field] = err
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        locked.first_name = cleaned["first_name"]
        locked.last_name = cleaned["last_name"]
        locked.form_data = {**locked.form_data, **cleaned}
        locked.save(update_fields=["first_name", "last_name", "form_data", "updated_at"])
    return locked
