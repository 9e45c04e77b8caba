"""Provider lookup: block name -> provider class, resolved lazily.

A host project adds or replaces a provider with
``WAGTAIL_WEBINARS["PROVIDERS"] = {"block_name": "dotted.path.Class"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

from wagtail_webinars.conf import get_setting

from .errors import ProviderConfigurationError

if TYPE_CHECKING:
    from .base import Provider

BUILTIN_PROVIDERS = {
    "zoom_meeting": "wagtail_webinars.providers.zoom.provider.ZoomMeetingProvider",
    "zoom_webinar": "wagtail_webinars.providers.zoom.provider.ZoomWebinarProvider",
    "zoom_meeting_link": "wagtail_webinars.providers.unmanaged.ZoomMeetingLinkProvider",
    "zoom_webinar_link": "wagtail_webinars.providers.unmanaged.ZoomWebinarLinkProvider",
    "vimeo": "wagtail_webinars.providers.unmanaged.VimeoProvider",
}


def provider_paths() -> dict[str, str]:
    return {**BUILTIN_PROVIDERS, **(get_setting("PROVIDERS") or {})}


def get_provider_class(kind: str) -> type[Provider]:
    """The provider class serving the location block named ``kind``."""
    try:
        path = provider_paths()[kind]
    except KeyError as err:
        raise ProviderConfigurationError(
            f"No provider for location block {kind!r}; add it to WAGTAIL_WEBINARS['PROVIDERS']"
        ) from err
    return import_string(path)
