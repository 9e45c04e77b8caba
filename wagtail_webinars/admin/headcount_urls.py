"""URLs of the Event headcount report and its actions (included under the admin's
``reports/event-headcount/`` by ``wagtail_hooks.py``)."""

from __future__ import annotations

from django.urls import path

from . import checkin_views, registration_record, reports
from .headcount_names import URL_NAMESPACE

app_name = URL_NAMESPACE

urlpatterns = [
    path("", reports.EventListReportView.as_view(), name="index"),
    path(
        "results/",
        reports.EventListReportView.as_view(results_only=True),
        name="index_results",
    ),
    path("<int:event_id>/", reports.EventHeadcountReportView.as_view(), name="event"),
    path(
        "<int:event_id>/results/",
        reports.EventHeadcountReportView.as_view(results_only=True),
        name="event_results",
    ),
    path("<int:event_id>/check-in/", checkin_views.StartCheckInView.as_view(), name="check_in"),
    path(
        "<int:event_id>/registrations/<int:pk>/check-in/",
        registration_record.RegistrationCheckInView.as_view(),
        name="registration_check_in",
    ),
    path("<int:event_id>/door/", checkin_views.DoorListView.as_view(), name="door_list"),
    path(
        "<int:event_id>/unmatched/<int:participant_id>/link/",
        checkin_views.LinkParticipantView.as_view(),
        name="unmatched_link",
    ),
    path(
        "<int:event_id>/unmatched/<int:participant_id>/register/",
        checkin_views.RegisterParticipantView.as_view(),
        name="unmatched_register",
    ),
    path(
        "<int:event_id>/unmatched/<int:participant_id>/<slug:action>/",
        checkin_views.UnmatchedActionView.as_view(),
        name="unmatched_action",
    ),
]
