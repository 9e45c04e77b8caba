"""The links our emails carry: signed tokens and the absolute URLs they go in.

A token carries the registration's random UUID and its link version, signed
with ``SECRET_KEY`` and a purpose-specific salt: nothing guessable, nothing
reusable across purposes (a join token is no cancel token). A mail client has
no "current site", so every URL here is absolute, on the event's own Wagtail
Site.

Links do not work for ever. Each purpose has an expiry, measured from the
event's end (:data:`EXPIRY`): a cancel link stops at the end ("this event is
over"), a join link ``JOIN_LINK_DAYS_AFTER_END`` days later. And a site can
withdraw every outstanding link of an event (:func:`withdraw_event_links`,
``manage.py webinars_withdraw_links``): that raises the registrations' link
version, and tokens of an older version no longer open anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from .conf import get_setting
from .models import Registration

CANCEL = "wagtail_webinars.cancel"
JOIN = "wagtail_webinars.join"
#: A cancelled person's "yes, register me again" (see registration.confirm_reactivation).
REREGISTER = "wagtail_webinars.reregister"

#: The view each purpose's link opens.
VIEW_NAMES = {
    CANCEL: "wagtail_webinars:cancel",
    JOIN: "wagtail_webinars:join",
    REREGISTER: "wagtail_webinars:reregister",
}

#: When each purpose's link stops working, from its event.
EXPIRY: dict[str, Callable[[object], datetime]] = {
    CANCEL: lambda event: event.end,
    JOIN: lambda event: event.end + timedelta(days=get_setting("JOIN_LINK_DAYS_AFTER_END")),
}

#: Why :func:`check_token` refused a token.
UNKNOWN = "unknown"  # tampered with, or no such registration
WITHDRAWN = "withdrawn"  # an older link version: the site withdrew it
EXPIRED = "expired"  # its event is over (see EXPIRY)


# -- tokens ------------------------------------------------------------------------------


def make_token(registration: Registration, purpose: str) -> str:
    payload = f"{registration.uid.hex}.{registration.link_version}"
    return signing.dumps(payload, salt=purpose, compress=False)


def _payload(token: str, purpose: str) -> tuple[uuid.UUID, int] | None:
    try:
        payload = signing.loads(token, salt=purpose)
    except signing.BadSignature:
        return None
    if not isinstance(payload, str):
        return None
    # Links mailed before versions existed carry the bare uid: version 0.
    uid, _, version = payload.partition(".")
    try:
        # Only our own signature gets here, but a token signed by an older
        # release (or by hand) must still read as "not found", never as a 500.
        return uuid.UUID(hex=uid), int(version or 0)
    except ValueError:
        return None


@dataclass(frozen=True)
class LinkCheck:
    """What a token opens: the registration, or why not (:data:`UNKNOWN`, ...).

    An expired link still names its registration, so the page can say which
    event is over.
    """

    registration: Registration | None
    problem: str = ""


def check_token(token: str, purpose: str, now: datetime | None = None) -> LinkCheck:
    """Read a token: its registration, unless it is unknown, withdrawn or expired."""
    payload = _payload(token, purpose)
    if payload is None:
        return LinkCheck(None, UNKNOWN)
    uid, version = payload
    registration = Registration.objects.select_related("page").filter(uid=uid).first()
    if registration is None:
        return LinkCheck(None, UNKNOWN)
    if version != registration.link_version:
        return LinkCheck(None, WITHDRAWN)
    expiry = EXPIRY.get(purpose)
    if expiry is not None and (now or timezone.now()) >= expiry(registration.page.specific):
        return LinkCheck(registration, EXPIRED)
    return LinkCheck(registration)


def read_token(token: str, purpose: str) -> Registration | None:
    """The registration a token names, or ``None`` when it is tampered with,
    unknown or withdrawn (expiry is :func:`check_token`'s business)."""
    payload = _payload(token, purpose)
    if payload is None:
        return None
    uid, version = payload
    return Registration.objects.select_related("page").filter(uid=uid, link_version=version).first()


def withdraw_event_links(event) -> int:
    """Make every cancel and join link mailed so far for ``event`` stop working.

    New emails carry new links. Returns how many registrations that concerns.
    """
    return Registration.objects.filter(page_id=event.pk).update(link_version=F("link_version") + 1)


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


def reregister_url(registration: Registration, page=None) -> str:
    return signed_url(registration, REREGISTER, page)
