"""Check-in: who came. The only package that writes a registration's check-in.

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
* :func:`check_in_live` ``(event, registrant_id=..., email=..., joined_at=...)``:
  the provider said live that someone joined (a webhook, :mod:`.live`).
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

Modules: :mod:`.attendance` (a person's rows merged), :mod:`.matching` (report to
registrations, saved in bulk), :mod:`.staff` (what staff do), :mod:`.pulls` (pulling
the report, automatic pulls). Callers use the names below.
"""

from __future__ import annotations

from .attendance import Attendee, merge_rows, normalise_email, normalise_name, union_seconds
from .live import LiveCheckIn, check_in_live, find_registration
from .matching import MatchResult, bulk_set, match_participants
from .pulls import can_check_in, checkin_sweep, describe_result, run_pull, start_check_in
from .staff import (
    CheckInRefused,
    check_in,
    click_check_in_changes,
    confirm_match,
    dismiss_participant,
    link_participant,
    register_participant,
    reopen_participant,
    undo_check_in,
)

__all__ = [
    "Attendee",
    "CheckInRefused",
    "LiveCheckIn",
    "MatchResult",
    "bulk_set",
    "can_check_in",
    "check_in",
    "check_in_live",
    "checkin_sweep",
    "click_check_in_changes",
    "confirm_match",
    "describe_result",
    "dismiss_participant",
    "find_registration",
    "link_participant",
    "match_participants",
    "merge_rows",
    "normalise_email",
    "normalise_name",
    "register_participant",
    "reopen_participant",
    "run_pull",
    "start_check_in",
    "undo_check_in",
    "union_seconds",
]
