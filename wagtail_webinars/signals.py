"""What happens after a registration changes and the transaction has committed.

Kept apart from the service so the service stays about rules, and this module
about side effects (mail, provider sync), each a django-q2 task taking a key.
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent after commit with ``registration_id`` and ``outcome``
#: ("created", "reactivated", "already_registered", "cancelled").
registration_committed = Signal()


def registration_changed(registration_id: int, outcome: str) -> None:
    from . import tasks

    if outcome in ("created", "reactivated", "already_registered"):
        tasks.enqueue("wagtail_webinars.tasks.send_confirmation", registration_id)
    if outcome in ("created", "reactivated", "cancelled"):
        tasks.enqueue_sync(registration_id)
    registration_committed.send(sender=None, registration_id=registration_id, outcome=outcome)
