"""The registration record: what we know about one registration, grouped the way
staff ask about it, with a timeline in campus time.

Used by the registrations viewset's inspect view (``admin.registrations``); the check-in
buttons on it post to :class:`RegistrationCheckInView` here.

Groups: the person and their answers; Zoom (state, reason, personal link); the
reminder and join link (sent, opened, clicked, inside or before the attendance
window); attendance (checked in, how, minutes). Everything is read from the one
Registration row (plus its event's questions), so the page costs a fixed number
of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from ..models import Registration
from ..templatetags.webinars import campus_datetime
from .event_access import get_event_for_user
from .headcount_names import EVENT_REPORT_URL_NAME, REGISTRATION_CHECK_IN_URL_NAME

INSPECT_URL_NAME = "wagtail_webinars_registrations:inspect"


@dataclass(frozen=True)
class Row:
    label: str
    value: object
    #: Shown as a link (the personal join URL).
    url: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Moment:
    at: datetime
    text: str


def _when(value: datetime | None, empty: str = "") -> str:
    return campus_datetime(value) if value else (empty or _("Not yet"))


def _answers(registration: Registration, event) -> list[Row]:
    """The editor's extra questions, by their labels, in the form's order."""
    if event is None:
        return []
    data = registration.form_data or {}
    rows = []
    for field in event.get_form_fields():
        value = data.get(field.clean_name)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        rows.append(Row(field.label, value if value not in (None, "") else "—"))
    return rows


def clicked_text(registration: Registration) -> str:
    if registration.join_clicked_at:
        return _("Yes, inside the attendance window (first at %(when)s)") % {
            "when": campus_datetime(registration.join_clicked_at)
        }
    if registration.join_early_clicked_at:
        # The early click keeps its time: staff see when, not a bare count.
        return _("Only before the attendance window: %(when)s (before the window)") % {
            "when": campus_datetime(registration.join_early_clicked_at)
        }
    if registration.join_click_count:
        return _("Only before the attendance window")
    return _("No")


def attendance_how(registration: Registration) -> str:
    if registration.checked_in_at is None:
        return "—"
    how = registration.get_checkin_source_display()
    if registration.checkin_matched_by:
        how += " — " + _("matched by %(key)s") % {
            "key": registration.get_checkin_matched_by_display().lower()
        }
    if registration.checkin_by_staff and registration.checked_in_by_id:
        by = registration.checked_in_by
        how += " — " + _("by %(user)s") % {"user": by.get_full_name() or by.get_username()}
    return how


def sections(registration: Registration, event, managed: bool) -> list[Section]:
    person = [
        Row(_("Name"), registration.full_name),
        Row(_("Email"), registration.email),
        Row(_("Event"), event.title if event else "—"),
        Row(_("Status"), registration.get_status_display()),
        Row(_("Registered through"), registration.get_source_display()),
        Row(_("Registered"), _when(registration.registered_at)),
    ]
    if registration.cancelled_at:
        person.append(Row(_("Cancelled"), _when(registration.cancelled_at)))
    if registration.confirmation_error:
        person.append(Row(_("Confirmation email problem"), registration.confirmation_error))
    person += _answers(registration, event)

    result = [Section("person", _("The person and their answers"), person)]

    if managed or registration.sync_status != Registration.SyncStatus.NOT_APPLICABLE:
        zoom = [
            Row(_("State in Zoom"), registration.get_sync_status_display()),
        ]
        if registration.sync_error:
            zoom.append(Row(_("Reason"), registration.sync_error))
        zoom.append(Row(_("Last synced"), _when(registration.synced_at, _("Never"))))
        zoom.append(
            Row(
                _("Personal join link"),
                registration.provider_join_url or _("None yet"),
                url=registration.provider_join_url,
            )
        )
        result.append(Section("zoom", _("Zoom"), zoom))

    reminder = [
        Row(_("Reminder sent"), _when(registration.reminder_sent_at)),
    ]
    if registration.reminder_error:
        reminder.append(Row(_("Reminder problem"), registration.reminder_error))
    if registration.reminder_resend_count:
        reminder.append(
            Row(
                _("Resent"),
                _("%(count)d× (last %(when)s)")
                % {
                    "count": registration.reminder_resend_count,
                    "when": _when(registration.reminder_resent_at),
                },
            )
        )
    reminder += [
        Row(_("Join link opened"), _when(registration.join_opened_at, _("No"))),
        Row(_("Join link clicked"), clicked_text(registration)),
        Row(_("Clicks counted"), registration.join_click_count),
    ]
    result.append(Section("reminder", _("Reminder and join link"), reminder))

    attendance = [
        Row(_("Checked in"), _when(registration.checked_in_at, _("No"))),
        Row(_("How"), attendance_how(registration)),
    ]
    if registration.checked_in_at and registration.attendance_mode:
        attendance.append(Row(_("Attended"), registration.get_attendance_mode_display()))
    if registration.attended_minutes is not None:
        attendance.append(Row(_("Minutes attended"), registration.attended_minutes))
    if registration.attended_first_join:
        attendance.append(Row(_("First joined"), _when(registration.attended_first_join)))
    if registration.attended_last_leave:
        attendance.append(Row(_("Last left"), _when(registration.attended_last_leave)))
    if registration.joined_briefly and not registration.checked_in_at:
        attendance.append(Row(_("Joined briefly"), _("Yes: too few minutes to count")))
    if registration.checkin_needs_review:
        attendance.append(Row(_("Please review"), _("Matched by name only")))
    result.append(Section("attendance", _("Attendance"), attendance))
    return result


def timeline(registration: Registration) -> list[Moment]:
    """What happened to this registration, oldest first (campus time in the template)."""
    r = registration
    moments = [
        (r.registered_at, _("Registered (%(how)s)") % {"how": r.get_source_display()}),
        (r.confirmation_sent_at, _("Confirmation email sent")),
        (r.synced_at, _("Zoom has it (last sync)")),
        (r.reminder_sent_at, _("Reminder sent")),
        (r.reminder_resent_at, _("Reminder sent again")),
        (r.join_opened_at, _("Join link opened")),
        (r.join_early_clicked_at, _("Join link clicked before the attendance window")),
        (r.join_clicked_at, _("Join link clicked inside the attendance window")),
        (r.attended_first_join, _("Joined the meeting")),
        (r.attended_last_leave, _("Left the meeting")),
        (
            r.checked_in_at,
            _("Checked in: %(how)s") % {"how": attendance_how(r)} if r.checked_in_at else "",
        ),
        (r.cancelled_at, _("Cancelled")),
    ]
    return sorted((Moment(at, text) for at, text in moments if at and text), key=lambda m: m.at)


def record_context(registration: Registration, user) -> dict:
    """Everything the record template shows, for ``registration`` as seen by ``user``."""
    from ..permissions import registration_policy

    event = registration.page.specific if registration.page_id else None
    managed = bool(event and getattr(event, "is_managed", False))
    can_change = bool(event) and registration_policy.user_can_for_event(user, "change", event)
    can_view = bool(event) and registration_policy.user_can_for_event(user, "view", event)
    return {
        "sections": sections(registration, event, managed),
        "timeline": timeline(registration),
        "event": event,
        "can_check_in": can_change and registration.is_active,
        "check_in_url": reverse(
            REGISTRATION_CHECK_IN_URL_NAME, args=[registration.page_id, registration.pk]
        )
        if event
        else "",
        "report_url": reverse(EVENT_REPORT_URL_NAME, args=[registration.page_id])
        if can_view
        else "",
    }


class RegistrationCheckInView(View):
    """POST from the record: staff check someone in by hand, or undo a check-in."""

    http_method_names = ["post"]

    def post(self, request, event_id: int, pk: int):
        from .. import checkin

        event = get_event_for_user(request.user, event_id, "change")
        registration = get_object_or_404(Registration, pk=pk, page_id=event.pk)
        action = request.POST.get("action")
        if action == "check_in" and registration.is_active and not registration.checked_in_at:
            try:
                checkin.check_in(registration, Registration.CheckinSource.STAFF, by=request.user)
            except checkin.CheckInRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, _("Checked in."))
        elif action == "undo" and registration.checked_in_at:
            checkin.undo_check_in(registration, by=request.user)
            messages.success(request, _("Check-in undone."))
        elif action == "confirm" and registration.checkin_needs_review:
            checkin.confirm_match(registration, by=request.user)
            messages.success(request, _("Name match confirmed."))
        else:
            messages.warning(request, _("That action does not apply to this registration now."))
        return redirect(INSPECT_URL_NAME, registration.pk)
