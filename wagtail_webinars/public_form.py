"""The event page's public registration form: what a visitor's GET and POST get.

The page (``EventPageMixin.serve``) hands the request here. The rules live in
the registration service; this module is about the visitor:

* one answer whatever the address's state ("Check your inbox"): new, already
  registered and cancelled addresses get the same page; the email says what
  happened (see :mod:`wagtail_webinars.registration_effects`);
* never a server error: form fields carry their limits, and a ``ValidationError``
  from the service is shown on the form like any other;
* registrations per client address are rate limited (django-ratelimit, on the
  shared cache) with a friendly 429 page.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.response import TemplateResponse
from django_ratelimit.core import is_ratelimited

from . import registration as service
from .conf import get_setting

logger = logging.getLogger(__name__)

TOO_MANY_TEMPLATE = "wagtail_webinars/event_page_too_many.html"

#: Rate-limit settings and their windows (django-ratelimit's period letters).
_RATES = (("REGISTRATION_RATE_PER_MINUTE", "m"), ("REGISTRATION_RATE_PER_HOUR", "h"))


def serve(page, request):
    context = page.get_context(request)
    if request.method == "POST":
        if too_many_registrations(request):
            return TemplateResponse(request, TOO_MANY_TEMPLATE, context, status=429)
        form = page.get_form(request.POST, request.FILES, page=page, user=request.user)
        if form.is_valid():
            if form.is_bot:
                # Look like success so the bot learns nothing; save nothing.
                return _landing(page, request, context, form)
            try:
                page.process_form_submission(form)
            except service.RegistrationRefused as refused:
                form.add_error(None, refused.message)
            except ValidationError as err:
                add_service_errors(form, err)
            else:
                return _landing(page, request, context, form)
    else:
        form = page.get_form(page=page, user=request.user)
    context["form"] = form
    context["closed_reason"] = page.registration_closed_reason()
    context["spots_left"] = page.spots_left()
    return TemplateResponse(request, page.get_template(request), context)


def process_form_submission(page, form) -> service.RegistrationResult:
    """The page's form always goes through the service, as an anonymous caller."""
    return service.register(
        page,
        email=form.cleaned_data["email"],
        first_name=form.cleaned_data["first_name"],
        last_name=form.cleaned_data["last_name"],
        answers=form.custom_answers(),
        source="web",
        ask_before_reactivating=True,
    )


def _landing(page, request, context, form):
    # Only what the visitor typed, never what we know about the address: the
    # page must read the same for a new, a registered and a cancelled address.
    context["email"] = form.cleaned_data.get("email", "")
    return TemplateResponse(request, page.get_landing_page_template(request), context)


def add_service_errors(form, err: ValidationError) -> None:
    """Show the service's refusal on the form: on the field it names when the
    form has one, otherwise above the form (it lands in the error summary)."""
    if hasattr(err, "error_dict"):
        for field, errors in err.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in err.messages:
            form.add_error(None, message)


def too_many_registrations(request) -> bool:
    """Count this POST against the client address's limits; true when over one.

    The client address is django-ratelimit's: ``REMOTE_ADDR``, or what
    ``RATELIMIT_IP_META_KEY`` says behind a proxy (see docs/registration.md).
    """
    for setting, period in _RATES:
        limit = get_setting(setting)
        if not limit:
            continue
        try:
            if is_ratelimited(
                request,
                group=f"wagtail_webinars.register.{period}",
                key="ip",
                rate=f"{limit}/{period}",
                method="POST",
                increment=True,
            ):
                return True
        except ImproperlyConfigured:
            # No client address (a proxy on a Unix socket without
            # RATELIMIT_IP_META_KEY): a deployment problem, never the visitor's 500.
            logger.warning(
                "registration rate limit skipped: the request has no client address "
                "(set RATELIMIT_IP_META_KEY behind a proxy)"
            )
            return False
    return False
