"""Public views reached from links in emails."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import registration as service
from . import tokens


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "wagtail_webinars/link_not_found.html", status=404)


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (mail scanners follow GETs); only POST cancels."""
    registration = tokens.read_token(token, tokens.CANCEL)
    if registration is None:
        return _not_found(request)
    event = registration.page.specific
    context = {"registration": registration, "event": event}
    if request.method == "POST":
        registration = service.cancel(registration)
        context["registration"] = registration
        context["cancelled_now"] = True
    return render(request, "wagtail_webinars/cancel.html", context)
