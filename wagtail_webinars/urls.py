from django.urls import path

from . import views

app_name = "wagtail_webinars"

urlpatterns = [
    path("cancel/<str:token>/", views.cancel, name="cancel"),
    path("join/<str:token>/", views.join, name="join"),
    path("reregister/<str:token>/", views.reregister, name="reregister"),
]
