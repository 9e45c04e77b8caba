"""Building and sending the emails a registrant gets.

Every email is HTML plus plain text, wrapped in the site's branding
(``EmailBrandingSettings``), with Reply-To set to the event's reply-to address.
Templates live under ``templates/wagtail_webinars/emails/`` and can be
overridden by the host project the usual Django way.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import tokens
from .conf import campus_time_zone, campus_time_zone_name, from_email, get_setting
from .ics import build_ics
from .models import EmailBrandingSettings, EventPage, Registration
from .templatetags.webinars import campus_datetime
from .urls_util import absolute_url, site_root_url


def branding_for(event: EventPage) -> dict:
    site = event.get_site()
    settings_obj = EmailBrandingSettings.for_site(site) if site is not None else None
    logo_url = ""
    if settings_obj is not None and settings_obj.logo_id:
        rendition = settings_obj.logo.get_rendition("max-300x80")
        logo_url = rendition.url
        if logo_url.startswith("/"):
            logo_url = site_root_url(event) + logo_url
    return {
        "organisation_name": (settings_obj.organisation_name if settings_obj else "")
        or (site.site_name if site else ""),
        "header_colour": settings_obj.header_colour if settings_obj else "#1d3557",
        "logo_url": logo_url,
        "footer": settings_obj.footer if settings_obj else "",
    }


def event_context(event: EventPage, registration: Registration, branding: dict | None = None):
    local_start = timezone.localtime(event.start, campus_time_zone())
    return {
        "event": event,
        "registration": registration,
        "local_start": local_start,
        "local_end": timezone.localtime(event.end, campus_time_zone()),
        "start_text": campus_datetime(event.start),
        "time_zone_name": campus_time_zone_name(),
        # full_url, not url: with several sites ``url`` is already absolute.
        "event_url": event.full_url or site_root_url(event),
        "cancel_url": absolute_url(
            event,
            "wagtail_webinars:cancel",
            token=tokens.make_token(registration, tokens.CANCEL),
        ),
        "branding": branding if branding is not None else branding_for(event),
    }


def build_message(
    *,
    template: str,
    subject: str,
    event: EventPage,
    registration: Registration,
    context: dict,
    ics_join_url: str = "",
    connection=None,
) -> EmailMultiAlternatives:
    text_body = render_to_string(f"wagtail_webinars/emails/{template}.txt", context)
    html_body = render_to_string(f"wagtail_webinars/emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # no newlines in headers, ever
        body=text_body,
        from_email=from_email(),
        to=[registration.email],
        reply_to=[event.reply_to] if event.reply_to else None,
        connection=connection,
    )
    message.attach_alternative(html_body, "text/html")
    message.attach(
        "event.ics",
        build_ics(event, registration, join_url=ics_join_url),
        "text/calendar; charset=utf-8",
    )
    return message


def confirmation_message(registration: Registration, connection=None) -> EmailMultiAlternatives:
    event = registration.page.specific
    context = event_context(event, registration)
    subject = _("You're registered: %(title)s, %(when)s") % {
        "title": event.title,
        "when": context["start_text"],
    }
    return build_message(
        template="confirmation",
        subject=subject,
        event=event,
        registration=registration,
        context=context,
        connection=connection,
    )


def send_confirmation(registration: Registration, *, resend: bool = False) -> bool:
    """Send the confirmation; returns whether a mail went out.

    ``resend`` (someone registered again with the same address) is throttled to
    one mail per ``CONFIRMATION_RESEND_SECONDS`` per registration: otherwise
    anyone could make the form mail an address as often as they like.
    """
    if not registration.is_active:
        return False
    now = timezone.now()
    if resend:
        quiet = timedelta(seconds=get_setting("CONFIRMATION_RESEND_SECONDS"))
        # Claim the send atomically, so two quick duplicates send at most one mail.
        claimed = (
            Registration.objects.filter(pk=registration.pk)
            .filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lte=now - quiet))
            .update(confirmation_sent_at=now)
        )
        if not claimed:
            return False
    confirmation_message(registration).send()
    if not resend:
        Registration.objects.filter(pk=registration.pk).update(confirmation_sent_at=now)
    return True
