"""The "Test Zoom connection" screen (any provider with a connection test): sign in now,
show the account, the API URL, the granted permissions against what each feature
needs, and what is missing. For users who may change the app's settings."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .. import connections

URL_NAME = "wagtail_webinars_connection_test"


class ConnectionTestView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "wagtail_webinars/admin/connection_test.html"
    header_icon = "globe"

    def dispatch(self, request: HttpRequest, name: str) -> HttpResponse:
        if not connections.may_test(request.user):
            raise PermissionDenied
        self.name = name
        self.provider_class = connections.connection_classes().get(name)
        if self.provider_class is None:
            raise Http404
        self.report = None
        return super().dispatch(request, name)

    def get_page_title(self) -> str:
        return str(self.provider_class.connection_label)

    def get_breadcrumbs_items(self) -> list:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            report=self.report,
            last=connections.last_test(self.name),
            **kwargs,
        )

    def post(self, request: HttpRequest, name: str) -> HttpResponse:
        self.report = connections.run_test(name)
        return self.render_to_response(self.get_context_data())
