"""Admin views on one event (any event page model): resend the reminder to all registrants.

Wired up in ``wagtail_hooks.py`` (URL and the page header / listing buttons).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import reminders
from .models import Registration, event_page_models
from .permissions import CHANGE, registration_policy

RESEND_URL_NAME = "wagtail_webinars_resend_reminders"


def user_can_resend(user, event) -> bool:
    """Those who may change an event's registrations may resend its reminders."""
    return registration_policy.user_can_for_event(user, CHANGE, event)


def _event_or_404(page_id: int):
    """The specific event page, whichever event page model it is (ours or the host's)."""
    from wagtail.models import Page

    page = get_object_or_404(Page.objects.specific(), pk=page_id)
    if not isinstance(page, tuple(event_page_models())):
        raise Http404
    return page


class ResendRemindersView(WagtailAdminTemplateMixin, View):
    """GET: a confirmation page with the number of registrants. POST: queue the resend."""

    template_name = "wagtail_webinars/admin/resend_reminders_confirm.html"
    page_title = gettext_lazy("Resend the reminder")
    header_icon = "mail"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not registration_policy.user_has_permission(request.user, CHANGE):
            raise PermissionDenied
        self.event = _event_or_404(kwargs["page_id"])
        if not user_can_resend(request.user, self.event):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.event.title

    def get_breadcrumbs_items(self) -> list:
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
                "label": self.event.title,
            },
            {"url": "", "label": self.page_title},
        ]

    def _next_url(self, request: HttpRequest) -> str:
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return next_url
        return reverse("wagtailadmin_pages:edit", args=[self.event.pk])

    def get(self, request: HttpRequest, page_id: int) -> HttpResponse:
        count = Registration.objects.active().filter(page_id=self.event.pk).count()
        context = self.get_context_data(
            event=self.event, count=count, next_url=self._next_url(request)
        )
        return self.render_to_response(context)

    def post(self, request: HttpRequest, page_id: int) -> HttpResponse:
        count = reminders.request_resend_all(self.event)
        if count:
            messages.success(
                request,
                ngettext(
                    "The reminder for “%(title)s” is being sent again to %(count)d registrant.",
                    "The reminder for “%(title)s” is being sent again to %(count)d registrants.",
                    count,
                )
                % {"title": self.event.title, "count": count},
            )
        else:
            messages.warning(
                request, _("Nobody is registered for this event, so nothing was sent.")
            )
        return redirect(self._next_url(request))
