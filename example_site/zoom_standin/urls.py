"""The stand-in's URLs, mounted at ``/zoom-standin/`` by the example site.

``oauth/token`` and ``v2/...`` mirror Zoom's own hosts; the rest is for people
and tests (dashboard, JSON state, failure switch, join links). The dashboard and
the JSON state list registrants' names and emails, so they need a staff login
(Wagtail's login page); the API keeps Zoom's OAuth.
"""

from django.contrib.auth.decorators import user_passes_test
from django.urls import path, reverse_lazy

from . import account, reports, views, zoom_side

staff_only = user_passes_test(
    lambda user: user.is_active and user.is_staff, login_url=reverse_lazy("wagtailadmin_login")
)

app_name = "zoom_standin"

M = {"kind": "meeting"}
W = {"kind": "webinar"}

urlpatterns = [
    path("", staff_only(views.dashboard), name="dashboard"),
    path("state.json", staff_only(views.state), name="state"),
    path("oauth/token", views.oauth_token, name="oauth_token"),
    # Zoom's REST API (v2): the account, meetings, webinars, registrants, reports.
    path("v2/users/me", account.users_me, name="users_me"),
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
        "v2/meetings/<int:zoom_id>/registrants/<str:registrant_id>",
        views.registrant,
        M,
        name="meeting_registrant",
    ),
    path(
        "v2/webinars/<int:zoom_id>/registrants/<str:registrant_id>",
        views.registrant,
        W,
        name="webinar_registrant",
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
    # Past instances and per-instance reports (by UUID), see reports.py.
    path(
        "v2/past_meetings/<int:zoom_id>/instances",
        reports.past_instances,
        M,
        name="meeting_instances",
    ),
    path(
        "v2/past_webinars/<int:zoom_id>/instances",
        reports.past_instances,
        W,
        name="webinar_instances",
    ),
    path(
        "v2/report/meetings/<path:uuid>/participants",
        reports.instance_report,
        M,
        name="meeting_instance_report",
    ),
    path(
        "v2/report/webinars/<path:uuid>/participants",
        reports.instance_report,
        W,
        name="webinar_instance_report",
    ),
    # Where the stand-in's join links lead.
    path("j/<int:zoom_id>", views.join, name="join"),
    # Make it misbehave, or change a meeting, as staff would in Zoom.
    path("control/failure", views.control_failure, name="control_failure"),
    path("control/reset", views.control_reset, name="control_reset"),
    path("control/scopes", account.control_scopes, name="control_scopes"),
    path("control/meetings/<int:zoom_id>", views.control_meeting, name="control_meeting"),
    path("control/meetings/<int:zoom_id>/attend", views.control_attend, name="control_attend"),
    path(
        "control/meetings/<int:zoom_id>/simulate",
        reports.control_simulate,
        name="control_simulate",
    ),
    path("control/meetings/<int:zoom_id>/report", reports.control_report, name="control_report"),
    # What people do in Zoom itself; each sends its webhook to the site (webhooks.py).
    path(
        "control/registrants/<str:registrant_id>/cancel",
        zoom_side.cancel_registrant,
        name="control_cancel_registrant",
    ),
    path(
        "control/meetings/<int:zoom_id>/register",
        zoom_side.register_directly,
        name="control_register_directly",
    ),
    path("control/meetings/<int:zoom_id>/change", zoom_side.change_meeting, name="control_change"),
]
