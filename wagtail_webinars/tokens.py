"""Signed tokens for links in emails (cancel, join).

The token carries the registration's random UUID, signed with SECRET_KEY and a
purpose-specific salt: nothing guessable, nothing reusable across purposes.
"""

from __future__ import annotations

import uuid

from django.core import signing

from .models import Registration

CANCEL = "wagtail_webinars.cancel"
JOIN = "wagtail_webinars.join"


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
