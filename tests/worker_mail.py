"""A mail backend for a real worker in a test: one line per message ("reminder",
"confirmation" or "other", then the recipient) appended to ``WEBINARS_MAIL_LOG``
before the next is sent, taking ``WEBINARS_MAIL_SECONDS`` a message like a relay
(20 ms by default)."""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        delay = float(os.environ.get("WEBINARS_MAIL_SECONDS", "0.02"))
        with open(settings.WEBINARS_MAIL_LOG, "a") as log:
            for message in messages:
                time.sleep(delay)
                subject = message.subject
                kind = (
                    "reminder"
                    if subject.startswith("Reminder:")
                    else "confirmation"
                    if subject.startswith("You're registered")
                    else "other"
                )
                log.write(f"{kind} {message.to[0]}\n")
                log.flush()
                os.fsync(log.fileno())
        return len(messages)
