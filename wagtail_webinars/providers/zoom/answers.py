"""Reading Zoom's answers without trusting their shape.

Zoom documents what each answer holds, but what arrives is whatever came back over
the wire: a proxy's page, a truncated body, a field of another type. Every value
read from an answer goes through these helpers, so an answer we cannot use is one
typed, transient :class:`~wagtail_webinars.providers.errors.ProviderAPIError`
("Zoom sent an answer we could not read"), retried like an outage, and never an
``AttributeError`` in a worker or half a registrant stored.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from ..errors import ProviderAPIError


def unreadable(status: int | None = None) -> ProviderAPIError:
    """The error for an answer we cannot use (the call itself may have worked)."""
    return ProviderAPIError(
        _("Zoom sent an answer we could not read"), status=status, transient=True, ours=True
    )


def obj(value: Any) -> dict:
    """A JSON object of the answer (``None``, a missing part, counts as empty)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise unreadable()


def objects(value: Any) -> list[dict]:
    """A list of JSON objects of the answer (``None`` counts as empty)."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    raise unreadable()


def text(value: Any) -> str:
    """A text field: strings as they are, ids Zoom sends as numbers in digits, else ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def integer(value: Any) -> int | None:
    """A whole number field (``None`` when it is not one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
