"""Absolute URLs for links that leave the site in an email."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def site_root_url(page) -> str:
    site = page.get_site() if page is not None else None
    if site is not None:
        return site.root_url.rstrip("/")
    return (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost").rstrip("/")


def site_domain(page) -> str:
    return urlsplit(site_root_url(page)).hostname or "localhost"


def absolute_url(page, viewname: str, **kwargs) -> str:
    return site_root_url(page) + reverse(viewname, kwargs=kwargs)
