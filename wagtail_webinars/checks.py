"""Django system checks: configuration problems named by setting, never by value."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from .conf import ZOOM_CREDENTIAL_SETTINGS, campus_time_zone_name, get_setting


@register()
def check_time_zone(app_configs=None, **kwargs):
    import zoneinfo

    name = campus_time_zone_name()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [
            Error(
                f"The campus time zone {name!r} is not a known time zone.",
                hint="Set WAGTAIL_WEBINARS['TIME_ZONE'] (or TIME_ZONE) to a zone like "
                "'America/New_York'.",
                id="wagtail_webinars.E001",
            )
        ]
    if not settings.USE_TZ:
        return [
            Error(
                "wagtail-webinars needs USE_TZ = True.",
                id="wagtail_webinars.E002",
            )
        ]
    return []


@register()
def check_zoom_credentials(app_configs=None, **kwargs):
    """Missing credentials are a warning (link-only providers still work); partial ones an error."""
    missing = [name for name in ZOOM_CREDENTIAL_SETTINGS if not get_setting(name)]
    if len(missing) == len(ZOOM_CREDENTIAL_SETTINGS):
        return [
            Warning(
                "Zoom credentials are not configured: managed Zoom events cannot sync.",
                hint="Set WAGTAIL_WEBINARS['ZOOM_ACCOUNT_ID'], ['ZOOM_CLIENT_ID'] and "
                "['ZOOM_CLIENT_SECRET'] (or the environment variables of the same names).",
                id="wagtail_webinars.W001",
            )
        ]
    if missing:
        return [
            Error(
                "Zoom credentials are incomplete; missing: " + ", ".join(missing) + ".",
                hint="Set every one of " + ", ".join(ZOOM_CREDENTIAL_SETTINGS) + ".",
                id="wagtail_webinars.E003",
            )
        ]
    return []
