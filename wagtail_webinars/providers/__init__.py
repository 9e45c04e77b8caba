"""The provider registry: location block name -> provider class, resolved lazily.

A host project adds a provider, or replaces a built-in one, with
``WAGTAIL_WEBINARS["PROVIDERS"] = {"block_name": "dotted.path.Class"}``; the event
pages' location field then offers that provider's block (see
``docs/adding-a-provider.md``).
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
    "microsoft_teams": "wagtail_webinars.providers.unmanaged.TeamsProvider",
}


def provider_paths() -> dict[str, str]:
    """Block name -> dotted path: the built-in providers, then the site's, in order."""
    return {**BUILTIN_PROVIDERS, **(get_setting("PROVIDERS") or {})}


def get_provider_class(kind: str) -> type[Provider]:
    """The provider class serving the location block named ``kind``."""
    from .base import Provider

    try:
        path = provider_paths()[kind]
    except KeyError as err:
        raise ProviderConfigurationError(
            f"No provider for location block {kind!r}; add it to WAGTAIL_WEBINARS['PROVIDERS']"
        ) from err
    try:
        provider_class = import_string(path)
    except ImportError as err:
        raise ProviderConfigurationError(
            f"WAGTAIL_WEBINARS['PROVIDERS'][{kind!r}]: cannot import {path!r} ({err})"
        ) from err
    if not (isinstance(provider_class, type) and issubclass(provider_class, Provider)):
        raise ProviderConfigurationError(
            f"WAGTAIL_WEBINARS['PROVIDERS'][{kind!r}]: {path!r} is not a Provider subclass"
        )
    return provider_class


def provider_classes() -> dict[str, type[Provider]]:
    """Every registered provider class, by the name of the block it serves."""
    return {kind: get_provider_class(kind) for kind in provider_paths()}
