"""Every email a registrant gets, built from one context.

Every message is HTML plus plain text, wrapped in the site's branding
(``EmailBrandingSettings``), with Reply-To set to the event's reply-to address
and the event's ``.ics`` attached. Templates live under
``templates/wagtail_webinars/emails/`` and can be overridden by the host
project the usual Django way.

What every message about one event shares (its site, branding, absolute event
URL, campus time, the sanitised description) is worked out once, by
:func:`prepare_event`; :func:`message_context` adds one registration's part
(its signed cancel link and anything the message adds) and :func:`compose`
renders one message from it. The reminder sweep
prepares an event once for thousands of registrants; a confirmation prepares it
for one. Templates see the same names in every message:

``event``, ``registration``, ``start_text``, ``local_start``, ``local_end``,
``time_zone_name``, ``already_started``, ``event_url`` (absolute, on the event's
own site), ``cancel_url``, ``branding``, ``description_html`` (sanitised, links
absolute), ``description_text``; the reminder adds ``join_url`` and ``password``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html
from wagtail.whitelist import Whitelister

from . import links
from .conf import campus_time_zone, campus_time_zone_name, from_email, get_setting
from .ics import build_ics
from .models import EmailBrandingSettings, EventPageMixin, Registration
from .templatetags.webinars import campus_datetime
from .templatetags.webinars_text import richtext_as_text

# -- what every message about one event shares -----------------------------------------


@dataclass
class PreparedEvent:
    """What every message about one event shares, worked out once per event."""

    event: EventPageMixin
    site_root: str
    context: dict


def prepare_event(event: EventPageMixin, now: datetime | None = None) -> PreparedEvent:
    """Look up the site, branding and description once, for all of an event's messages."""
    now = now or timezone.now()
    _pin_site(event)
    site_root = links.site_root_url(event)
    context = {
        "event": event,
        "local_start": timezone.localtime(event.start, campus_time_zone()),
        "local_end": timezone.localtime(event.end, campus_time_zone()),
        "start_text": campus_datetime(event.start),
        "time_zone_name": campus_time_zone_name(),
        "event_url": links.page_url(event),
        "branding": branding_for(event, site_root),
        "description_html": email_safe_html(event.description, site_root),
        "description_text": richtext_as_text(event.description),
        "already_started": now >= event.start,
    }
    return PreparedEvent(event=event, site_root=site_root, context=context)


def _pin_site(event: EventPageMixin) -> None:
    # Page.get_site() is a query on every call, and the URL helpers, the
    # branding and the .ics all call it for every message: look it up once.
    site = event.get_site()
    event.get_site = lambda: site


def branding_for(event: EventPageMixin, site_root: str | None = None) -> dict:
    site = event.get_site()
    settings_obj = EmailBrandingSettings.for_site(site) if site is not None else None
    logo_url = ""
    if settings_obj is not None and settings_obj.logo_id:
        rendition = settings_obj.logo.get_rendition("max-300x80")
        logo_url = rendition.url
        if logo_url.startswith("/"):
            logo_url = (site_root or links.site_root_url(event)) + logo_url
    return {
        "organisation_name": (settings_obj.organisation_name if settings_obj else "")
        or (site.site_name if site else ""),
        "header_colour": settings_obj.header_colour if settings_obj else "#1d3557",
        "logo_url": logo_url,
        "footer": settings_obj.footer if settings_obj else "",
    }


_RELATIVE_LINK = re.compile(r'\b(href|src)="/(?!/)')


def email_safe_html(richtext: str | None, site_root: str) -> SafeString:
    """Rich text fit for an email: Wagtail links expanded, only harmless markup
    kept (no scripts, styles, forms or event handlers), site links made absolute
    because a mail client has no "current site". The one sanitiser of every
    email's HTML."""
    if not richtext:
        return mark_safe("")
    markup = Whitelister().clean(expand_db_html(str(richtext)))
    markup = _RELATIVE_LINK.sub(lambda m: f'{m.group(1)}="{site_root}/', markup)
    return mark_safe(markup)  # sanitised just above


# -- one registration's message --------------------------------------------------------


def message_context(prepared: PreparedEvent, registration: Registration, **extra) -> dict:
    """The full template context of one message to ``registration``.

    ``extra`` is what this kind of message adds (the reminder's join link, ...).
    """
    # Templates overridden by a host project may follow registration.page: no query.
    registration.page = prepared.event
    return {
        **prepared.context,
        "registration": registration,
        "cancel_url": links.cancel_url(registration, prepared.event),
        **extra,
    }


def compose(
    prepared: PreparedEvent,
    registration: Registration,
    *,
    template: str,
    subject: str,
    ics_join_url: str = "",
    connection=None,
    attach_ics: bool = True,
    **extra,
) -> EmailMultiAlternatives:
    """One message to ``registration``, from ``emails/<template>.txt`` and ``.html``.

    ``subject`` is a format string that may use ``%(title)s`` and ``%(when)s``;
    ``extra`` goes into the context. Every kind of message (and every variant of
    one) is a template pair and a call of this.
    """
    event = prepared.event
    context = message_context(prepared, registration, **extra)
    subject = subject % {"title": event.title, "when": context["start_text"]}
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # no newlines in headers, ever
        body=render_to_string(f"wagtail_webinars/emails/{template}.txt", context),
        from_email=from_email(),
        to=[registration.email],
        reply_to=[event.reply_to] if event.reply_to else None,
        connection=connection,
    )
    message.attach_alternative(
        render_to_string(f"wagtail_webinars/emails/{template}.html", context), "text/html"
    )
    if not attach_ics:
        return message
    ics = build_ics(
        event,
        registration,
        join_url=ics_join_url,
        event_url=context["event_url"],
        description=context["description_text"],
    )
    # As text, without a charset: Django adds "charset=utf-8" itself, and a
    # charset in the type as well gave the header the parameter twice.
    message.attach("event.ics", ics.decode(), "text/calendar")
    return message


def confirmation_message(
    registration: Registration, connection=None, *, already_registered: bool = False
) -> EmailMultiAlternatives:
    """The confirmation; ``already_registered`` when the form was sent again for
    an address that was registered already (the page says the same either way,
    so the email says what happened)."""
    if already_registered:
        subject = _("You're already registered: %(title)s, %(when)s")
    else:
        subject = _("You're registered: %(title)s, %(when)s")
    return compose(
        prepare_event(registration.page.specific),
        registration,
        template="confirmation",
        subject=subject,
        connection=connection,
        already_registered=already_registered,
    )


def reactivation_offer_message(registration: Registration) -> EmailMultiAlternatives:
    """To a cancelled person whose address was sent on the form again: nothing
    changed; their signed "yes, register me again" link re-activates them."""
    prepared = prepare_event(registration.page.specific)
    return compose(
        prepared,
        registration,
        template="reregister",
        subject=_("Register again? %(title)s, %(when)s"),
        reregister_url=links.reregister_url(registration, prepared.event),
    )


def provider_cancellation_message(registration: Registration) -> EmailMultiAlternatives:
    """To someone whose registration was cancelled at the provider (in Zoom): it is
    cancelled here too. No calendar file: there is nothing to add to a calendar."""
    return compose(
        prepare_event(registration.page.specific),
        registration,
        template="cancelled",
        subject=_("Registration cancelled: %(title)s, %(when)s"),
        attach_ics=False,
    )


def send_provider_cancellation(registration: Registration) -> bool:
    """Tell the person their registration was cancelled at the provider."""
    if registration.is_active:
        return False
    provider_cancellation_message(registration).send()
    return True


def reminder_message(prepared: PreparedEvent, registration: Registration) -> EmailMultiAlternatives:
    """The reminder for one registration: the join link (tracked) and the meeting password."""
    join_url = links.join_url(registration, prepared.event)
    provider = prepared.event.provider
    return compose(
        prepared,
        registration,
        template="reminder",
        subject=_("Reminder: %(title)s, %(when)s"),
        ics_join_url=join_url,
        join_url=join_url,
        password=provider.join_info(registration).password if provider else "",
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
    if resend and not _claim_resend(registration, now):
        return False
    confirmation_message(registration, already_registered=resend).send()
    if not resend:
        Registration.objects.filter(pk=registration.pk).update(confirmation_sent_at=now)
    return True


def send_reactivation_offer(registration: Registration) -> bool:
    """Send a cancelled person their "register again?" email (throttled like a
    resend); returns whether a mail went out."""
    if registration.is_active or not _claim_resend(registration, timezone.now()):
        return False
    reactivation_offer_message(registration).send()
    return True


def _claim_resend(registration: Registration, now: datetime) -> bool:
    quiet = timedelta(seconds=get_setting("CONFIRMATION_RESEND_SECONDS"))
    # Claim the send atomically, so two quick duplicates send at most one mail.
    return bool(
        Registration.objects.filter(pk=registration.pk)
        .filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lte=now - quiet))
        .update(confirmation_sent_at=now)
    )
