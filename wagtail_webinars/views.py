"""Public views reached from links in emails."""

from __future__ import annotations

import dataclasses
import logging

from django.core.exceptions import DisallowedRedirect
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import joins, links
from . import registration as service

logger = logging.getLogger(__name__)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "wagtail_webinars/link_not_found.html", status=404)


def _refused(request: HttpRequest, check: links.LinkCheck, purpose: str) -> HttpResponse:
    """The friendly page for a link that opens nothing: unknown (404), or
    withdrawn or expired (410 Gone: it worked once and never will again)."""
    if check.problem == links.UNKNOWN:
        return _private(_not_found(request))
    event = check.registration.page.specific if check.registration else None
    context = {"problem": check.problem, "purpose": purpose, "event": event}
    return _private(render(request, "wagtail_webinars/link_expired.html", context, status=410))


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (mail scanners follow GETs); only POST cancels."""
    check = links.check_token(token, links.CANCEL)
    if check.problem:
        return _refused(request, check, links.CANCEL)
    registration = check.registration
    context = {"registration": registration, "event": registration.page.specific}
    if request.method == "POST":
        context["registration"] = service.cancel(registration)
        context["cancelled_now"] = True
    return _private(render(request, "wagtail_webinars/cancel.html", context))


@never_cache
@require_http_methods(["GET", "POST"])
def reregister(request: HttpRequest, token: str) -> HttpResponse:
    """The "yes, register me again" link of a cancelled person's email.

    The link proves the address is theirs. GET asks (mail scanners follow GETs);
    only POST re-activates, with what they entered on the form.
    """
    check = links.check_token(token, links.REREGISTER)
    if check.problem:
        return _refused(request, check, links.REREGISTER)
    registration = check.registration
    event = registration.page.specific
    pending = registration.pending_form_data or {}
    context = {
        "registration": registration,
        "event": event,
        "first_name": pending.get("first_name") or registration.first_name,
        "last_name": pending.get("last_name") or registration.last_name,
    }
    if request.method == "POST":
        try:
            result = service.confirm_reactivation(registration)
        except service.RegistrationRefused as refused:
            context["refused"] = refused.message
        else:
            context["registration"] = result.registration
            context["done"] = result.outcome == service.REACTIVATED
    return _private(render(request, "wagtail_webinars/reregister.html", context))


def _private(response: HttpResponse) -> HttpResponse:
    # The URL carries the registrant's token: keep it out of Referer headers sent
    # to other sites (the meeting provider's included) and out of search engines.
    # Not "no-referrer": browsers then send "Origin: null" with the page's own
    # button's POST, and CSRF refuses it (seen in Chromium).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The reminder's tracked join link.

    GET records "opened" only (mail scanners fetch links within seconds of
    delivery) and shows a page whose button POSTs, auto-submitted by script
    inside the attendance window. Only the POST is a click; it is recorded and
    redirected to the meeting. The rules are in :mod:`wagtail_webinars.joins`.
    """
    check = links.check_token(token, links.JOIN)
    if check.problem:
        return _refused(request, check, links.JOIN)
    registration = check.registration
    state = joins.join_state(registration)
    if request.method == "POST" and state.can_join:
        try:
            response = HttpResponseRedirect(state.join_url)
        except DisallowedRedirect:
            logger.warning("event %s has a join link we cannot redirect to", state.event.pk)
            state = dataclasses.replace(state, join_url="")
        else:
            if joins.record_click(registration).counted:
                response.status_code = 303  # POST -> GET the meeting
                return _private(response)
            # Cancelled (or over) between reading the row and recording the click.
            registration.refresh_from_db()
            state = joins.join_state(registration)
    elif request.method == "GET":
        joins.record_open(registration)
    opens_at, closes_at = joins.attendance_window(state.event)
    context = {
        "registration": registration,
        "event": state.event,
        "state": state,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "auto_join": state.can_join and state.window == joins.OPEN,
        "now": timezone.now(),
    }
    return _private(render(request, "wagtail_webinars/join.html", context))
