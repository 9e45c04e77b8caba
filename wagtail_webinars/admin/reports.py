"""The Event headcount report (admin menu: Reports > Event headcount).

Two Wagtail ``ReportView`` pages, so they look, filter, paginate and export
(CSV, XLSX) like Wagtail's own reports:

* :class:`EventListReportView`: pick an event (newest first, with its date,
  provider and headline figures);
* :class:`EventHeadcountReportView`: one event's figures (from
  :func:`wagtail_webinars.headcounts.headcount_for_event`), the latest
  participant pull, the registrant table and the participants that matched
  nobody, with the staff actions.

Every page asks the one registration permission policy: seeing needs the
"view" permission for that event, acting needs "change". Users without it get a
403 and no personal data (page and export alike). Query counts are constant
whatever the number of registrants (no per-row lookups).

The actions (check in attendees, link / register / dismiss an unmatched
participant, the door list of a hybrid event) live in
:mod:`wagtail_webinars.admin.checkin_views`; all of them call
:mod:`wagtail_webinars.checkin`, the only writer of check-ins.
"""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import HeaderButton

from ..conf import campus_time_zone, campus_time_zone_name
from ..models import ParticipantPull, Registration, UnmatchedParticipant, event_page_models
from ..permissions import registration_policy
from ..templatetags.webinars import campus_datetime
from .exports import RegistrationExportMixin

URL_NAMESPACE = "wagtail_webinars_headcount"
EVENT_LIST_URL_NAME = f"{URL_NAMESPACE}:index"
EVENT_REPORT_URL_NAME = f"{URL_NAMESPACE}:event"

#: While a pull is queued or running the report reloads itself this often (seconds),
#: so the person who pressed the button sees it finish. A pull waiting for Zoom's
#: report retries in minutes: the page reloads more slowly then.
REFRESH_RUNNING_SECONDS = 3
REFRESH_WAITING_SECONDS = 60

#: Open unmatched participants shown on the report page (the count shows them all).
UNMATCHED_SHOWN = 100


# -- who may see which event ------------------------------------------------------------


def events_for_user(user, action: str = "view") -> list:
    """Specific event pages whose registrations ``user`` may ``action``, newest first.

    One query per event page model (``event_page_models()`` lists each table once).
    """
    allowed = registration_policy.events_for_user(user, action)
    events = []
    for model in event_page_models():
        events.extend(model._default_manager.filter(pk__in=allowed))
    events.sort(key=lambda event: (event.start, event.pk), reverse=True)
    return events


def get_event_for_user(user, event_id: int, action: str = "view"):
    """The specific event page, or 404 (no such event) / 403 (not allowed)."""
    from ..models import get_event_page

    event = get_event_page(event_id)
    if event is None:
        raise Http404
    if not registration_policy.user_can_for_event(user, action, event):
        raise PermissionDenied
    return event


def provider_label(event) -> str:
    provider = event.provider
    return str(provider.label) if provider and provider.label else "—"


def is_hybrid(event) -> bool:
    """A venue beside the online location: people can also come in person."""
    return bool((getattr(event, "venue", "") or "").strip())


def can_pull_participants(event) -> bool:
    """Whether "Check in webinar attendees" applies (the provider has a report)."""
    from .. import checkin

    return checkin.can_check_in(event)


# -- how a registration reads in the table and the export -------------------------------


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


def _yes_no(value) -> str:
    return _("Yes") if value else _("No")


# -- pick an event ----------------------------------------------------------------------


class EventListReportView(RegistrationExportMixin, ReportView):
    """Every event the user may see registrations of, newest first, with its figures."""

    page_title = gettext_lazy("Event headcount")
    header_icon = "group"
    index_url_name = EVENT_LIST_URL_NAME
    index_results_url_name = f"{URL_NAMESPACE}:index_results"
    paginate_by = 50
    verbose_name_plural = gettext_lazy("events")

    list_export = [
        "title",
        "start",
        "provider_label",
        "headcount.active",
        "headcount.cancelled",
        "headcount.checked_in",
        "headcount.no_shows",
        "attendance_rate_text",
    ]

    def dispatch(self, request, *args, **kwargs):
        if not registration_policy.user_has_permission(request.user, "view"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def export_headings(self):
        zone = campus_time_zone_name()
        return {
            "title": _("Event"),
            "start": _("Starts (%(zone)s)") % {"zone": zone},
            "provider_label": _("Provider"),
            "headcount.active": _("Registered"),
            "headcount.cancelled": _("Cancelled"),
            "headcount.checked_in": _("Checked in"),
            "headcount.no_shows": _("No-shows"),
            "attendance_rate_text": _("Attendance rate"),
        }

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Event"),
                get_url=lambda event: reverse(EVENT_REPORT_URL_NAME, args=[event.pk]),
            ),
            Column("start", label=_("Starts"), accessor=lambda e: campus_datetime(e.start)),
            Column("provider", label=_("Provider"), accessor="provider_label"),
            Column("registered", label=_("Registered"), accessor="headcount.active"),
            Column("checked_in", label=_("Checked in"), accessor="headcount.checked_in"),
            Column("rate", label=_("Attendance rate"), accessor="attendance_rate_text"),
        ]

    def get_filename(self):
        return f"event-headcount-{timezone.localdate():%Y-%m-%d}"

    def get_queryset(self):
        return events_for_user(self.request.user, "view")

    def get_filtered_queryset(self):
        return self.get_queryset()

    def decorate_paginated_queryset(self, events):
        from .. import headcounts

        events = list(events)
        figures = headcounts.headcounts_for_events(events)
        for event in events:
            event.headcount = figures[event.pk]
            event.provider_label = provider_label(event)
            event.attendance_rate_text = rate_text(event.headcount.attendance_rate)
        return events

    def render_to_response(self, context, **response_kwargs):
        if self.is_export:
            # The export has every event, not the page: decorate them all (3 queries).
            events = self.decorate_paginated_queryset(self.get_queryset())
            return self.as_spreadsheet(events, self.request.GET.get("export"))
        return super().render_to_response(context, **response_kwargs)


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


# -- one event's report -----------------------------------------------------------------


class CheckinFilter(django_filters.ChoiceFilter):
    CHECKED_IN = "yes"
    NOT_CHECKED_IN = "no"
    JOINED_BRIEFLY = "briefly"
    NEEDS_REVIEW = "review"
    IN_PERSON = "in_person"

    def filter(self, qs, value):
        if value == self.CHECKED_IN:
            return qs.filter(checked_in_at__isnull=False)
        if value == self.NOT_CHECKED_IN:
            return qs.filter(checked_in_at__isnull=True)
        if value == self.JOINED_BRIEFLY:
            return qs.filter(checked_in_at__isnull=True, joined_briefly=True)
        if value == self.NEEDS_REVIEW:
            return qs.filter(checked_in_at__isnull=False, checkin_needs_review=True)
        if value == self.IN_PERSON:
            return qs.filter(
                checked_in_at__isnull=False, attendance_mode=Registration.Attendance.IN_PERSON
            )
        return qs


class YesNoFilter(django_filters.ChoiceFilter):
    """Whether a date field is set: "yes" / "no"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))])
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("yes", "no"):
            return qs.filter(**{f"{self.field_name}__isnull": value == "no"})
        return qs


class RegistrantFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=Registration.Status.choices
    )
    checked_in = CheckinFilter(
        label=gettext_lazy("Check-in"),
        choices=[
            (CheckinFilter.CHECKED_IN, gettext_lazy("Checked in")),
            (CheckinFilter.NOT_CHECKED_IN, gettext_lazy("Not checked in")),
            (CheckinFilter.JOINED_BRIEFLY, gettext_lazy("Joined briefly")),
            (CheckinFilter.NEEDS_REVIEW, gettext_lazy("Matched by name: please review")),
            (CheckinFilter.IN_PERSON, gettext_lazy("In person")),
        ],
    )
    checkin_source = django_filters.ChoiceFilter(
        label=gettext_lazy("Checked in by"), choices=Registration.CheckinSource.choices
    )
    sync_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Sync"), choices=Registration.SyncStatus.choices
    )
    reminder = YesNoFilter(label=gettext_lazy("Reminder sent"), field_name="reminder_sent_at")
    clicked = YesNoFilter(label=gettext_lazy("Clicked the join link"), field_name="join_clicked_at")

    class Meta:
        model = Registration
        fields = ["status", "checked_in", "checkin_source", "sync_status"]


class EventHeadcountReportView(RegistrationExportMixin, ReportView):
    """One event: figures, last pull, registrants (filter, search, export), unmatched."""

    template_name = "wagtail_webinars/admin/reports/event_headcount.html"
    results_template_name = "wagtail_webinars/admin/reports/event_headcount_results.html"
    header_icon = "group"
    paginate_by = 50
    filterset_class = RegistrantFilterSet
    is_searchable = True
    search_fields = ["first_name", "last_name", "email"]
    search_backend_name = None  # plain database lookups; personal data stays out of the index
    verbose_name_plural = gettext_lazy("registrants")
    model = Registration

    list_export = [
        "first_name",
        "last_name",
        "email",
        "get_status_display",
        "registered_at",
        "cancelled_at",
        "get_sync_status_display",
        "sync_error",
        "reminder_sent_at",
        "join_opened_at",
        "join_clicked_at",
        "join_click_count",
        "checked_in_at",
        "get_checkin_source_display",
        "get_checkin_matched_by_display",
        "get_attendance_mode_display",
        "attended_minutes",
        "attended_first_join",
        "attended_last_leave",
        "joined_briefly",
        "checkin_needs_review",
    ]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        yes_no = {self.FORMAT_CSV: _yes_no, self.FORMAT_XLSX: _yes_no}
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            "joined_briefly": yes_no,
            "checkin_needs_review": yes_no,
        }

    def dispatch(self, request, event_id: int, *args, **kwargs):
        # Before anything is read: no personal data for someone who may not see it.
        self.event = get_event_for_user(request.user, event_id, "view")
        self.can_change = registration_policy.user_can_for_event(request.user, "change", self.event)
        return super().dispatch(request, event_id, *args, **kwargs)

    def get_page_title(self):
        return _("Event headcount")

    def get_page_subtitle(self):
        return self.event.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(EVENT_LIST_URL_NAME), "label": _("Event headcount")},
            {"url": "", "label": self.event.title},
        ]

    def get_index_url(self):
        return reverse(EVENT_REPORT_URL_NAME, args=[self.event.pk])

    def get_index_results_url(self):
        return reverse(f"{URL_NAMESPACE}:event_results", args=[self.event.pk])

    def get_filename(self):
        day = timezone.localtime(self.event.start, campus_time_zone()).date()
        return f"headcount-{self.event.slug}-{day}"

    @cached_property
    def export_headings(self):
        zone = campus_time_zone_name()

        def timed(label):
            return _("%(label)s (%(zone)s)") % {"label": label, "zone": zone}

        return {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "email": _("Email"),
            "get_status_display": _("Status"),
            "registered_at": timed(_("Registered")),
            "cancelled_at": timed(_("Cancelled")),
            "get_sync_status_display": _("Sync"),
            "sync_error": _("Sync problem"),
            "reminder_sent_at": timed(_("Reminder sent")),
            "join_opened_at": timed(_("Join link opened")),
            "join_clicked_at": timed(_("Join link clicked")),
            "join_click_count": _("Clicks"),
            "checked_in_at": timed(_("Checked in")),
            "get_checkin_source_display": _("Checked in by"),
            "get_checkin_matched_by_display": _("Matched by"),
            "get_attendance_mode_display": _("Attended"),
            "attended_minutes": _("Minutes attended"),
            "attended_first_join": timed(_("First joined")),
            "attended_last_leave": timed(_("Last left")),
            "joined_briefly": _("Joined briefly"),
            "checkin_needs_review": _("Matched by name: please review"),
        }

    @cached_property
    def columns(self):
        inspect = "wagtail_webinars_registrations:inspect"
        return [
            TitleColumn(
                "name",
                label=_("Name"),
                accessor="full_name",
                url_name=inspect,
                sort_key="last_name",
            ),
            Column("email", label=_("Email"), sort_key="email"),
            StatusTagColumn(
                "status",
                label=_("Status"),
                accessor="get_status_display",
                primary=lambda r: r.is_active,
                sort_key="status",
            ),
            Column("sync", label=_("Sync"), accessor="get_sync_status_display"),
            Column("reminder", label=_("Reminder"), accessor=reminder_text),
            Column("link", label=_("Join link"), accessor=link_text),
            Column(
                "checkin",
                label=_("Check-in"),
                accessor=checkin_text,
                sort_key="checked_in_at",
            ),
        ]

    default_ordering = "last_name"

    def get_base_queryset(self):
        # Every column reads this row only: one query for the page, whatever its size.
        return Registration.objects.filter(page_id=self.event.pk)

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        # A stable order across pages (many people share a last name).
        return queryset.order_by(*queryset.query.order_by, "first_name", "pk")

    @cached_property
    def headcount(self):
        from .. import headcounts

        return headcounts.headcount_for_event(self.event)

    @cached_property
    def header_buttons(self):
        buttons = []
        if not self.can_change:
            return buttons
        from . import checkin_views

        # "Check in webinar attendees" posts: it is a form on the page, not a link here.
        buttons.append(
            HeaderButton(
                _("Resend reminder to all"),
                url=_resend_url(self.event, self.get_index_url()),
                icon_name="mail",
                priority=20,
            )
        )
        if is_hybrid(self.event):
            buttons.append(
                HeaderButton(
                    _("Door list"),
                    url=reverse(checkin_views.DOOR_LIST_URL_NAME, args=[self.event.pk]),
                    icon_name="group",
                    priority=30,
                )
            )
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        if self.results_only:
            return context
        from . import checkin_views

        headcount = self.headcount
        pull = headcount.last_pull
        unmatched = list(
            UnmatchedParticipant.objects.filter(
                page_id=self.event.pk, state=UnmatchedParticipant.State.OPEN
            ).order_by("first_join", "pk")[:UNMATCHED_SHOWN]
        )
        refresh = None
        if pull is not None and pull.is_active:
            refresh = (
                REFRESH_WAITING_SECONDS
                if pull.state == ParticipantPull.State.WAITING
                else REFRESH_RUNNING_SECONDS
            )
        context.update(
            event=self.event,
            headcount=headcount,
            figures=figure_rows(headcount, self.event),
            figure_groups=figure_groups(headcount, self.event),
            pull=pull,
            refresh_seconds=refresh,
            unmatched=unmatched,
            unmatched_more=max(headcount.unmatched - len(unmatched), 0),
            can_change=self.can_change,
            can_pull=can_pull_participants(self.event),
            provider_label=provider_label(self.event),
            is_hybrid=is_hybrid(self.event),
            check_in_url=reverse(checkin_views.CHECK_IN_URL_NAME, args=[self.event.pk]),
            unmatched_action_url_name=checkin_views.UNMATCHED_ACTION_URL_NAME,
            unmatched_link_url_name=checkin_views.UNMATCHED_LINK_URL_NAME,
            unmatched_register_url_name=checkin_views.UNMATCHED_REGISTER_URL_NAME,
        )
        return context


def _resend_url(event, next_url: str) -> str:
    from urllib.parse import urlencode

    from .events import RESEND_URL_NAME

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


def registrations_matching(event, query: str, limit: int = 20):
    """Active registrations of ``event`` whose name or email contains ``query``."""
    qs = Registration.objects.active().filter(page_id=event.pk)
    for word in query.split():
        qs = qs.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return qs.order_by("last_name", "first_name", "pk")[:limit]
