"""The links our emails carry: signed tokens and the absolute URLs they go in.

A token carries the registration's random UUID, signed with ``SECRET_KEY`` and
a purpose-specific salt: nothing guessable, nothing reusable across purposes
(a join token is no cancel token). A mail client has no "current site", so
every URL here is absolute, on the event's own Wagtail Site.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Registration

CANCEL = "wagtail_webinars.cancel"
JOIN = "wagtail_webinars.join"

#: The view each purpose's link opens.
VIEW_NAMES = {
    CANCEL: "wagtail_webinars:cancel",
    JOIN: "wagtail_webinars:join",
}


# -- tokens ------------------------------------------------------------------------------


def make_token(registration: Registration, purpose: str) -> str:
    return signing.dumps(registration.uid.hex, salt=purpose, compress=False)


def read_token(token: str, purpose: str) -> Registration | None:
    """The registration a token names, or ``None`` when it is tampered with or unknown."""
    try:
        uid = signing.loads(token, salt=purpose)
    except signing.BadSignature:
        return None
    if not isinstance(uid, str):
        return None
    try:
        # Only our own signature gets here, but a token signed by an older
        # release (or by hand) must still read as "not found", never as a 500.
        uid = uuid.UUID(hex=uid)
    except ValueError:
        return None
    return Registration.objects.select_related("page").filter(uid=uid).first()


# -- absolute URLs -----------------------------------------------------------------------


def site_root_url(page) -> str:
    """The root URL of the page's own Wagtail Site, without the trailing slash."""
    site = page.get_site() if page is not None else None
    if site is not None:
        return site.root_url.rstrip("/")
    return (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost").rstrip("/")


def site_domain(page) -> str:
    return urlsplit(site_root_url(page)).hostname or "localhost"


def absolute_url(page, viewname: str, **kwargs) -> str:
    return site_root_url(page) + reverse(viewname, kwargs=kwargs)


def page_url(page) -> str:
    """The page's full URL on its own site.

    Wagtail's ``page.url`` is relative with one site but already absolute with
    several, so nothing may put a root in front of it: ``full_url`` is always
    absolute. A page outside every site's tree falls back to its site's root.
    """
    return page.full_url or site_root_url(page) + "/"


def signed_url(registration: Registration, purpose: str, page=None) -> str:
    """The absolute URL of ``registration``'s link for ``purpose`` (:data:`CANCEL`, ...).

    ``page`` is the registration's event when the caller has it already (the
    reminder sweep pins its site), so no query is made for it.
    """
    page = page if page is not None else registration.page
    return absolute_url(page, VIEW_NAMES[purpose], token=make_token(registration, purpose))


def cancel_url(registration: Registration, page=None) -> str:
    return signed_url(registration, CANCEL, page)


def join_url(registration: Registration, page=None) -> str:
    return signed_url(registration, JOIN, page)
