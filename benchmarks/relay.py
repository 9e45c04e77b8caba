"""A stand-in SMTP relay for the benchmarks: a real SMTP server on loopback
(aiosmtpd) that takes ``delay`` seconds over each message, as a real relay does,
and counts the recipients it accepted (so "each exactly once" can be checked on
what was delivered, not only on what the database says).

Each SMTP connection is served concurrently (asyncio), so several senders with a
connection each get several times the throughput, as they would from a real relay.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from aiosmtpd.controller import Controller


class SlowRelay:
    def __init__(self, delay: float = 0.02):
        self.delay = delay
        self.recipients: Counter[str] = Counter()
        self.messages = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        with self._lock:
            self.messages += 1
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def start_relay(port: int, delay: float = 0.02) -> tuple[SlowRelay, Controller]:
    """Serve a ``SlowRelay`` on 127.0.0.1:``port`` in a thread; stop it with
    ``controller.stop()``."""
    relay = SlowRelay(delay)
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    return relay, controller
