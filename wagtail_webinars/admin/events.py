"""Admin views on one event (any event page model): its Zoom sync page and
"Resend reminder to all", as one view set. Wired up in ``wagtail_hooks.py``.

Both need the registration policy on that event: the Zoom page counts and lists
registrations, retrying and resending change them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import Button

from .. import event_details, reminders, sync
from ..models import (
    EventPageMixin,
    ProviderRegistrant,
    Registration,
    RemovedRegistrant,
    event_page_models,
    get_event_page,
    is_managed_event,
)
from ..permissions import ADD, CHANGE, VIEW, registration_policy
from ..registration import RegistrationRefused
from ..webhooks import adoption, notices

#: URL namespace of the event views (``wagtail_webinars_events:zoom`` ...).
EVENTS_NAMESPACE = "wagtail_webinars_events"
ZOOM_URL_NAME = f"{EVENTS_NAMESPACE}:zoom"
RESEND_URL_NAME = f"{EVENTS_NAMESPACE}:resend_reminders"
#: Where "see the registrations" links go (the registrations viewset's list).
REGISTRATIONS_INDEX = "wagtail_webinars_registrations:index"
#: Waiting cancels of deleted registrations listed on the Zoom page (newest first).
REMOVED_SHOWN = 10
#: People registered in Zoom directly listed on the Zoom page (the oldest first).
PROVIDER_REGISTRANTS_SHOWN = 50


def is_event_page(page) -> bool:
    """Whether ``page`` (specific or not) is an event, without a query."""
    return issubclass(page.specific_class or type(page), tuple(event_page_models()))


def event_or_404(page_id: int):
    """The specific event page, whichever event page model it is (ours or the host's)."""
    event = get_event_page(page_id)
    if event is None:
        raise Http404
    return event


def event_sync_counts(event_id: int) -> dict[str, int]:
    """Registrations of one event by sync status, in one query."""
    rows = (
        Registration.objects.filter(page_id=event_id)
        .values("sync_status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["sync_status"]: row["count"] for row in rows}


def registrations_list_url(event_id: int, **filters: str) -> str:
    return reverse(REGISTRATIONS_INDEX) + "?" + urlencode({"page": event_id, **filters})


class EventViewMixin(WagtailAdminTemplateMixin):
    """The event named in the URL, for users the policy lets ``action`` its registrations."""

    action = VIEW

    def dispatch(self, request: HttpRequest, page_id: int) -> HttpResponse:
        if not registration_policy.user_has_permission(request.user, self.action):
            raise PermissionDenied
        self.event = event_or_404(page_id)
        if not registration_policy.user_can_for_event(request.user, self.action, self.event):
            raise PermissionDenied
        return super().dispatch(request, page_id)

    def get_page_subtitle(self) -> str:
        return self.event.get_admin_display_title()

    def get_breadcrumbs_items(self) -> list:
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
                "label": self.event.get_admin_display_title(),
            },
            {"url": "", "label": self.get_page_title()},
        ]


class ResendRemindersView(EventViewMixin, TemplateView):
    """GET: a confirmation page with the number of registrants. POST: queue the resend."""

    action = CHANGE
    template_name = "wagtail_webinars/admin/resend_reminders_confirm.html"
    page_title = gettext_lazy("Resend the reminder")
    header_icon = "mail"

    def next_url(self) -> str:
        return get_valid_next_url_from_request(self.request) or reverse(
            "wagtailadmin_pages:edit", args=[self.event.pk]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            event=self.event,
            count=Registration.objects.active().filter(page_id=self.event.pk).count(),
            next_url=self.next_url(),
            **kwargs,
        )

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
        return redirect(self.next_url())


class EventZoomView(EventViewMixin, TemplateView):
    """One managed event's Zoom status, with "Refresh from Zoom" and "Retry failed syncs"."""

    template_name = "wagtail_webinars/admin/event_zoom.html"
    header_icon = "globe"
    page_title = gettext_lazy("Zoom sync")

    def get(self, request, *args, **kwargs):
        self._check_managed()
        return super().get(request, *args, **kwargs)

    def _check_managed(self) -> None:
        if not is_managed_event(self.event):
            raise Http404
        user = self.request.user
        # Retrying changes registrations; refreshing rewrites the live page.
        self.can_retry = registration_policy.user_can_for_event(user, CHANGE, self.event)
        self.can_refresh = self.event.permissions_for_user(user).can_publish()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = event_sync_counts(self.event.pk)
        config = self.event.provider_config or {}
        status_rows = [
            (label, counts.get(value, 0), registrations_list_url(self.event.pk, sync_status=value))
            for value, label in Registration.SyncStatus.choices
        ]
        context.update(
            event=self.event,
            provider=self.event.provider,
            config=config,
            meeting_warning=notices.deleted_warning(self.event),
            disagreements=self.event.provider.details_disagreements(),
            provider_registrants=list(
                ProviderRegistrant.objects.filter(
                    page_id=self.event.pk, state=ProviderRegistrant.State.OPEN
                )[:PROVIDER_REGISTRANTS_SHOWN]
            ),
            can_adopt=registration_policy.user_can_for_event(self.request.user, ADD, self.event),
            provider_warnings=self.event.provider.config_warnings(config),
            provider_details=self.event.provider.config_details(config),
            status_rows=status_rows,
            failed_count=counts.get(Registration.SyncStatus.FAILED, 0),
            failed_url=registrations_list_url(
                self.event.pk, sync_status=Registration.SyncStatus.FAILED
            ),
            edit_url=reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
            can_retry=self.can_retry,
            can_refresh=self.can_refresh,
            removed_waiting=list(
                RemovedRegistrant.objects.filter(event_id=self.event.pk)
                .order_by("-updated_at")
                .values("error", "given_up", "retry_at")[:REMOVED_SHOWN]
            ),
            removed_count=RemovedRegistrant.objects.filter(event_id=self.event.pk).count(),
        )
        return context

    def post(self, request: HttpRequest, page_id: int) -> HttpResponse:
        self._check_managed()
        action = request.POST.get("action")
        if (action == "refresh" and not self.can_refresh) or (
            action == "retry_failed" and not self.can_retry
        ):
            raise PermissionDenied
        if action in ("adopt", "dismiss"):
            self._adopt_or_dismiss(request, action)
        elif action == "refresh":
            result = event_details.refresh_and_save(self.event)
            for warning in result.warnings:
                messages.warning(request, warning)
            if result.refreshed:
                messages.success(request, _("The join link and passcode were refreshed from Zoom."))
                sync.queue_backfill_if_needed(self.event)
        elif action == "retry_failed":
            count = sync.retry_failed_for_event(self.event.pk)
            messages.success(
                request,
                ngettext(
                    "%(count)d failed sync is queued again.",
                    "%(count)d failed syncs are queued again.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.error(request, _("Unknown action."))
        return redirect(ZOOM_URL_NAME, self.event.pk)

    def _adopt_or_dismiss(self, request: HttpRequest, action: str) -> None:
        if not registration_policy.user_can_for_event(request.user, ADD, self.event):
            raise PermissionDenied
        row = ProviderRegistrant.objects.filter(
            page_id=self.event.pk, pk=request.POST.get("registrant") or None
        ).first()
        if row is None:
            raise Http404
        if action == "dismiss":
            adoption.dismiss(row)
            messages.success(request, _("Dismissed: they stay registered in Zoom only."))
            return
        try:
            result = adoption.adopt(row)
        except (adoption.AdoptionRefused, RegistrationRefused) as err:
            messages.error(request, err.message)
            return
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
            return
        if result.already_registered:
            messages.info(request, _("This address was registered for the event already."))
        else:
            messages.success(
                request,
                _("Adopted: they are registered now and get the confirmation and reminder."),
            )


class EventViewSet(ViewSet):
    """The views on one event, under ``/admin/webinars/events/<page id>/``."""

    name = EVENTS_NAMESPACE
    url_prefix = "webinars/events"

    def get_urlpatterns(self):
        return [
            path("<int:page_id>/zoom/", EventZoomView.as_view(), name="zoom"),
            path(
                "<int:page_id>/resend-reminders/",
                ResendRemindersView.as_view(),
                name="resend_reminders",
            ),
        ]

    # -- buttons on the page's header and in page listings --------------------------------
    # These run for every page header and listing row: checks only, never a query
    # (page types come from the content type cache, permissions are cached per user).
    def resend_buttons(self, page, user, next_url=None, priority=90) -> list:
        if not is_event_page(page) or not registration_policy.user_can_for_event(
            user, CHANGE, page
        ):
            return []
        url = reverse(self.get_url_name("resend_reminders"), args=[page.pk])
        if next_url:
            url += "?" + urlencode({"next": next_url})
        return [Button(_("Resend reminder to all"), url=url, icon_name="mail", priority=priority)]

    def zoom_buttons(self, page, user) -> list:
        """The "Zoom sync" header button of a managed event (the failed count is on
        the Zoom page, so a header costs no count query)."""
        if not isinstance(page, EventPageMixin) or not is_managed_event(page):
            return []
        if not registration_policy.user_can_for_event(user, VIEW, page):
            return []
        url = reverse(self.get_url_name("zoom"), args=[page.pk])
        return [Button(_("Zoom sync"), url=url, icon_name="globe", priority=80)]


event_viewset = EventViewSet()


# -- publishing a managed event ------------------------------------------------------------
def refresh_zoom_on_publish(request, page) -> None:
    """``before_publish_page``: fill the auto-populated fields into the revision being published."""
    if not is_managed_event(page):
        return
    result = event_details.refresh_before_publish(page)
    for warning in result.warnings:
        messages.warning(request, warning)


def backfill_after_publish(request, page) -> None:
    """``after_publish_page``: say that registrations Zoom has never heard of (made
    before the Zoom ID was set, or during a long outage) are on their way."""
    # The page_published receiver queues the backfill (for every way of publishing);
    # here we only tell the editor about it.
    if is_managed_event(page) and sync.has_never_pushed(page.pk, page.provider.external_id):
        messages.info(request, _("Registrations made earlier are being added to Zoom."))
