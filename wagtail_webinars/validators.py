"""Input rules shared by the page form, the admin and GraphQL."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254


def normalize_email(value: str) -> str:
    """One spelling per person: Zoom treats addresses case-insensitively, so do we."""
    return (value or "").strip().lower()


def clean_email(value: str) -> str:
    email = normalize_email(value)
    if not email:
        raise ValidationError(_("Enter your email address."), code="required")
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            _("Email addresses can be at most %(max)d characters."),
            code="max_length",
            params={"max": EMAIL_MAX_LENGTH},
        )
    if _has_control_chars(email):
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    try:
        validate_email(email)
    except ValidationError as err:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from err
    return email


def clean_name(value: str, label: str) -> str:
    """A person's name: trimmed, one line, printable, and not too long."""
    name = re.sub(r"[ \t]+", " ", (value or "").strip())
    if not name:
        raise ValidationError(_("Enter your %(label)s."), code="required", params={"label": label})
    if _has_control_chars(name):
        raise ValidationError(
            _("Your %(label)s cannot contain line breaks or control characters."),
            code="invalid",
            params={"label": label},
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("Your %(label)s can be at most %(max)d characters."),
            code="max_length",
            params={"label": label, "max": NAME_MAX_LENGTH},
        )
    return name


def _has_control_chars(value: str) -> bool:
    # Category C* covers newlines, tabs, NUL, bidi overrides and the like: none of
    # them belongs in a name or address, and newlines would let one forge mail headers.
    # Zero-width (non-)joiners are kept: some scripts need them in names.
    return any(
        unicodedata.category(ch).startswith("C") and ch not in "\u200c\u200d" for ch in value
    )
