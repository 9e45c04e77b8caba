"""No secret and no registrant email in any log record at INFO or above, in any test.

:class:`LogGuard` is installed around every test by ``tests/conftest.py``. It keeps
the records logged at INFO or above, and at the end of the test fails it if one of
them names something it knows is secret or personal:

* secrets: the Zoom client secret and any other ``WAGTAIL_WEBINARS`` setting whose
  name says SECRET or TOKEN (a webhook secret token, say), Django's ``SECRET_KEY``,
  every access token our Zoom client fetched (wherever from: ``responses``, the
  stand-in over HTTP) and every token the Zoom stand-in issued;
* personal data: the email of every registration, removed registrant, unmatched
  participant and stand-in registrant that existed in the test (seen as the model
  instances are built, so rows created, loaded and deleted all count).

It knows exact values rather than guessing from shapes, so a log line that merely
looks like an address (``host@example.edu`` of a meeting) does not fail a test.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db.models.signals import post_init

#: Shorter values would match by accident ("a@b.c" is in many strings).
MIN_SECRET_LENGTH = 8


class _Keeper(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a broken format string is not our concern here
        text = str(record.msg)
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


class LogGuard:
    """Collects log records and what must not be in them, for one test."""

    def __init__(self):
        self.handler = _Keeper()
        self.emails: set[str] = set()
        self.tokens: set[str] = set()
        self._root_level = logging.NOTSET
        self._receivers = []

    # -- what must not be logged ------------------------------------------------------------
    def _models(self):
        from django.apps import apps

        wanted = [
            ("wagtail_webinars", "Registration", "email"),
            ("wagtail_webinars", "RemovedRegistrant", "email"),
            ("wagtail_webinars", "UnmatchedParticipant", "email"),
            ("zoom_standin", "Registrant", "email"),
            ("zoom_standin", "AccessToken", "token"),
        ]
        for app_label, name, field in wanted:
            try:
                yield apps.get_model(app_label, name), field
            except LookupError:
                continue

    def _watch(self, model, field: str) -> None:
        into = self.tokens if field == "token" else self.emails

        def seen(sender, instance, **kwargs):
            value = instance.__dict__.get(field)
            if value:
                into.add(str(value))

        # A receiver of each concrete subclass too (swapped or host event models).
        post_init.connect(seen, sender=model, weak=False)
        self._receivers.append((seen, model))

    def secrets(self) -> set[str]:
        found = set(self.tokens)
        conf = getattr(settings, "WAGTAIL_WEBINARS", None) or {}
        for name, value in conf.items():
            if isinstance(value, str) and ("SECRET" in name or "TOKEN" in name):
                found.add(value)
        found.add(str(getattr(settings, "SECRET_KEY", "")))
        from tests.providers.zoom_fixtures import ACCESS_TOKEN, SECRET

        found |= {ACCESS_TOKEN, SECRET}
        return {s for s in found if len(s) >= MIN_SECRET_LENGTH}

    # -- around one test -----------------------------------------------------------------------
    def start(self) -> None:
        root = logging.getLogger()
        self._root_level = root.level
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        root.addHandler(self.handler)
        for model, field in self._models():
            self._watch(model, field)

    def stop(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._root_level)
        for receiver, model in self._receivers:
            post_init.disconnect(receiver, sender=model)

    def leaks(self) -> list[str]:
        """One line per record naming a secret or a known email (the value masked)."""
        if not self.handler.records:
            return []
        secrets = self.secrets()
        emails = {e.lower() for e in self.emails if e and "@" in e}
        problems = []
        for record in self.handler.records:
            text = _text(record)
            lowered = text.lower()
            named = [("a secret", s) for s in secrets if s in text]
            named += [("a registrant's email", e) for e in emails if e in lowered]
            for what, value in named:
                problems.append(
                    f"{record.levelname} {record.name} ({record.pathname}:{record.lineno}) "
                    f"logs {what}: {_mask(text, value)!r}"
                )
        return problems

    def remember_token(self, token: str) -> None:
        if token:
            self.tokens.add(token)


def _mask(text: str, value: str) -> str:
    """The record's text with the value hidden (the failure report is output too)."""
    masked = re.sub(re.escape(value), "<hidden>", text, flags=re.IGNORECASE)
    return masked if len(masked) < 300 else masked[:297] + "..."
