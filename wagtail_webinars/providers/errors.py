"""Errors raised by the provider layer.

Every provider error derives from :class:`ProviderError`, so callers that only
want "did the provider fail" catch one class.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class ProviderError(Exception):
    """Root of every provider error."""


class UnsupportedOperation(ProviderError):
    """The provider cannot do this (an unmanaged provider asked to push, say)."""

    def __init__(self, provider: object, operation: str):
        self.provider = provider
        self.operation = operation
        name = type(provider).__name__ if not isinstance(provider, str) else provider
        super().__init__(f"{name} does not support {operation}")


class ProviderConfigurationError(ProviderError, ImproperlyConfigured):
    """Credentials or settings are missing or wrong (names the setting, never its value)."""


class ProviderAPIError(ProviderError):
    """The provider's API answered with an error, or could not be reached.

    ``status`` is the HTTP status (``None`` when no response came back),
    ``code`` the provider's own error code, ``message`` its text.
    ``retry_after`` (seconds), when set, says when trying again makes sense.
    ``transient`` says whether retrying later may succeed.
    ``ours`` marks a ``message`` we wrote (no answer came, or one we could not use)
    rather than the provider's own words.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        retry_after: float | None = None,
        transient: bool = False,
        ours: bool = False,
    ):
        self.message = message
        self.ours = ours
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.transient = transient
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        return " ".join([parts[0], f"({', '.join(parts[1:])})" if parts[1:] else ""]).strip()


class ReportNotReady(ProviderError):
    """The provider has no participant report yet (a meeting that just ended):
    try again later; this is not a failure."""


class ProviderAuthError(ProviderAPIError):
    """The provider rejected our credentials (or a token even after refreshing it).

    Retrying does not help until someone fixes the credentials, so it is never transient.
    """


class RegistrantTaken(ProviderError):
    """The provider answered with a registrant another of our registrations already holds
    (Zoom's way of saying the email belongs to someone else's registration)."""

    def __init__(self, registrant_id: str):
        self.registrant_id = registrant_id
        super().__init__(
            "The provider answered with a registrant another registration already holds."
        )


class MissingJoinLink(ProviderError):
    """The provider has the registrant approved but gives no personal join link."""


class StatusChangesUsedUp(ProviderAPIError):
    """This registrant's status was changed as often today as we allow ourselves
    (providers cap it: Zoom at 10 a day per registrant); try again after midnight UTC."""

    def __init__(self, retry_after: float):
        super().__init__(
            "status changes for this registrant used up for today",
            retry_after=retry_after,
            transient=True,
        )


class WebhookRefused(ProviderError):
    """A webhook delivery we do not act on: unsigned, badly signed, too old, or not
    readable. ``status`` is the HTTP status to answer (400, 401 or 403); ``reason`` a
    few words for the delivery record (never a secret, never personal data)."""

    def __init__(self, status: int, reason: str):
        self.status = status
        self.reason = reason
        super().__init__(reason)
