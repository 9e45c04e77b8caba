"""What staff do: check in or undo by hand (the record view, the door list), confirm a
name match, and handle the unmatched list (link, register, dismiss, reopen).

Staff's word is final: ``checkin_by_staff`` makes later pulls leave the check-in as
staff set it. Every change locks the row it changes.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import registration as service
from ..models import Registration, UnmatchedParticipant
from .matching import WRITTEN_FIELDS

logger = logging.getLogger(__name__)

S = Registration.CheckinSource
M = Registration.CheckinMatch


class CheckInRefused(Exception):
    """Staff asked for something the rules do not allow; ``message`` says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _locked(registration: Registration) -> Registration:
    return Registration.objects.select_for_update().get(pk=registration.pk)


def check_in(
    registration: Registration,
    source: str = S.STAFF,
    minutes: int | None = None,
    by=None,
    *,
    in_person: bool = False,
    now: datetime | None = None,
) -> Registration:
    """Check someone in. ``source`` is a :class:`Registration.CheckinSource`.

    Staff (``S.STAFF``): final, a pull never changes it; ``in_person`` for the
    door list. Other sources (a webhook, a click) never override staff and keep
    an existing check-in's time. Raises :class:`CheckInRefused` for a cancelled
    registration. Returns the saved registration.
    """
    now = now or timezone.now()
    if source not in S.values:
        raise ValueError(f"unknown check-in source {source!r}")
    with transaction.atomic():
        locked = _locked(registration)
        if not locked.is_active:
            raise CheckInRefused(_("A cancelled registration cannot be checked in."))
        if source != S.STAFF and locked.checkin_by_staff:
            return locked
        if locked.checked_in_at is None or source == S.STAFF:
            # An earlier check-in keeps its time; staff's word replaces how it was known.
            locked.checked_in_at = locked.checked_in_at or now
            locked.checkin_source = source
            locked.checkin_matched_by = ""
            locked.checkin_needs_review = False
            locked.joined_briefly = False
        if in_person:
            locked.attendance_mode = Registration.Attendance.IN_PERSON
        elif not locked.attendance_mode:
            locked.attendance_mode = Registration.Attendance.ONLINE
        if minutes is not None:
            locked.attended_minutes = max(int(minutes), 0)
        if source == S.STAFF:
            locked.checkin_by_staff = True
            locked.checked_in_by = by
        locked.save(update_fields=[*WRITTEN_FIELDS, "checkin_by_staff", "checked_in_by"])
    logger.info("registration %s checked in (%s)", locked.pk, source)
    return locked


def click_check_in_changes(now: datetime) -> dict:
    """The column changes that check a registrant in from a reminder-link click, for
    :func:`wagtail_webinars.joins.record_click`'s one conditional ``UPDATE`` (so a
    click racing a cancellation or another click stays safe). An earlier check-in
    keeps its time and source; staff's check-in or undo is left alone."""
    untouched = Q(checked_in_at__isnull=True, checkin_by_staff=False)

    def unless_checked_in(value, column):
        return Case(When(untouched, then=Value(value)), default=F(column))

    return {
        "checked_in_at": unless_checked_in(now, "checked_in_at"),
        "checkin_source": unless_checked_in(S.EMAIL_CLICK, "checkin_source"),
        "attendance_mode": unless_checked_in(Registration.Attendance.ONLINE, "attendance_mode"),
    }


def undo_check_in(registration: Registration, by=None) -> Registration:
    """Staff: this person did not attend. Final: a pull never checks them in again."""
    with transaction.atomic():
        locked = _locked(registration)
        locked.checked_in_at = None
        locked.checkin_source = ""
        locked.checkin_matched_by = ""
        locked.checkin_needs_review = False
        locked.attendance_mode = ""
        locked.checkin_by_staff = True
        locked.checked_in_by = by
        locked.save(update_fields=[*WRITTEN_FIELDS, "checkin_by_staff", "checked_in_by"])
    logger.info("registration %s check-in undone", locked.pk)
    return locked


def confirm_match(registration: Registration, by=None) -> Registration:
    """Staff looked at a name match and agree: no longer "please review"."""
    with transaction.atomic():
        locked = _locked(registration)
        if locked.checkin_needs_review:
            locked.checkin_needs_review = False
            locked.checkin_by_staff = True
            locked.checked_in_by = by
            locked.save(
                update_fields=[
                    "checkin_needs_review",
                    "checkin_by_staff",
                    "checked_in_by",
                    "updated_at",
                ]
            )
    return locked


def _locked_unmatched(unmatched: UnmatchedParticipant) -> UnmatchedParticipant:
    return UnmatchedParticipant.objects.select_for_update().get(pk=unmatched.pk)


def link_participant(unmatched: UnmatchedParticipant, registration: Registration, by=None):
    """Staff: this unmatched participant is that registrant. Checks them in (or, below
    the minimum, records them as joined briefly) with the participant's minutes."""
    if registration.page_id != unmatched.page_id:
        raise CheckInRefused(_("That registration is for another event."))
    now = timezone.now()
    with transaction.atomic():
        row = _locked_unmatched(unmatched)
        locked = _locked(registration)
        if not locked.is_active:
            raise CheckInRefused(_("A cancelled registration cannot be checked in."))
        row.state = row.State.LINKED if row.state != row.State.REGISTERED else row.state
        row.registration = locked
        row.handled_by = by
        row.handled_at = now
        row.save(update_fields=["state", "registration", "handled_by", "handled_at", "updated_at"])
        locked.attended_minutes = max(locked.attended_minutes or 0, row.minutes)
        locked.attended_first_join = _earliest(locked.attended_first_join, row.first_join)
        locked.attended_last_leave = _latest(locked.attended_last_leave, row.last_leave)
        if locked.checked_in_at is None:
            if row.joined_briefly:
                locked.joined_briefly = True
            else:
                locked.checked_in_at = row.first_join or now
                locked.checkin_source = S.PROVIDER_REPORT
                locked.checkin_matched_by = M.LINKED
                locked.checkin_needs_review = False
                locked.attendance_mode = Registration.Attendance.ONLINE
                locked.joined_briefly = False
                # Staff decided: a later pull keeps it.
                locked.checkin_by_staff = True
                locked.checked_in_by = by
        locked.save(update_fields=[*WRITTEN_FIELDS, "checkin_by_staff", "checked_in_by"])
    logger.info("unmatched participant %s linked to registration %s", row.pk, locked.pk)
    return locked


def register_participant(
    unmatched: UnmatchedParticipant,
    by=None,
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
):
    """Staff: register this participant (they registered in Zoom directly, or walked
    in), then link and check them in. Goes through the registration service's staff
    path (no closing time or capacity). Raises ``ValidationError`` for a bad or
    missing email or name (nothing saved)."""
    guess_first, _space, guess_last = (unmatched.name or "").strip().partition(" ")
    email = email or unmatched.email
    if not email:
        raise ValidationError(
            {"email": _("Zoom did not tell us this participant's email: enter it.")}
        )
    event = unmatched.page.specific
    with transaction.atomic():
        result = service.register(
            event,
            email=email,
            first_name=first_name or guess_first,
            last_name=last_name or guess_last or "-",
            source=Registration.Source.ADMIN,
            enforce_rules=False,
        )
        UnmatchedParticipant.objects.filter(pk=unmatched.pk).update(
            state=UnmatchedParticipant.State.REGISTERED
        )
        unmatched.state = UnmatchedParticipant.State.REGISTERED
        return link_participant(unmatched, result.registration, by)


def dismiss_participant(unmatched: UnmatchedParticipant, by=None) -> UnmatchedParticipant:
    """Staff: nobody to check in (the host's second device, a test call...)."""
    return _set_unmatched_state(unmatched, UnmatchedParticipant.State.DISMISSED, by)


def reopen_participant(unmatched: UnmatchedParticipant, by=None) -> UnmatchedParticipant:
    """Undo a dismissal: the participant is to review again."""
    return _set_unmatched_state(unmatched, UnmatchedParticipant.State.OPEN, by)


def _set_unmatched_state(unmatched, state, by):
    with transaction.atomic():
        row = _locked_unmatched(unmatched)
        if row.state in (row.State.LINKED, row.State.REGISTERED):
            raise CheckInRefused(_("This participant is already linked to a registration."))
        row.state = state
        row.handled_by = by
        row.handled_at = timezone.now()
        row.save(update_fields=["state", "handled_by", "handled_at", "updated_at"])
    return row


def _earliest(a, b):
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def _latest(a, b):
    return max(x for x in (a, b) if x is not None) if (a or b) else None
