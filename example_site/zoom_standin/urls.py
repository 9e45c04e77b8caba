"""The stand-in's URLs, mounted at ``/zoom-standin/`` by the example site.

``oauth/token`` and ``v2/...`` mirror Zoom's own hosts; the rest is for people
and tests (dashboard, JSON state, failure switch, join links).
"""

from django.urls import path

from . import views

app_name = "zoom_standin"

M = {"kind": "meeting"}
W = {"kind": "webinar"}

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("state.json", views.state, name="state"),
    path("oauth/token", views.oauth_token, name="oauth_token"),
    # Zoom's REST API (v2): meetings, webinars, registrants, reports.
    path("v2/meetings/<int:zoom_id>", views.get_meeting, M, name="meeting"),
    path("v2/webinars/<int:zoom_id>", views.get_meeting, W, name="webinar"),
    path("v2/meetings/<int:zoom_id>/registrants", views.registrants, M, name="meeting_registrants"),
    path("v2/webinars/<int:zoom_id>/registrants", views.registrants, W, name="webinar_registrants"),
    path(
        "v2/meetings/<int:zoom_id>/registrants/status",
        views.registrant_status,
        M,
        name="meeting_registrant_status",
    ),
    path(
        "v2/webinars/<int:zoom_id>/registrants/status",
        views.registrant_status,
        W,
        name="webinar_registrant_status",
    ),
    path(
        "v2/meetings/<int:zoom_id>/batch_registrants",
        views.batch_registrants,
        M,
        name="meeting_batch_registrants",
    ),
    path(
        "v2/webinars/<int:zoom_id>/batch_registrants",
        views.batch_registrants,
        W,
        name="webinar_batch_registrants",
    ),
    path(
        "v2/report/meetings/<int:zoom_id>/participants",
        views.participants_report,
        M,
        name="meeting_participants_report",
    ),
    path(
        "v2/report/webinars/<int:zoom_id>/participants",
        views.participants_report,
        W,
        name="webinar_participants_report",
    ),
    # Where the stand-in's join links lead.
    path("j/<int:zoom_id>", views.join, name="join"),
    # Make it misbehave, or change a meeting, as staff would in Zoom.
    path("control/failure", views.control_failure, name="control_failure"),
    path("control/reset", views.control_reset, name="control_reset"),
    path("control/meetings/<int:zoom_id>", views.control_meeting, name="control_meeting"),
    path("control/meetings/<int:zoom_id>/attend", views.control_attend, name="control_attend"),
]
