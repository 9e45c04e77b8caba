from django.urls import path

from . import views
from .webhooks import endpoint

app_name = "wagtail_webinars"

urlpatterns = [
    path("cancel/<str:token>/", views.cancel, name="cancel"),
    path("join/<str:token>/", views.join, name="join"),
    path("reregister/<str:token>/", views.reregister, name="reregister"),
    # Providers post here (Zoom: webhooks/zoom/), see docs/providers/zoom.md.
    path("webhooks/<slug:name>/", endpoint.receive, name="webhook"),
]
