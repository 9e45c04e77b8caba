"""A person's attendance from the report's rows: who is who, and for how long.

Pure functions of :class:`~wagtail_webinars.providers.base.Participant` rows (no
database): rows sharing a registrant id or an email are one person; rows with
neither are grouped by normalised name. Minutes are the union of a person's
intervals, overlaps counted once; waiting-room rows are not attendance.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..providers.base import Participant

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
