"""A Zoom meeting or webinar as Zoom describes it: what we keep, and what the editor should fix.

Read on publish and by "Refresh from Zoom" (``GET /meetings/{id}`` or
``/webinars/{id}``). The plugin only reads meetings; anything to change is said to
the editor, who changes it in Zoom.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext, ngettext

from wagtail_webinars.templatetags.webinars import campus_datetime

from ..base import Metadata
from . import answers

#: Meeting and webinar types with a fixed start time (the others have none to compare).
FIXED_TIME_TYPES = {2, 5, 8, 9}
#: Start times closer than this count as the same (Zoom rounds to the minute).
START_TOLERANCE = timedelta(minutes=1)


def parse_zoom_time(value: str | None) -> datetime | None:
    """Zoom's times are UTC ISO-8601 (``2022-03-25T07:29:29Z``)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def metadata_from(
    data: dict[str, Any], *, resource: str, meeting_id: str, occurrence: dict | None = None
) -> Metadata:
    """Zoom's answer about a meeting (or webinar) on the ``resource`` path, as we keep it.

    With ``occurrence`` (one date of a recurring meeting, ``occurrences.find``) the
    start and length are that occurrence's, and they are the event's
    (``start_is_the_event``). Every value is read through :mod:`.answers`."""
    data = answers.obj(data)
    settings = answers.obj(data.get("settings"))
    approval_type = settings.get("approval_type", 2)
    if approval_type is not None:
        approval_type = answers.integer(approval_type)
    listed = answers.objects(data.get("occurrences"))
    occurrences = [start for start in (answers.text(o.get("start_time")) for o in listed) if start]
    zoom_start = answers.text(data.get("start_time"))
    start_time, duration = parse_zoom_time(zoom_start), answers.integer(data.get("duration"))
    if occurrence is not None:
        start_time, duration = occurrence["start"], occurrence["duration"] or duration
    confirmation = settings.get("registrants_confirmation_email")
    config = {
        "resource": resource,
        "id": answers.text(data.get("id")) or meeting_id,
        "type": answers.integer(data.get("type")),
        "topic": answers.text(data.get("topic")),
        "start_time": zoom_start,
        "timezone": answers.text(data.get("timezone")),
        "duration": answers.integer(data.get("duration")),
        "approval_type": approval_type,
        "registration_type": answers.integer(settings.get("registration_type")),
        "registrants_confirmation_email": confirmation if isinstance(confirmation, bool) else None,
        "occurrences": occurrences,
        "occurrence_starts": {
            answers.text(o["occurrence_id"]): answers.text(o.get("start_time"))
            for o in listed
            if answers.text(o.get("occurrence_id"))
            and answers.text(o.get("start_time"))
            and o.get("status") != "deleted"
        },
        "occurrence_id": occurrence["id"] if occurrence else "",
    }
    return Metadata(
        join_url=answers.text(data.get("join_url")),
        password=answers.text(data.get("password")),
        topic=config["topic"],
        start_time=start_time,
        time_zone=config["timezone"],
        duration_minutes=duration,
        registration_required=approval_type in (0, 1),
        config=config,
        start_is_the_event=occurrence is not None,
    )


def warnings_for(metadata: Metadata, *, what: str, page_start: datetime | None) -> list[str]:
    """What the editor should fix in Zoom (``what``: "meeting" or "webinar")."""
    warnings = []
    if not metadata.registration_required:
        warnings.append(
            gettext(
                "Registration is not required for this %(what)s in Zoom, so registrants "
                "cannot be added to it. In Zoom, set Registration to Required, then "
                "publish again."
            )
            % {"what": what}
        )
    else:
        warnings += approval_warnings(metadata.config, what=what)
    if metadata.config.get("registrants_confirmation_email"):
        warnings.append(
            gettext(
                "Zoom also sends its own confirmation emails for this %(what)s. Turn them "
                "off in Zoom so registrants are not mailed twice."
            )
            % {"what": what}
        )
    start_warning = _start_warning(metadata, page_start)
    if start_warning:
        warnings.append(start_warning)
    return warnings


def approval_warnings(config: dict[str, Any], *, what: str) -> list[str]:
    """What the stored Zoom details say about who can register (no call to Zoom).

    With automatic approval, anyone holding Zoom's own registration link registers in
    Zoom without this site, so without its confirmation, reminder or tracked link.
    With manual approval only the people the site pushes (and approves) get in.
    """
    if config.get("approval_type") != 0:
        return []
    return [
        gettext(
            "Zoom approves registrations for this %(what)s automatically, so anyone with "
            "Zoom's own registration link can register there without this site (and gets "
            "no reminder or tracked link from it). In Zoom, set Approval to Manually "
            "approve: the people who register on this site are approved by the site."
        )
        % {"what": what}
    ]


def _start_warning(metadata: Metadata, page_start: datetime | None) -> str | None:
    """Zoom's start differs from the page's (reminders and calendars follow the page)."""
    if metadata.start_time is None or page_start is None or metadata.start_is_the_event:
        # (An occurrence's start moves the page: nothing to disagree about.)
        return None
    if metadata.config.get("type") not in FIXED_TIME_TYPES:
        return None
    # A recurring meeting matches when any of its occurrences does.
    candidates = [metadata.start_time]
    candidates += [
        t for t in (parse_zoom_time(s) for s in metadata.config.get("occurrences") or []) if t
    ]
    if any(abs(c - page_start) < START_TOLERANCE for c in candidates):
        return None
    return gettext(
        "Zoom says this starts %(zoom)s, but this page says %(page)s. Change one so they "
        "match: reminders and calendars follow the page."
    ) % {"zoom": campus_datetime(metadata.start_time), "page": campus_datetime(page_start)}


def details_rows(config: dict[str, Any]) -> list[tuple[str, str]]:
    """What the event's Zoom page shows of the meeting as we last read it."""
    rows = []
    if config.get("topic"):
        rows.append((gettext("Topic in Zoom"), str(config["topic"])))
    start = parse_zoom_time(config.get("start_time"))
    if start is not None:
        text = campus_datetime(start)
        if config.get("timezone"):
            text += " " + gettext("(Zoom's zone: %(zone)s)") % {"zone": config["timezone"]}
        rows.append((gettext("Start in Zoom"), text))
    if isinstance(config.get("duration"), int):
        rows.append(
            (
                gettext("Duration in Zoom"),
                ngettext("%(n)d minute", "%(n)d minutes", config["duration"])
                % {"n": config["duration"]},
            )
        )
    approval = config.get("approval_type")
    if approval is not None:
        rows.append(
            (
                gettext("Registration in Zoom"),
                {
                    0: gettext("Required, approved automatically"),
                    1: gettext("Required, approved manually"),
                }.get(approval, gettext("Not required (registrants cannot be added)")),
            )
        )
    return rows


def disagreements(
    config: dict[str, Any], *, what: str, page_start: datetime | None, page_end: datetime | None
) -> list[str]:
    """Where the stored Zoom details disagree with the page: start time, duration,
    registration setting (no call to Zoom; shown on the event's Zoom page)."""
    if not config:
        return []
    metadata = Metadata(start_time=parse_zoom_time(config.get("start_time")), config=config)
    found = []
    start_warning = _start_warning(metadata, page_start)
    if start_warning:
        found.append(start_warning)
    duration = config.get("duration")
    if (
        isinstance(duration, int)
        and page_start
        and page_end
        and config.get("type") in FIXED_TIME_TYPES
    ):
        page_minutes = round((page_end - page_start).total_seconds() / 60)
        if abs(page_minutes - duration) > 1:
            found.append(
                gettext(
                    "Zoom says this lasts %(zoom)d minutes, but this page says %(page)d. "
                    "Change one so they match."
                )
                % {"zoom": duration, "page": page_minutes}
            )
    if config.get("approval_type") == 2:
        found.append(
            gettext(
                "Registration is not required for this %(what)s in Zoom, so registrants "
                "cannot be added to it. In Zoom, set Registration to Required."
            )
            % {"what": what}
        )
    return found
