"""All admin wiring: the registrations viewset, the event views, buttons and hooks.

The views live in :mod:`wagtail_webinars.admin`; who may see or change
registrations is :mod:`wagtail_webinars.permissions`' decision.
"""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from .admin import actions, events, registrations, submissions
from .models import EventPageMixin, Registration, event_page_models
from .permissions import VIEW, registration_policy


class RegistrationViewSet(ModelViewSet):
    model = Registration
    icon = "group"
    menu_label = _("Registrations")
    add_to_admin_menu = True
    menu_order = 250
    url_prefix = "webinars/registrations"
    name = "wagtail_webinars_registrations"
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = registrations.RegistrationIndexView
    add_view_class = registrations.RegistrationCreateView
    edit_view_class = registrations.RegistrationEditView
    inspect_view_class = registrations.RegistrationInspectView
    delete_view_class = registrations.RegistrationDeleteView
    filterset_class = registrations.RegistrationFilterSet
    search_fields = ["email", "first_name", "last_name"]
    search_backend_name = None  # plain database lookups; personal data stays out of the index
    form_fields = ["first_name", "last_name"]
    list_display = [
        "full_name",  # the row's link to the registration, with its row menu
        "email",
        registrations.EVENT_COLUMN,
        "status",
        registrations.SYNC_COLUMN,
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
        "answers",
    ]
    export_headings = {"page": _("Event"), "answers": _("Answers")}
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
            return registrations.StaffRenameForm
        return registrations.StaffRegistrationForm

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(export_headings=self.export_headings, **kwargs)

    def get_urlpatterns(self):
        back = {"success_url_name": self.get_url_name("inspect")}
        action_view = actions.RegistrationActionView.as_view(**back)
        confirm_view = actions.CancelConfirmView.as_view(
            action_url_name=self.get_url_name("action"), **back
        )
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/action/<slug:action>/", action_view, name="action"),
            path("<int:pk>/cancel/", confirm_view, name="cancel_confirm"),
        ]


registration_viewset = RegistrationViewSet()


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [registration_viewset, events.event_viewset]


# -- Wagtail's form submissions of event pages: the registration policy ------------------

# Every event page model (ours or a host project's, all built on the mixin) lists its
# submissions with the policy-checked view; the models need not know the admin.
EventPageMixin.submissions_list_view_class = submissions.EventSubmissionsListView


@hooks.register("register_admin_urls")
def register_connection_test_url():
    from .admin.connection import URL_NAME, ConnectionTestView

    return [
        path(
            "webinars/connections/<slug:name>/test/",
            ConnectionTestView.as_view(),
            name=URL_NAME,
        )
    ]


class ConnectionTestMenuItem(MenuItem):
    def is_shown(self, request):
        from .connections import may_test

        return bool(self.url) and may_test(request.user)


@hooks.register("register_settings_menu_item")
def register_connection_test_menu_item():
    from .admin.connection import URL_NAME
    from .connections import connection_classes

    # Wagtail takes one item per hook: the first connection (Zoom's, built in).
    name, provider_class = next(iter(connection_classes().items()), ("", None))
    label = provider_class.connection_label if provider_class else ""
    url = reverse(URL_NAME, args=[name]) if name else ""
    return ConnectionTestMenuItem(label, url, icon_name="globe", order=900)


@hooks.register("register_admin_urls")
def register_provider_choices_url():
    from .admin.provider_choices import field_choices
    from .blocks import CHOICES_URL_NAME

    return [
        path(
            "webinars/providers/<str:kind>/choices/<str:field_name>/",
            field_choices,
            name=CHOICES_URL_NAME,
        )
    ]


@hooks.register("register_admin_urls", order=-1)
def register_submissions_delete_url():
    # The same path as Wagtail's "wagtailforms:delete_submissions", listed before it
    # (order=-1) so every link and POST to that URL reaches the policy-checked view.
    return [
        path(
            "forms/submissions/<int:page_id>/delete/",
            submissions.EventSubmissionsDeleteView.as_view(),
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


# -- buttons on an event's header and in page listings -------------------------------------


@hooks.register("register_page_header_buttons")
def event_header_buttons(page, user, view_name=None, next_url=None):
    viewset = events.event_viewset
    return [*viewset.resend_buttons(page, user, next_url), *viewset.zoom_buttons(page, user)]


@hooks.register("register_page_listing_more_buttons")
def event_listing_more_buttons(page, user, next_url=None):
    return events.event_viewset.resend_buttons(page, user, next_url)


# -- managed Zoom: fill fields on publish, say that earlier registrations follow ------------


@hooks.register("before_publish_page")
def refresh_zoom_on_publish(request, page):
    # Before publishing, so the values land in the revision that becomes live.
    events.refresh_zoom_on_publish(request, page)


@hooks.register("after_publish_page")
def backfill_zoom_after_publish(request, page):
    events.backfill_after_publish(request, page)


# -- GraphQL API tokens (Settings menu) ----------------------------------------------


@hooks.register("register_admin_viewset")
def register_api_token_viewset():
    from .graphql.admin_tokens import api_token_viewset

    return api_token_viewset


@hooks.register("register_admin_viewset")
def register_webhook_delivery_viewset():
    from .admin.webhook_deliveries import webhook_delivery_viewset

    return webhook_delivery_viewset


# wagtail-grapple (when installed) builds its schema from these hooks.
@hooks.register("register_schema_query")
def register_graphql_queries(query_mixins):
    from .graphql.grapple_hooks import add_queries

    add_queries(query_mixins)


@hooks.register("register_schema_mutation")
def register_graphql_mutations(mutation_mixins):
    from .graphql.grapple_hooks import add_mutations

    add_mutations(mutation_mixins)


# -- Reports > Event headcount (issue 10) -----------------------------------------------


@hooks.register("register_admin_urls")
def register_headcount_report_urls():
    from django.urls import include

    from .admin import headcount_urls

    return [path("reports/event-headcount/", include(headcount_urls))]


class HeadcountReportMenuItem(MenuItem):
    def is_shown(self, request):
        return registration_policy.user_has_permission(request.user, VIEW)


@hooks.register("register_reports_menu_item")
def register_headcount_report_menu_item():
    from .admin.headcount_names import EVENT_LIST_URL_NAME

    return HeadcountReportMenuItem(
        _("Event headcount"), reverse(EVENT_LIST_URL_NAME), icon_name="group", order=750
    )


@hooks.register("construct_homepage_panels")
def add_events_panel(request, panels):
    from .admin.dashboard import panel_for

    panel = panel_for(request)
    if panel is not None:
        panels.append(panel)


@hooks.register("register_page_header_buttons")
def headcount_header_buttons(page, user, view_name=None, next_url=None):
    from wagtail.admin.widgets import Button

    from .admin.headcount_names import EVENT_REPORT_URL_NAME

    specific_class = page.specific_class or type(page)
    if not issubclass(specific_class, tuple(event_page_models())):
        return
    if registration_policy.user_can_for_event(user, VIEW, page):
        url = reverse(EVENT_REPORT_URL_NAME, args=[page.pk])
        yield Button(_("Headcount"), url=url, icon_name="group", priority=70)
