"""The one place that reads the ``WAGTAIL_WEBINARS`` settings dict.

Everything is read at call time, never at import time, so ``override_settings``
works in tests and a host project may change settings without reloading us.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    # Campus local time: the zone events are entered, shown and mailed in.
    # ``None`` means Django's TIME_ZONE.
    "TIME_ZONE": None,
    # Reminder lead time before the start, in minutes (overridable per event).
    "REMINDER_LEAD_MINUTES": 120,
    # How many reminders go over one SMTP connection.
    "REMINDER_BATCH_SIZE": 200,
    # How many worker tasks send one event's reminders at once (the sweep and
    # its helpers); set it to the number of workers that may send mail.
    "REMINDER_SEND_TASKS": 1,
    # A claimed-but-unsent reminder is taken over by a later sweep after this.
    "REMINDER_CLAIM_TIMEOUT_SECONDS": 300,
    # Attendance window for join-link clicks, relative to start and end.
    "ATTENDANCE_OPENS_MINUTES_BEFORE": 15,
    "ATTENDANCE_CLOSES_MINUTES_AFTER": 0,
    # Join links stop working this many days after the event's end (cancel
    # links stop at the end).
    "JOIN_LINK_DAYS_AFTER_END": 7,
    # Fewer minutes than this in the participant report is "joined briefly", not
    # attendance (overridable per event).
    "ATTENDANCE_MIN_MINUTES": 1,
    # Automatic participant pulls after a managed event ends, minutes after the end
    # (Zoom's report is often not ready at once).
    "CHECKIN_PULL_AFTER_MINUTES": (15, 60, 360, 1440),
    # How long a "waiting for Zoom" or rate-limited pull waits before trying again,
    # and how many times a pull is tried in all.
    "CHECKIN_RETRY_MINUTES": 15,
    "CHECKIN_MAX_ATTEMPTS": 6,
    # A duplicate registration resends the confirmation at most this often.
    "CONFIRMATION_RESEND_SECONDS": 60,
    # Public form: registration POSTs per client address (0 or None: no limit).
    "REGISTRATION_RATE_PER_MINUTE": 10,
    "REGISTRATION_RATE_PER_HOUR": 60,
    # Confirmation-type mails (confirmation, "already registered", "register again?")
    # one address gets per hour across all events (0 or None: no limit).
    "CONFIRMATION_MAILS_PER_ADDRESS_PER_HOUR": 10,
    # Where mails come from when the page has no address of its own.
    "FROM_EMAIL": None,
    # Zoom Server-to-Server OAuth. Each may also come from the environment
    # variable of the same name (ZOOM_ACCOUNT_ID, ...).
    "ZOOM_ACCOUNT_ID": None,
    "ZOOM_CLIENT_ID": None,
    "ZOOM_CLIENT_SECRET": None,
    "ZOOM_API_URL": "https://api.zoom.us/v2",
    "ZOOM_OAUTH_URL": "https://zoom.us/oauth/token",
    "ZOOM_TIMEOUT": (5, 30),
    # The "Secret Token" of the Zoom app's event subscription (webhooks). Like the
    # credentials it may come from the environment variable of the same name. Without
    # it the webhook endpoint refuses every delivery.
    "ZOOM_WEBHOOK_SECRET_TOKEN": None,
    # Webhook deliveries are kept (event, time, outcome; no personal data) this many
    # days for staff to look at, then deleted by the daily clean-up.
    "WEBHOOK_DELIVERY_DAYS": 7,
    # Managed events starting within this many hours have their provider details (join
    # link, passcode, time) refreshed every hour; the reminder sweep refreshes the events
    # it is about to remind first.
    "DETAILS_REFRESH_HOURS_AHEAD": 48,
    # Registrant sync retries (transient errors): attempts and backoff base.
    "SYNC_MAX_ATTEMPTS": 8,
    "SYNC_BACKOFF_SECONDS": 30,
    # Backoff never waits longer than this (a Retry-After from Zoom may).
    "SYNC_BACKOFF_MAX_SECONDS": 3600,
    # A pending sync untouched this long lost its task: the sweeper queues it again.
    "SYNC_STALE_SECONDS": 300,
    # At most this many registrations are re-queued by one sweep.
    "SYNC_SWEEP_LIMIT": 500,
    # Extra providers (or replacements): {"block_name": "dotted.path.Class"}.
    "PROVIDERS": {},
    # Data retention (docs/data-retention.md): days after an event's end after which its
    # registrations are anonymised or deleted; None: only by the command, no schedule.
    "RETENTION_DAYS": None,
    "RETENTION_MODE": "anonymise",
    # GraphQL API limits: nesting depth, fields selected per request, introspection
    # (None: only with DEBUG), and `register` calls per client address (django-ratelimit
    # rate such as "10/m"; None switches it off).
    "GRAPHQL_MAX_DEPTH": 10,
    "GRAPHQL_MAX_SELECTIONS": 250,
    "GRAPHQL_INTROSPECTION": None,
    "GRAPHQL_REGISTER_RATE": "10/m",
    # More hosts a provider's join links may point at, by block name (each host
    # also allows its subdomains): {"zoom_meeting_link": ["zoom.example.edu"]}.
    "JOIN_LINK_HOSTS": {},
}

ZOOM_CREDENTIAL_SETTINGS = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
#: Settings that may also come from the environment variable of the same name.
ENVIRONMENT_SETTINGS = (*ZOOM_CREDENTIAL_SETTINGS, "ZOOM_WEBHOOK_SECRET_TOKEN")


def get_setting(name: str) -> Any:
    """Return one WAGTAIL_WEBINARS setting, falling back to the documented default."""
    if name not in DEFAULTS:
        raise ImproperlyConfigured(f"Unknown wagtail-webinars setting WAGTAIL_WEBINARS['{name}']")
    user = getattr(settings, "WAGTAIL_WEBINARS", {}) or {}
    if name in ENVIRONMENT_SETTINGS:
        # An empty value in settings (e.g. None from a template) must not hide the
        # environment variable that deployments usually use for secrets.
        return user.get(name) or os.environ.get(name) or DEFAULTS[name]
    if name in user:
        return user[name]
    return DEFAULTS[name]


def campus_time_zone_name() -> str:
    return get_setting("TIME_ZONE") or settings.TIME_ZONE


def campus_time_zone():
    """The campus zone as a ``zoneinfo.ZoneInfo``."""
    import zoneinfo

    name = campus_time_zone_name()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ImproperlyConfigured(
            f"WAGTAIL_WEBINARS['TIME_ZONE'] (or TIME_ZONE) is not a known time zone: {name!r}"
        ) from err


def from_email() -> str:
    return get_setting("FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
