"""Check-in: who came. The only module that writes a registration's check-in.

Entry points (every caller uses these; none writes the fields itself):

* :func:`start_check_in` ``(event, by=None, trigger=...)``: "Check in webinar
  attendees". Creates a :class:`~wagtail_webinars.models.ParticipantPull` and
  queues the pull task (or returns the pull already under way). The admin report
  button, GraphQL and ``manage.py webinars_check_in`` all call it.
* :func:`run_pull` ``(pull_id)``: the task body: asks the provider for its
  participant report, then :func:`match_participants`. "No report yet" is state
  *waiting for Zoom* and tried again later; a 429 or an outage is retried after
  Zoom's ``Retry-After`` or a backoff; anything else fails with a message staff
  understand. The pull's counts and ``message`` say what it found.
* :func:`match_participants` ``(event, participants)``: matches report rows to
  the event's active registrations and saves check-ins and unmatched people in
  bulk (queries grow with batches, never with people).
* :func:`check_in` / :func:`undo_check_in` ``(registration, ..., by)``: staff
  (the record view, the door list: ``in_person=True``). Staff's word is final:
  a later pull never changes a check-in staff set or undid.
* :func:`confirm_match` ``(registration, by)``: staff confirm a name match.
* :func:`link_participant` ``(unmatched, registration, by)``,
  :func:`register_participant` ``(unmatched, by, email=..., first_name=...,
  last_name=...)``, :func:`dismiss_participant` / :func:`reopen_participant`:
  what staff do with the unmatched list.
* :func:`checkin_sweep`: the schedule that runs automatic pulls after a managed
  event ends (``CHECKIN_PULL_AFTER_MINUTES``) and retries waiting pulls.

Matching, within the one event, in this order:

1. the Zoom registrant id stored when the registrant was pushed;
2. else the email, case-insensitive and normalised;
3. else an exact normalised name matching exactly one active registrant:
   checked in but flagged "matched by name: please review";
4. else an unmatched participant staff already linked or registered (same key).

A person's rows (rejoins, several devices, several instances) are merged: first
join, last leave, minutes as the union of their intervals (overlaps once).
Waiting-room rows are not attendance. Fewer minutes than the event's minimum
(``attendance_min_minutes``): "joined briefly", not checked in. A pull never
un-checks anyone in; running it again changes nothing already right.

Personal data never goes into logs or messages: counts and primary keys only.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import jobs
from .conf import get_setting
from .models import ParticipantPull, Registration, UnmatchedParticipant
from .providers.base import Participant
from .providers.errors import ProviderAPIError, ProviderError, ReportNotReady

logger = logging.getLogger(__name__)

S = Registration.CheckinSource
M = Registration.CheckinMatch
BATCH = 500


class CheckInRefused(Exception):
    """Staff asked for something the rules do not allow; ``message`` says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# -- normalising ---------------------------------------------------------------------
_SPACES = re.compile(r"\s+")


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def normalise_name(value: str) -> str:
    """Names compared as people see them: accents kept, case and spacing ignored."""
    value = unicodedata.normalize("NFKC", value or "").casefold()
    return _SPACES.sub(" ", value).strip()


# -- merging a person's rows ---------------------------------------------------------
@dataclass
class Attendee:
    """One person of the report: their rows merged."""

    key: str
    registrant_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    name: str = ""
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    #: Rows that had no times, only a duration (kept apart from the intervals).
    loose_seconds: int = 0

    @property
    def first_join(self) -> datetime | None:
        return min((start for start, _end in self.intervals), default=None)

    @property
    def last_leave(self) -> datetime | None:
        return max((end for _start, end in self.intervals), default=None)

    @property
    def seconds(self) -> int:
        return union_seconds(self.intervals) + self.loose_seconds

    @property
    def email(self) -> str:
        return min(self.emails) if self.emails else ""


def union_seconds(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    """Seconds covered by the intervals, overlaps counted once."""
    total = 0.0
    current_start = current_end = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None:
        total += (current_end - current_start).total_seconds()
    return int(total)


def _interval(row: Participant) -> tuple[datetime, datetime] | None:
    start, end = row.join_time, row.leave_time
    if start is None:
        return None
    if end is None or end < start:
        end = start + timedelta(seconds=max(row.duration_seconds, 0))
    return start, end


def merge_rows(rows: Iterable[Participant]) -> list[Attendee]:
    """Group report rows by person: rows sharing a registrant id or an email are one
    person; rows with neither are grouped by normalised name. Waiting-room rows and
    rows without any identity are left out."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # Keep the strongest key as the root (rid < email < name).
            if _rank(rb) < _rank(ra):
                ra, rb = rb, ra
            parent[rb] = ra

    kept: list[tuple[Participant, list[str]]] = []
    for row in rows:
        if row.waiting_room:
            continue
        keys = []
        if row.registrant_id:
            keys.append(f"rid:{row.registrant_id}")
        email = normalise_email(row.email)
        if email:
            keys.append(f"email:{email}")
        name = normalise_name(row.name)
        if not keys and name:
            keys.append(f"name:{name}")
        if not keys:
            continue
        for key in keys[1:]:
            union(keys[0], key)
        find(keys[0])
        kept.append((row, keys))

    people: dict[str, Attendee] = {}
    for row, keys in kept:
        root = find(keys[0])
        person = people.get(root)
        if person is None:
            person = people[root] = Attendee(key=root)
        if row.registrant_id:
            person.registrant_ids.add(row.registrant_id)
        if normalise_email(row.email):
            person.emails.add(normalise_email(row.email))
        if not person.name and row.name.strip():
            person.name = row.name.strip()
        interval = _interval(row)
        if interval is not None:
            person.intervals.append(interval)
        else:
            person.loose_seconds += max(row.duration_seconds, 0)
    return list(people.values())


def _rank(key: str) -> int:
    return {"rid": 0, "email": 1, "name": 2}[key.split(":", 1)[0]]


# -- matching and saving ---------------------------------------------------------------
@dataclass
class MatchResult:
    """What :func:`match_participants` did (counts only: safe to log and show)."""

    rows: int = 0
    people: int = 0
    instances: int = 0
    #: People tied to a registration, and how many of those by name only.
    matched: int = 0
    matched_by_name: int = 0
    #: Registrations this run checked in that were not checked in before.
    checked_in: int = 0
    joined_briefly: int = 0
    unmatched: int = 0
    #: Registrations whose check-in staff set or undid (left as staff left them).
    kept_by_staff: int = 0
    updated: int = 0


#: What a pull writes on a registration (``updated_at`` too: bulk updates skip auto_now).
_WRITTEN = [
    "checked_in_at",
    "checkin_source",
    "checkin_matched_by",
    "checkin_needs_review",
    "attendance_mode",
    "attended_minutes",
    "attended_first_join",
    "attended_last_leave",
    "joined_briefly",
    "updated_at",
]
#: What a pull reads of a registration.
_REGISTRATION_FIELDS = (
    "pk",
    "page_id",
    "email",
    "first_name",
    "last_name",
    "provider_registrant_id",
    "checkin_by_staff",
    *_WRITTEN[:-1],
)


def match_participants(
    event, participants: Iterable[Participant], pull: ParticipantPull | None = None
) -> MatchResult:
    """Match report rows to ``event``'s active registrations and save the outcome.

    Check-ins, minutes and unmatched people are written in bulk inside one
    transaction, with the event's registrations locked so a staff check-in made
    meanwhile is never overwritten.
    """
    rows = list(participants)
    people = merge_rows(rows)
    result = MatchResult(
        rows=len(rows),
        people=len(people),
        instances=len({row.instance for row in rows if row.instance}),
    )
    minimum = event.attendance_min_minutes * 60
    now = timezone.now()

    with transaction.atomic():
        registrations = list(
            Registration.objects.select_for_update()
            .filter(page_id=event.pk, status=Registration.Status.REGISTERED)
            .only(*_REGISTRATION_FIELDS)
        )
        by_id = {r.pk: r for r in registrations}
        by_rid = {r.provider_registrant_id: r for r in registrations if r.provider_registrant_id}
        by_email = {normalise_email(r.email): r for r in registrations}
        by_name: dict[str, list[Registration]] = defaultdict(list)
        for r in registrations:
            by_name[normalise_name(r.full_name)].append(r)
        known = {u.key: u for u in UnmatchedParticipant.objects.filter(page_id=event.pk)}

        # registration pk -> (attendee parts, how matched)
        matches: dict[int, list[Attendee]] = defaultdict(list)
        how: dict[int, str] = {}
        strays: list[Attendee] = []
        for person in people:
            registration, matched_by = _match(person, by_rid, by_email, by_name, known, by_id)
            if registration is None:
                strays.append(person)
                continue
            matches[registration.pk].append(person)
            # The strongest way any of the person's parts matched wins.
            if (
                registration.pk not in how
                or _MATCH_RANK[matched_by] < _MATCH_RANK[how[registration.pk]]
            ):
                how[registration.pk] = matched_by

        # Open unmatched rows of people who match now (they registered since): resolved.
        resolved = []
        for pk, parts in matches.items():
            for part in parts:
                row = known.get(part.key)
                if row is not None and row.is_open:
                    row.state = UnmatchedParticipant.State.LINKED
                    row.registration_id = pk
                    row.updated_at = now
                    resolved.append(row)
        if resolved:
            UnmatchedParticipant.objects.bulk_update(
                resolved, ["state", "registration", "updated_at"], batch_size=BATCH
            )

        changed: list[Registration] = []
        for pk, parts in matches.items():
            registration = by_id[pk]
            result.matched += 1
            if how[pk] == M.NAME:
                result.matched_by_name += 1
            outcome = _apply(registration, parts, how[pk], minimum, now)
            if outcome == "staff":
                result.kept_by_staff += 1
            elif outcome == "checked_in":
                result.checked_in += 1
            if registration.joined_briefly and registration.checked_in_at is None:
                result.joined_briefly += 1
            if outcome != "same":
                registration.updated_at = now
                changed.append(registration)
        if changed:
            bulk_set(Registration, changed, _WRITTEN)
        result.updated = len(changed)

        result.unmatched = _store_strays(event, strays, known, minimum, pull, now)
    return result


_MATCH_RANK = {M.REGISTRANT_ID: 0, M.EMAIL: 1, M.LINKED: 2, M.NAME: 3}


def _match(person: Attendee, by_rid, by_email, by_name, known, by_id):
    for rid in sorted(person.registrant_ids):
        if rid in by_rid:
            return by_rid[rid], M.REGISTRANT_ID
    for email in sorted(person.emails):
        if email in by_email:
            return by_email[email], M.EMAIL
    # Staff already told us who this is (a link, or a registration made from it).
    handled = known.get(person.key)
    if handled is not None and handled.registration_id in by_id and not handled.is_open:
        return by_id[handled.registration_id], M.LINKED
    # An id or email of nobody here (registered in Zoom directly, another address)
    # may still be a registrant under their name: only when exactly one has it.
    candidates = by_name.get(normalise_name(person.name), []) if person.name else []
    if len(candidates) == 1:
        return candidates[0], M.NAME
    return None, ""


def _apply(registration: Registration, parts: list[Attendee], matched_by: str, minimum, now):
    """Set one registration's attendance from its report rows. Returns "same",
    "staff", "checked_in" (newly) or "updated"."""
    intervals = [interval for part in parts for interval in part.intervals]
    seconds = union_seconds(intervals) + sum(part.loose_seconds for part in parts)
    first = min((s for s, _e in intervals), default=None)
    last = max((e for _s, e in intervals), default=None)
    before = tuple(getattr(registration, name) for name in _WRITTEN[:-1])

    registration.attended_minutes = seconds // 60
    registration.attended_first_join = first
    registration.attended_last_leave = last
    outcome = "updated"
    if registration.checkin_by_staff:
        # Staff's check-in (or undo) stands; the minutes are still worth knowing.
        outcome = "staff"
    elif registration.checked_in_at is None:
        if seconds >= minimum:
            registration.checked_in_at = first or now
            registration.checkin_source = S.PROVIDER_REPORT
            registration.checkin_matched_by = matched_by
            registration.checkin_needs_review = matched_by == M.NAME
            registration.attendance_mode = Registration.Attendance.ONLINE
            registration.joined_briefly = False
            outcome = "checked_in"
        else:
            registration.joined_briefly = True
    elif registration.checkin_source == S.PROVIDER_REPORT:
        # Checked in by an earlier pull: a stronger match clears the review flag.
        if _MATCH_RANK.get(matched_by, 9) < _MATCH_RANK.get(registration.checkin_matched_by, 9):
            registration.checkin_matched_by = matched_by
            registration.checkin_needs_review = matched_by == M.NAME
        registration.joined_briefly = False
    after = tuple(getattr(registration, name) for name in _WRITTEN[:-1])
    return "same" if before == after else outcome


def _store_strays(event, strays, known, minimum, pull, now) -> int:
    """Create or refresh the unmatched participants; returns how many are still open."""
    new, changed = [], []
    open_count = 0
    for person in strays:
        seconds = person.seconds
        values = {
            "name": person.name[:300],
            "email": person.email[:254],
            "registrant_id": min(person.registrant_ids) if person.registrant_ids else "",
            "minutes": seconds // 60,
            "first_join": person.first_join,
            "last_leave": person.last_leave,
            "joined_briefly": seconds < minimum,
        }
        existing = known.get(person.key)
        if existing is None:
            new.append(
                UnmatchedParticipant(
                    page_id=event.pk, key=person.key[:300], last_pull=pull, **values
                )
            )
            open_count += 1
            continue
        if existing.is_open:
            open_count += 1
        if any(getattr(existing, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(existing, k, v)
            existing.last_pull = pull
            existing.updated_at = now
            changed.append(existing)
    if new:
        UnmatchedParticipant.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        bulk_set(UnmatchedParticipant, changed, [*values_fields(), "last_pull", "updated_at"])
    return open_count


def bulk_set(model, objects: list, field_names: list[str]) -> int:
    """``UPDATE`` each object's ``field_names`` to its own values, in few statements.

    django-fast-update (``UPDATE ... FROM VALUES``) rather than Django's
    ``bulk_update``, which builds one ``CASE`` expression per row and column: for
    10,000 check-ins that cost over a minute of CPU (benchmarks/checkin.py).
    """
    if not objects:
        return 0
    from fast_update.query import FastUpdateQuerySet

    return FastUpdateQuerySet(model=model).fast_update(objects, field_names, unfiltered=True)


def values_fields() -> list[str]:
    return [
        "name",
        "email",
        "registrant_id",
        "minutes",
        "first_join",
        "last_leave",
        "joined_briefly",
    ]


# -- staff ---------------------------------------------------------------------------
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
        locked.save(update_fields=[*_WRITTEN, "checkin_by_staff", "checked_in_by"])
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
        locked.save(update_fields=[*_WRITTEN, "checkin_by_staff", "checked_in_by"])
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
        locked.save(update_fields=[*_WRITTEN, "checkin_by_staff", "checked_in_by"])
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
    from . import registration as service

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


# -- pulls -----------------------------------------------------------------------------
def can_check_in(event) -> bool:
    """Whether the event's provider has a participant report to pull."""
    provider = getattr(event, "provider", None)
    return bool(provider and provider.can_pull_participants)


def start_check_in(
    event,
    by=None,
    trigger: str = ParticipantPull.Trigger.STAFF,
    *,
    run_now: bool = False,
) -> ParticipantPull:
    """ "Check in webinar attendees": the one service behind the admin button, GraphQL
    and the management command. Returns the pull (a new one, or the one already
    queued or running: pressing twice starts nothing twice).

    The pull runs in the django-q2 worker after commit (``run_now``: here and now,
    for the management command). Raises :class:`CheckInRefused` when the event's
    provider has no participant report.
    """
    if not can_check_in(event):
        raise CheckInRefused(_("This event's video provider has no participant report to pull."))
    with transaction.atomic():
        busy = (
            ParticipantPull.objects.select_for_update()
            .filter(
                page_id=event.pk,
                state__in=[ParticipantPull.State.QUEUED, ParticipantPull.State.RUNNING],
            )
            .first()
        )
        if busy is not None and not run_now:
            return busy
        pull = ParticipantPull.objects.create(page_id=event.pk, trigger=trigger, requested_by=by)
        if not run_now:
            transaction.on_commit(lambda: _enqueue_pull(pull.pk))
    if run_now:
        run_pull(pull.pk)
        pull.refresh_from_db()
    return pull


def _enqueue_pull(pull_id: int) -> None:
    jobs.enqueue(jobs.PULL_PARTICIPANTS, pull_id)


def _event(page_id: int):
    # The one lookup that works whichever Page model the site uses.
    from .models import get_event_page

    return get_event_page(page_id)


def run_pull(pull_id: int, now: datetime | None = None) -> str:
    """Run one pull (the task body). Safe to run twice: a pull that is not queued or
    waiting is left alone. Returns the pull's new state."""
    now = now or timezone.now()
    claimed = ParticipantPull.objects.filter(
        pk=pull_id, state__in=[ParticipantPull.State.QUEUED, ParticipantPull.State.WAITING]
    ).update(state=ParticipantPull.State.RUNNING, started_at=now, retry_at=None)
    if not claimed:
        return ""
    pull = ParticipantPull.objects.get(pk=pull_id)
    pull.attempts += 1
    event = _event(pull.page_id)
    if event is None or not can_check_in(event):
        return _finish(
            pull, ParticipantPull.State.FAILED, _("This event has no participant report to pull.")
        )
    try:
        rows = list(event.provider.pull_participants())
    except ReportNotReady:
        return _wait(pull, now)
    except ProviderAPIError as err:
        if err.transient and pull.attempts < get_setting("CHECKIN_MAX_ATTEMPTS"):
            return _retry(pull, now, err)
        return _finish(pull, ParticipantPull.State.FAILED, event.provider.describe_error(err))
    except ProviderError as err:
        return _finish(pull, ParticipantPull.State.FAILED, event.provider.describe_error(err))

    result = match_participants(event, rows, pull)
    for name in (
        "instances",
        "rows",
        "people",
        "checked_in",
        "matched",
        "matched_by_name",
        "joined_briefly",
        "unmatched",
    ):
        setattr(pull, name, getattr(result, name))
    logger.info(
        "participant pull %s of event %s: %s rows, %s people, %s newly checked in, %s unmatched",
        pull.pk,
        event.pk,
        result.rows,
        result.people,
        result.checked_in,
        result.unmatched,
    )
    return _finish(pull, ParticipantPull.State.DONE, describe_result(result))


def describe_result(result: MatchResult) -> str:
    parts = [
        ngettext("%(n)d person in Zoom's report", "%(n)d people in Zoom's report", result.people)
        % {"n": result.people},
        ngettext("%(n)d newly checked in", "%(n)d newly checked in", result.checked_in)
        % {"n": result.checked_in},
    ]
    if result.matched_by_name:
        parts.append(
            ngettext(
                "%(n)d matched by name: please review",
                "%(n)d matched by name: please review",
                result.matched_by_name,
            )
            % {"n": result.matched_by_name}
        )
    if result.joined_briefly:
        parts.append(
            ngettext("%(n)d joined briefly", "%(n)d joined briefly", result.joined_briefly)
            % {"n": result.joined_briefly}
        )
    parts.append(
        ngettext("%(n)d unmatched", "%(n)d unmatched", result.unmatched) % {"n": result.unmatched}
    )
    return ", ".join(parts) + "."


def _finish(pull: ParticipantPull, state: str, message: str) -> str:
    pull.state = state
    pull.message = message
    pull.finished_at = timezone.now()
    pull.retry_at = None
    pull.save()
    return state


def _wait(pull: ParticipantPull, now: datetime) -> str:
    pull.state = ParticipantPull.State.WAITING
    pull.finished_at = None
    if pull.attempts < get_setting("CHECKIN_MAX_ATTEMPTS"):
        pull.retry_at = now + timedelta(minutes=get_setting("CHECKIN_RETRY_MINUTES"))
        pull.message = _("Zoom has no participant report yet. Trying again later.")
    else:
        # Still not a failure: the automatic pulls after the event keep asking.
        pull.retry_at = None
        pull.message = _("Zoom has no participant report yet.")
    pull.save()
    return pull.state


def _retry(pull: ParticipantPull, now: datetime, err: ProviderAPIError) -> str:
    from .sync.state import retry_delay

    pull.state = ParticipantPull.State.QUEUED
    pull.retry_at = now + timedelta(seconds=retry_delay(pull.attempts, err.retry_after))
    pull.message = _("Zoom is busy or unreachable. Trying again shortly.")
    pull.save()
    return pull.state


def checkin_sweep(now: datetime | None = None) -> dict:
    """Every few minutes (django-q2 schedule): queue pulls whose retry time came, and
    the automatic pulls after a managed event ends (``CHECKIN_PULL_AFTER_MINUTES``).

    Queries: one per event page model plus a constant few, however many events.
    """
    from .models import event_page_models

    now = now or timezone.now()
    queued = 0
    due = list(
        ParticipantPull.objects.filter(
            Q(state=ParticipantPull.State.QUEUED) | Q(state=ParticipantPull.State.WAITING),
            retry_at__lte=now,
        ).values_list("pk", flat=True)[:100]
    )
    for pk in due:
        _enqueue_pull(pk)
        queued += 1

    offsets = sorted(get_setting("CHECKIN_PULL_AFTER_MINUTES"))
    if not offsets:
        return {"retried": queued, "automatic": 0}
    earliest_end = now - timedelta(minutes=offsets[-1] + 60)
    latest_end = now - timedelta(minutes=offsets[0])
    events = []
    for model in event_page_models():
        events += list(model.objects.live().filter(end__gte=earliest_end, end__lte=latest_end))
    events = [event for event in events if can_check_in(event)]
    if not events:
        return {"retried": queued, "automatic": 0}
    pulls = defaultdict(list)
    for page_id, state, trigger in ParticipantPull.objects.filter(
        page_id__in=[e.pk for e in events]
    ).values_list("page_id", "state", "trigger"):
        pulls[page_id].append((state, trigger))
    started = 0
    for event in events:
        mine = pulls[event.pk]
        if any(
            state in (ParticipantPull.State.QUEUED, ParticipantPull.State.RUNNING)
            for state, _t in mine
        ):
            continue
        done = sum(1 for _s, trigger in mine if trigger == ParticipantPull.Trigger.AUTOMATIC)
        passed = sum(1 for minutes in offsets if now >= event.end + timedelta(minutes=minutes))
        if done < passed:
            start_check_in(event, trigger=ParticipantPull.Trigger.AUTOMATIC)
            started += 1
    return {"retried": queued, "automatic": started}
