"""API tokens for server-side apps calling the GraphQL API.

A token acts as the person who created it, never as more: every permission is
that user's (read through the registration permission policy), narrowed by the
token's scope. The secret is shown once, at creation; only its SHA-256 digest
and its last four characters (so staff recognise it in a list) are stored.

The token reads ``ww_<key>_<secret>``: the public ``key`` finds the row, then
the digests are compared in constant time, so response times say nothing about
how much of a guessed secret was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX = "ww"
KEY_BYTES = 6
SECRET_BYTES = 32
#: Recording every use would turn each read into a write; once a minute is enough
#: to tell staff whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the app using it.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webinars_api_tokens",
        verbose_name=_("created by"),
        editable=False,
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.READ)
    key = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    last_four = models.CharField(_("ends with"), max_length=4, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Leave empty for no expiry.")
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (…{self.last_four})"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @classmethod
    def issue(
        cls, *, user, name: str, scope: str = Scope.READ, expires_at: datetime | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token; returns it and the secret to show once (never stored)."""
        key = secrets.token_hex(KEY_BYTES)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        raw = f"{PREFIX}_{key}_{secret}"
        token = cls.objects.create(
            user=user,
            name=name,
            scope=scope,
            expires_at=expires_at,
            key=key,
            digest=_digest(raw),
            last_four=raw[-4:],
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str, now: datetime | None = None) -> ApiToken | None:
        """The live token ``raw`` names, or ``None`` (unknown, wrong, expired, user inactive)."""
        now = now or timezone.now()
        parts = raw.split("_", 2) if isinstance(raw, str) else []
        if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
            return None
        token = cls.objects.select_related("user").filter(key=parts[1]).first()
        if token is None:
            # Compare anyway, so an unknown key takes as long as a wrong secret.
            hmac.compare_digest(_digest(raw), _digest(""))
            return None
        if not hmac.compare_digest(token.digest, _digest(raw)):
            return None
        if token.is_expired(now) or not token.user.is_active:
            return None
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token
