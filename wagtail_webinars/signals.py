"""What happens after a registration changes and the transaction has committed.

Kept apart from the service so the service stays about rules, and this module
about side effects (mail, provider sync), each a django-q2 task taking a key.
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent after commit with ``registration_id`` and ``outcome``
#: ("created", "reactivated", "already_registered", "cancelled").
registration_committed = Signal()


def registration_changed(registration_id: int, outcome: str, needs_sync: bool) -> None:
    """Queue the side effects of a committed change.

    ``needs_sync`` is true when the event has a managed provider that must hear of it.
    """
    from . import tasks

    if outcome in ("created", "reactivated"):
        tasks.enqueue("wagtail_webinars.tasks.send_confirmation", registration_id)
    elif outcome == "already_registered":
        tasks.enqueue("wagtail_webinars.tasks.send_confirmation", registration_id, resend=True)
    if needs_sync and outcome in ("created", "reactivated", "cancelled"):
        tasks.enqueue_sync(registration_id)
    registration_committed.send(sender=None, registration_id=registration_id, outcome=outcome)


def cancel_at_provider_before_delete(sender, instance, **kwargs) -> None:
    """A deleted registration must not stay approved at the provider.

    Whatever deletes it (the registrations admin, Wagtail's submissions list, a
    deleted event page), the row and its registrant id are gone afterwards, so the
    cancel is queued now with what it needs, and sent after the delete commits.
    """
    from django.db import transaction

    from . import tasks

    if not instance.provider_registrant_id or instance.provider_status == "cancelled":
        return
    args = (
        instance.page_id,
        instance.provider_registrant_id,
        instance.email,
        instance.provider_meeting_id,
    )
    transaction.on_commit(
        lambda: tasks.enqueue("wagtail_webinars.tasks.cancel_removed_registrant", *args)
    )
