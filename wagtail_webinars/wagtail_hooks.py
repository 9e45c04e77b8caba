"""All admin wiring: the registrations viewset and its staff actions."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button

from . import admin_event_views, admin_views
from .models import Registration, event_page_models
from .permissions import VIEW, registration_policy


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
    edit_view_class = admin_views.RegistrationEditView
    inspect_view_class = admin_views.RegistrationInspectView
    delete_view_class = admin_views.RegistrationDeleteView
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
        "reminder_error",
        "reminder_resend_count",
        "reminder_resent_at",
        "join_opened_at",
        "join_clicked_at",
        "join_click_count",
        "checked_in_at",
        "checkin_source",
    ]

    def get_form_class(self, for_update=False):
        # Adding goes through the registration service, editing through rename().
        if for_update:
            return admin_views.StaffRenameForm
        return admin_views.StaffRegistrationForm

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


# -- Wagtail's form submissions: deleting an event's registrations needs the policy --------


@hooks.register("register_admin_urls", order=-1)
def register_submissions_delete_url():
    # The same path as Wagtail's "wagtailforms:delete_submissions", listed before it
    # (order=-1) so every link and POST to that URL reaches the policy-checked view.
    return [
        path(
            "forms/submissions/<int:page_id>/delete/",
            admin_views.EventSubmissionsDeleteView.as_view(),
            name="wagtail_webinars_delete_submissions",
        ),
    ]


@hooks.register("filter_form_submissions_for_user")
def hide_events_whose_registrations_user_may_not_see(user, editable_forms):
    # Wagtail's rule (may edit the page) is already applied; event pages also need
    # the registration permission, so plain page editors do not see them under Forms.
    if registration_policy.user_has_permission(user, VIEW):
        return editable_forms
    return editable_forms.not_type(*event_page_models())


# -- event admin: resend the reminder to everyone --------------------------------------


@hooks.register("register_admin_urls")
def register_event_admin_urls():
    return [
        path(
            "webinars/events/<int:page_id>/resend-reminders/",
            admin_event_views.ResendRemindersView.as_view(),
            name=admin_event_views.RESEND_URL_NAME,
        ),
    ]


def _resend_all_buttons(page, user, next_url=None, priority=90):
    specific_class = page.specific_class or type(page)
    is_event = issubclass(specific_class, tuple(event_page_models()))
    if not is_event or not admin_event_views.user_can_resend(user, page):
        return
    url = reverse(admin_event_views.RESEND_URL_NAME, args=[page.pk])
    if next_url:
        url += "?" + urlencode({"next": next_url})
    yield Button(_("Resend reminder to all"), url=url, icon_name="mail", priority=priority)


@hooks.register("register_page_header_buttons")
def event_header_buttons(page, user, view_name=None, next_url=None):
    yield from _resend_all_buttons(page, user, next_url)


@hooks.register("register_page_listing_more_buttons")
def event_listing_more_buttons(page, user, next_url=None):
    yield from _resend_all_buttons(page, user, next_url)


# -- managed Zoom: fill fields on publish, backfill, the event's Zoom sync page -------------


@hooks.register("before_publish_page")
def refresh_zoom_on_publish(request, page):
    # Before publishing, so the values land in the revision that becomes live.
    admin_views.refresh_zoom_on_publish(request, page)


@hooks.register("after_publish_page")
def backfill_zoom_after_publish(request, page):
    admin_views.backfill_after_publish(request, page)


@hooks.register("register_admin_urls")
def register_event_zoom_urls():
    return [
        path(
            "webinars/events/<int:page_id>/zoom/",
            admin_views.EventZoomView.as_view(),
            name=admin_views.EVENT_ZOOM_URL_NAME,
        ),
    ]


@hooks.register("register_page_header_buttons")
def zoom_sync_header_buttons(page, user, view_name=None, next_url=None):
    return admin_views.zoom_header_buttons(page, user)
