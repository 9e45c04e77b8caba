"""How an event and a registration read in the headcount report, its export and the
dashboard: cell texts in campus time, the figures in the order staff read them."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import checkin
from ..conf import campus_time_zone
from ..models import Registration
from .events import RESEND_URL_NAME


def provider_label(event) -> str:
    provider = event.provider
    return str(provider.label) if provider and provider.label else "—"


def is_hybrid(event) -> bool:
    """A venue beside the online location: people can also come in person."""
    return bool((getattr(event, "venue", "") or "").strip())


def can_pull_participants(event) -> bool:
    """Whether "Check in webinar attendees" applies (the provider has a report)."""
    return checkin.can_check_in(event)


def short_datetime(value: datetime.datetime | None) -> str:
    """ "1 Dec 14:00": campus local time, short, for table cells (the zone is in the header)."""
    if value is None:
        return ""
    return date_format(timezone.localtime(value, campus_time_zone()), "j M H:i")


def reminder_text(registration: Registration) -> str:
    if registration.reminder_sent_at:
        text = _("Sent %(when)s") % {"when": short_datetime(registration.reminder_sent_at)}
        if registration.reminder_resend_count:
            text += " " + _("(resent %(count)d×)") % {"count": registration.reminder_resend_count}
        return text
    if registration.reminder_error:
        return _("Not sent: %(reason)s") % {"reason": registration.reminder_error}
    return _("Not sent")


def link_text(registration: Registration) -> str:
    if registration.join_clicked_at:
        return _("Clicked %(when)s") % {"when": short_datetime(registration.join_clicked_at)}
    if registration.join_click_count:
        return _("Clicked before the event (%(count)d×)") % {"count": registration.join_click_count}
    if registration.join_opened_at:
        return _("Opened, not clicked")
    return "—"


def checkin_text(registration: Registration) -> str:
    """ "Checked in · Zoom report (email) · 45 min", "Joined briefly (0 min)", "—"."""
    if registration.checked_in_at is None:
        if registration.joined_briefly:
            return _("Joined briefly (%(minutes)d min)") % {
                "minutes": registration.attended_minutes or 0
            }
        return "—"
    parts = [registration.get_checkin_source_display() or _("Checked in")]
    if registration.checkin_matched_by:
        parts[0] += f" ({registration.get_checkin_matched_by_display()})"
    if registration.attendance_mode == Registration.Attendance.IN_PERSON:
        parts.append(_("in person"))
    if registration.attended_minutes is not None:
        parts.append(_("%(minutes)d min") % {"minutes": registration.attended_minutes})
    if registration.checkin_needs_review:
        parts.append(_("matched by name: please review"))
    return " · ".join(parts)


def yes_no(value) -> str:
    return _("Yes") if value else _("No")


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


# -- one event's report -----------------------------------------------------------------


def resend_url(event, next_url: str) -> str:
    return reverse(RESEND_URL_NAME, args=[event.pk]) + "?" + urlencode({"next": next_url})


def figure_rows(headcount, event) -> list[tuple[str, object, bool]]:
    """Every figure as (label, value, is_detail), in the order staff read them;
    detail rows break down the row above them."""
    return [row for _title, rows in figure_groups(headcount, event) for row in rows]


def figure_groups(headcount, event) -> list[tuple[str, list[tuple[str, object, bool]]]]:
    """The figures in three groups: registration, reminder and link, attendance."""
    by_source = headcount.checked_in_by_source
    by_match = headcount.checked_in_by_match
    S, M = Registration.CheckinSource, Registration.CheckinMatch
    registration = [
        (_("Registered"), headcount.registered, False),
        (_("Active"), headcount.active, True),
        (_("Cancelled"), headcount.cancelled, True),
    ]
    reminder = [
        (_("Reminders sent"), headcount.reminders_sent, False),
        (_("Join links opened"), headcount.links_opened, False),
        (_("Clicked the join link in time"), headcount.clicked, False),
        (_("Clicks counted"), headcount.clicks, False),
    ]
    attendance = [
        (_("Checked in"), headcount.checked_in, False),
        (_("From the participant report"), by_source.get(S.PROVIDER_REPORT, 0), True),
        (_("Live, as they joined in Zoom"), by_source.get(S.PROVIDER_LIVE, 0), True),
        (_("Matched by Zoom registrant"), by_match.get(M.REGISTRANT_ID, 0), True),
        (_("Matched by email"), by_match.get(M.EMAIL, 0), True),
        (_("Matched by name (please review)"), by_match.get(M.NAME, 0), True),
        (_("Linked by staff"), by_match.get(M.LINKED, 0), True),
        (_("By a reminder link click"), by_source.get(S.EMAIL_CLICK, 0), True),
        (_("By staff"), by_source.get(S.STAFF, 0), True),
    ]
    if is_hybrid(event) or headcount.in_person:
        attendance += [
            (_("In person"), headcount.in_person, True),
            (_("Online"), headcount.online, True),
        ]
    attendance += [
        (_("Joined briefly"), headcount.joined_briefly, False),
        (_("No-shows"), headcount.no_shows if headcount.ended else "—", False),
        (_("Attendance rate"), rate_text(headcount.attendance_rate), False),
        (_("Unmatched participants to review"), headcount.unmatched, False),
    ]
    return [
        (_("Registration"), registration),
        (_("Reminder and join link"), reminder),
        (_("Attendance"), attendance),
    ]
