"""Staff check-in actions of the Event headcount report.

* "Check in webinar attendees" (managed providers): queues a participant pull;
  the report page then shows its state and reloads until it is done.
* The unmatched participants: link one to a registration (which checks it in),
  create a registration from one, or dismiss one.
* The door list of a hybrid event: search a name, check someone in on the spot
  (in person), or undo.

Each action needs the "change" registration permission for the event (the one
policy) and calls one service function of :mod:`wagtail_webinars.checkin`, the
only writer of check-ins. Actions change things on POST only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .. import validators
from ..models import Registration, UnmatchedParticipant
from .event_access import get_event_for_user, registrations_matching
from .headcount_names import (
    DOOR_LIST_URL_NAME,
    EVENT_LIST_URL_NAME,
    EVENT_REPORT_URL_NAME,
    UNMATCHED_LINK_URL_NAME,
)
from .report_cells import can_pull_participants, is_hybrid

#: People shown per search on the door list and the link page.
SEARCH_LIMIT = 20


def posted_registration(request, event) -> Registration | None:
    """The active registration of ``event`` named by the form's ``registration`` field."""
    try:
        registration_id = int(request.POST.get("registration", ""))
    except ValueError:
        return None
    return Registration.objects.active().filter(page_id=event.pk, pk=registration_id).first()


def _report_url(event) -> str:
    return reverse(EVENT_REPORT_URL_NAME, args=[event.pk])


class EventActionMixin:
    """Loads the event and requires the "change" permission for it (403 otherwise)."""

    def dispatch(self, request, event_id: int, *args, **kwargs):
        self.event = get_event_for_user(request.user, event_id, "change")
        return super().dispatch(request, event_id, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(EVENT_LIST_URL_NAME), "label": _("Event headcount")},
            {"url": _report_url(self.event), "label": self.event.title},
            {"url": "", "label": self.get_page_title()},
        ]


class StartCheckInView(EventActionMixin, View):
    """POST: "Check in webinar attendees" — queue a pull of the participant report."""

    http_method_names = ["post"]

    def post(self, request, event_id: int):
        from .. import checkin

        if not can_pull_participants(self.event):
            messages.error(
                request,
                _("This provider has no participant report to check attendees in from."),
            )
            return redirect(_report_url(self.event))
        try:
            checkin.start_check_in(self.event, by=request.user)
        except checkin.CheckInRefused as refused:
            messages.error(request, refused.message)
            return redirect(_report_url(self.event))
        messages.success(
            request,
            _(
                "Checking in attendees from the participant report. "
                "This page shows when it is done."
            ),
        )
        return redirect(_report_url(self.event))


class UnmatchedMixin(EventActionMixin):
    def dispatch(self, request, event_id: int, participant_id: int, *args, **kwargs):
        self.event = get_event_for_user(request.user, event_id, "change")
        self.participant = get_object_or_404(
            UnmatchedParticipant, pk=participant_id, page_id=self.event.pk
        )
        if not self.participant.is_open:
            # Linked, registered or dismissed meanwhile (another tab, a colleague).
            return self.participant_gone(request)
        return super(EventActionMixin, self).dispatch(
            request, event_id, participant_id, *args, **kwargs
        )

    def participant_gone(self, request):
        messages.warning(request, _("That participant has already been handled."))
        return redirect(_report_url(self.event))


class UnmatchedActionView(UnmatchedMixin, View):
    """POST: dismiss an unmatched participant (nobody to check in)."""

    http_method_names = ["post"]

    def post(self, request, event_id: int, participant_id: int, action: str):
        from .. import checkin

        if action != "dismiss":
            raise Http404
        try:
            checkin.dismiss_participant(self.participant, by=request.user)
        except checkin.CheckInRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Participant dismissed."))
        return redirect(_report_url(self.event))


class LinkParticipantView(UnmatchedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: search the event's registrations. POST: link the participant to one."""

    template_name = "wagtail_webinars/admin/reports/link_participant.html"
    header_icon = "link"

    def get_page_title(self):
        return _("Link to a registration")

    def get_page_subtitle(self):
        return self.event.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        if not query:
            # Start from what the report knew about them.
            query = self.participant.email or self.participant.name
        context.update(
            event=self.event,
            participant=self.participant,
            query=query,
            candidates=list(registrations_matching(self.event, query, SEARCH_LIMIT))
            if query
            else [],
            report_url=_report_url(self.event),
        )
        return context

    def post(self, request, event_id: int, participant_id: int):
        from .. import checkin

        registration = posted_registration(request, self.event)
        if registration is None:
            messages.error(request, _("Choose an active registration of this event."))
            return redirect(
                reverse(UNMATCHED_LINK_URL_NAME, args=[self.event.pk, self.participant.pk])
            )
        try:
            registration = checkin.link_participant(self.participant, registration, by=request.user)
        except checkin.CheckInRefused as refused:
            messages.error(request, refused.message)
            return redirect(_report_url(self.event))
        messages.success(request, linked_message(registration))
        return redirect(_report_url(self.event))


class ParticipantRegistrationForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=255)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=255)
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)

    def clean(self):
        from .. import registration as service

        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            email, first, last = service.validate_registrant(
                cleaned["email"], cleaned["first_name"], cleaned["last_name"]
            )
        except ValidationError as err:
            for field, errors in err.error_dict.items():
                self.add_error(field, errors)
        else:
            cleaned.update(email=email, first_name=first, last_name=last)
        return cleaned


def linked_message(registration: Registration, registered: bool = False) -> str:
    """What staff read after linking: below the event's minimum it is not a check-in."""
    name = registration.full_name
    if registration.checked_in_at is None:
        return _("Linked %(name)s: they joined only briefly, so they are not checked in.") % {
            "name": name
        }
    if registered:
        return _("Registered and checked in %(name)s.") % {"name": name}
    return _("Linked and checked in %(name)s.") % {"name": name}


def split_name(name: str) -> tuple[str, str]:
    """ "Ada King Lovelace" -> ("Ada King", "Lovelace"): a starting point staff can correct."""
    parts = (name or "").split()
    if len(parts) < 2:
        return (parts[0] if parts else "", "")
    return " ".join(parts[:-1]), parts[-1]


class RegisterParticipantView(UnmatchedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: a form prefilled from the report. POST: register them and check them in."""

    template_name = "wagtail_webinars/admin/reports/register_participant.html"
    header_icon = "user"

    def get_page_title(self):
        return _("Create a registration")

    def get_page_subtitle(self):
        return self.event.title

    def get_form(self):
        if self.request.method == "POST":
            return ParticipantRegistrationForm(self.request.POST)
        first, last = split_name(self.participant.name)
        return ParticipantRegistrationForm(
            initial={"first_name": first, "last_name": last, "email": self.participant.email}
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.get_form())
        context.update(
            event=self.event, participant=self.participant, report_url=_report_url(self.event)
        )
        return context

    def post(self, request, event_id: int, participant_id: int):
        from .. import checkin
        from .. import registration as service

        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            registration = checkin.register_participant(
                self.participant,
                by=request.user,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except (service.RegistrationRefused, checkin.CheckInRefused) as refused:
            form.add_error(None, refused.message)
            return self.render_to_response(self.get_context_data(form=form))
        except ValidationError as err:
            for field, errors in err.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, linked_message(registration, registered=True))
        return redirect(_report_url(self.event))


class DoorListView(EventActionMixin, WagtailAdminTemplateMixin, TemplateView):
    """A hybrid event's door list: search a name, check someone in on the spot."""

    template_name = "wagtail_webinars/admin/reports/door_list.html"
    header_icon = "group"

    def dispatch(self, request, event_id: int, *args, **kwargs):
        self.event = get_event_for_user(request.user, event_id, "change")
        if not is_hybrid(self.event):
            raise Http404
        return super(EventActionMixin, self).dispatch(request, event_id, *args, **kwargs)

    def get_page_title(self):
        return _("Door list")

    def get_page_subtitle(self):
        return self.event.title

    def get_context_data(self, **kwargs):
        from .. import headcounts

        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[: validators.NAME_MAX_LENGTH]
        context.update(
            event=self.event,
            query=query,
            people=list(registrations_matching(self.event, query, SEARCH_LIMIT)) if query else [],
            headcount=headcounts.headcount_for_event(self.event),
            report_url=_report_url(self.event),
        )
        return context

    def post(self, request, event_id: int):
        from .. import checkin

        action = request.POST.get("action")
        query = request.POST.get("q", "")
        registration = posted_registration(request, self.event)
        if registration is None or action not in ("check_in", "undo"):
            messages.error(request, _("That person is not registered for this event."))
        elif action == "check_in":
            if registration.checked_in_at:
                messages.info(
                    request,
                    _("%(name)s was already checked in.") % {"name": registration.full_name},
                )
            else:
                try:
                    checkin.check_in(
                        registration,
                        Registration.CheckinSource.STAFF,
                        by=request.user,
                        in_person=True,
                    )
                except checkin.CheckInRefused as refused:
                    messages.error(request, refused.message)
                else:
                    messages.success(
                        request,
                        _("%(name)s is checked in (in person).") % {"name": registration.full_name},
                    )
        else:
            checkin.undo_check_in(registration, by=request.user)
            messages.success(
                request,
                _("Check-in of %(name)s undone.") % {"name": registration.full_name},
            )
        url = reverse(DOOR_LIST_URL_NAME, args=[self.event.pk])
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode({"q": query})
        return redirect(url)
