"""Wagtail admin for API tokens: create (the secret shown once), list, edit, delete.

Wired up in ``wagtail_hooks.py``. Who may manage tokens: users with the API token
model permissions (superusers always). Each sees and changes only their own
tokens (superusers everyone's); a token acts as its creator, so it can never do
more than the person who made it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import ApiToken


class ApiTokenForm(WagtailAdminModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scope", "expires_at"]


def _own(user, queryset):
    return queryset if user.is_superuser else queryset.filter(user=user)


class OwnTokensMixin:
    def get_object(self, queryset=None):
        token = super().get_object(queryset)
        if not self.request.user.is_superuser and token.user_id != self.request.user.pk:
            raise PermissionDenied
        return token


class ApiTokenIndexView(IndexView):
    def get_base_queryset(self):
        return _own(self.request.user, super().get_base_queryset()).select_related("user")


class ApiTokenCreateView(CreateView):
    created_template_name = "wagtail_webinars/admin/api_token_created.html"

    def form_valid(self, form):
        # The secret is rendered into this one response only: never stored, never
        # put in a message, a URL or the session.
        token, secret = ApiToken.issue(
            user=self.request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.cleaned_data.get("expires_at"),
        )
        self.object = token
        response = TemplateResponse(
            self.request,
            self.created_template_name,
            {
                "token": token,
                "secret": secret,
                "index_url": self.get_success_url(),
                "header_title": _("API token created"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenEditView(OwnTokensMixin, EditView):
    pass


class ApiTokenDeleteView(OwnTokensMixin, DeleteView):
    pass


class ApiTokenViewSet(ModelViewSet):
    model = ApiToken
    icon = "key"
    menu_label = _("API tokens")
    add_to_settings_menu = True
    url_prefix = "webinars/api-tokens"
    name = "webinar_api_tokens"
    copy_view_enabled = False
    form_fields = ["name", "scope", "expires_at"]
    index_view_class = ApiTokenIndexView
    add_view_class = ApiTokenCreateView
    edit_view_class = ApiTokenEditView
    delete_view_class = ApiTokenDeleteView
    list_display = [
        "name",
        Column("user", label=_("created by"), accessor="user"),
        "scope",
        Column("last_four", label=_("ends with")),
        "created_at",
        "expires_at",
        "last_used_at",
    ]

    def get_form_class(self, for_update=False):
        return ApiTokenForm


api_token_viewset = ApiTokenViewSet()
