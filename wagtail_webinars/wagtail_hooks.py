"""All admin wiring: the registrations viewset and its staff actions."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from . import admin_views
from .models import Registration


class RegistrationViewSet(ModelViewSet):
    model = Registration
    icon = "group"
    menu_label = _("Registrations")
    add_to_admin_menu = True
    menu_order = 250
    url_prefix = "webinars/registrations"
    name = "webinar_registrations"
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = admin_views.RegistrationIndexView
    add_view_class = admin_views.RegistrationCreateView
    inspect_view_class = admin_views.RegistrationInspectView
    filterset_class = admin_views.RegistrationFilterSet
    search_fields = ["email", "first_name", "last_name"]
    search_backend_name = None  # plain database lookups; personal data stays out of the index
    form_fields = ["first_name", "last_name"]
    list_display = [
        Column("full_name", label=_("Name"), accessor="full_name"),
        "email",
        admin_views.EVENT_COLUMN,
        "status",
        admin_views.SYNC_COLUMN,
        "registered_at",
        "checked_in_at",
    ]
    list_export = [
        "first_name",
        "last_name",
        "email",
        "page",
        "status",
        "sync_status",
        "sync_error",
        "registered_at",
        "cancelled_at",
        "checked_in_at",
        "checkin_source",
    ]
    inspect_view_fields = [
        "first_name",
        "last_name",
        "email",
        "page",
        "status",
        "source",
        "registered_at",
        "cancelled_at",
        "sync_status",
        "sync_error",
        "provider_join_url",
        "reminder_sent_at",
        "reminder_resend_count",
        "join_clicked_at",
        "checked_in_at",
        "checkin_source",
    ]

    def get_form_class(self, for_update=False):
        if not for_update:
            return admin_views.StaffRegistrationForm
        return super().get_form_class(for_update)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(**kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            action_url_name=self.get_url_name("action"), **kwargs
        )

    def get_urlpatterns(self):
        action_view = admin_views.RegistrationActionView.as_view(
            permission_policy=self.permission_policy,
            inspect_url_name=self.get_url_name("inspect"),
        )
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/action/<slug:action>/", action_view, name="action"),
        ]


registration_viewset = RegistrationViewSet()


@hooks.register("register_admin_viewset")
def register_registration_viewset():
    return registration_viewset
