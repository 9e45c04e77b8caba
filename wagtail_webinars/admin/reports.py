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

import django_filters
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import HeaderButton

from ..conf import campus_time_zone, campus_time_zone_name
from ..models import ParticipantPull, Registration, UnmatchedParticipant
from ..permissions import registration_policy
from ..templatetags.webinars import campus_datetime
from ..webhooks import notices
from .event_access import events_for_user, get_event_for_user
from .exports import RegistrationExportMixin
from .headcount_names import (
    CHECK_IN_URL_NAME,
    DOOR_LIST_URL_NAME,
    EVENT_LIST_URL_NAME,
    EVENT_REPORT_URL_NAME,
    UNMATCHED_ACTION_URL_NAME,
    UNMATCHED_LINK_URL_NAME,
    UNMATCHED_REGISTER_URL_NAME,
    URL_NAMESPACE,
)
from .report_cells import (
    can_pull_participants,
    checkin_text,
    figure_groups,
    figure_rows,
    is_hybrid,
    link_text,
    provider_label,
    rate_text,
    reminder_text,
    resend_url,
    yes_no,
)

#: While a pull is queued or running the report reloads itself this often (seconds),
#: so the person who pressed the button sees it finish. A pull waiting for Zoom's
#: report retries in minutes: the page reloads more slowly then.
REFRESH_RUNNING_SECONDS = 3
REFRESH_WAITING_SECONDS = 60

#: Open unmatched participants shown on the report page (the count shows them all).
UNMATCHED_SHOWN = 100


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
        as_yes_no = {self.FORMAT_CSV: yes_no, self.FORMAT_XLSX: yes_no}
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            "joined_briefly": as_yes_no,
            "checkin_needs_review": as_yes_no,
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
        # "Check in webinar attendees" posts: it is a form on the page, not a link here.
        buttons.append(
            HeaderButton(
                _("Resend reminder to all"),
                url=resend_url(self.event, self.get_index_url()),
                icon_name="mail",
                priority=20,
            )
        )
        if is_hybrid(self.event):
            buttons.append(
                HeaderButton(
                    _("Door list"),
                    url=reverse(DOOR_LIST_URL_NAME, args=[self.event.pk]),
                    icon_name="group",
                    priority=30,
                )
            )
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        if self.results_only:
            return context
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
            meeting_warning=notices.deleted_warning(self.event),
            is_hybrid=is_hybrid(self.event),
            check_in_url=reverse(CHECK_IN_URL_NAME, args=[self.event.pk]),
            unmatched_action_url_name=UNMATCHED_ACTION_URL_NAME,
            unmatched_link_url_name=UNMATCHED_LINK_URL_NAME,
            unmatched_register_url_name=UNMATCHED_REGISTER_URL_NAME,
        )
        return context
