"""Input rules shared by the page form, the admin and GraphQL."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
ANSWER_MAX_LENGTH = 4000
#: Wagtail's form fields name their answers with at most this many characters.
ANSWER_NAME_MAX_LENGTH = 255


def normalize_email(value: str) -> str:
    """One spelling per person: Zoom treats addresses case-insensitively, so do we;
    and an internationalised domain is one mailbox however it is typed
    (``bücher.example``, ``BÜCHER.example``, ``xn--bcher-kva.example``), so the
    domain is stored in its one ASCII form (IDNA 2008 with UTS 46 mapping)."""
    email = (value or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not domain or domain.isascii():
        return email
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return email  # not a valid domain: clean_email says so
    return f"{local}@{ascii_domain}"


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


def clean_answers(answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The extra answers as stored in ``form_data``.

    The page form already limits them, but GraphQL and code call the service
    directly: text must still fit and must not hold NUL (PostgreSQL's jsonb
    refuses it, which would fail the whole registration with a server error).
    """
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise ValidationError(_("The answers could not be read."), code="invalid")
    for key, value in answers.items():
        if not isinstance(key, str) or not key or len(key) > ANSWER_NAME_MAX_LENGTH:
            raise ValidationError(_("The answers could not be read."), code="invalid")
        for text in _texts(key, value):
            if "\x00" in text:
                raise ValidationError(
                    _("Answers cannot contain NUL characters."), code="null_characters"
                )
            if len(text) > ANSWER_MAX_LENGTH:
                raise ValidationError(
                    _("Answers can be at most %(max)d characters."),
                    code="max_length",
                    params={"max": ANSWER_MAX_LENGTH},
                )
    return dict(answers)


def _texts(key: str, value: Any) -> list[str]:
    values = value if isinstance(value, list | tuple) else [value]
    return [key, *(v for v in values if isinstance(v, str))]


def _has_control_chars(value: str) -> bool:
    # Category C* covers newlines, tabs, NUL, bidi overrides and the like: none of
    # them belongs in a name or address, and newlines would let one forge mail headers.
    # Zero-width (non-)joiners are kept: some scripts need them in names.
    # Zl/Zp (U+2028, U+2029) are line breaks too, whatever their category says.
    return any(
        (unicodedata.category(ch).startswith("C") or unicodedata.category(ch) in ("Zl", "Zp"))
        and ch not in "\u200c\u200d"
        for ch in value
    )
