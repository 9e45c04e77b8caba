"""Matching a participant report to the event's registrations, and saving it in bulk.

Within the one event, in this order: the registrant id stored at push time; else the
email; else staff's earlier link of that participant; else an exact normalised name
matching exactly one active registrant (checked in, flagged for review). Check-ins
and unmatched participants are written in bulk: queries grow with batches, never
with people. A pull never un-checks anyone in, and never changes what staff set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models import ParticipantPull, Registration, UnmatchedParticipant
from ..providers.base import Participant
from .attendance import Attendee, merge_rows, normalise_email, normalise_name, union_seconds

S = Registration.CheckinSource
M = Registration.CheckinMatch
BATCH = 500


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
WRITTEN_FIELDS = [
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
    *WRITTEN_FIELDS[:-1],
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
            bulk_set(Registration, changed, WRITTEN_FIELDS)
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
    before = tuple(getattr(registration, name) for name in WRITTEN_FIELDS[:-1])

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
    elif registration.checkin_source in (S.PROVIDER_REPORT, S.PROVIDER_LIVE):
        # Checked in by an earlier pull: a stronger match clears the review flag.
        if _MATCH_RANK.get(matched_by, 9) < _MATCH_RANK.get(registration.checkin_matched_by, 9):
            registration.checkin_matched_by = matched_by
            registration.checkin_needs_review = matched_by == M.NAME
        registration.joined_briefly = False
    after = tuple(getattr(registration, name) for name in WRITTEN_FIELDS[:-1])
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


#: From this many rows on, PostgreSQL updates go through COPY (see bulk_set).
COPY_FROM = 500


def bulk_set(model, objects: list, field_names: list[str]) -> int:
    """``UPDATE`` each object's ``field_names`` to its own values, in few statements.

    django-fast-update (``UPDATE ... FROM VALUES``) rather than Django's
    ``bulk_update``, which builds one ``CASE`` expression per row and column: for
    10,000 check-ins that cost over a minute of CPU (benchmarks/checkin.py).
    """
    if not objects:
        return 0
    from django.db import connection
    from fast_update.query import FastUpdateQuerySet

    queryset = FastUpdateQuerySet(model=model)
    if connection.vendor == "postgresql" and len(objects) > COPY_FROM:
        # Thousands of rows: COPY them into a temporary table and update from it.
        # One UPDATE ... FROM VALUES with 8,000 rows spends seconds in the driver
        # alone, splitting a query of some 100,000 placeholders (psycopg's
        # client-side binding, which Django uses).
        return queryset.copy_update(objects, field_names)
    return queryset.fast_update(objects, field_names, unfiltered=True)


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
