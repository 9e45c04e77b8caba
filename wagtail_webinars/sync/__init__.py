"""Registrant sync with managed providers (Zoom), one job per module:

* :mod:`.state`: the rules of one row (the next provider call, retry or fail);
* :mod:`.guards`: one run per registration, and checks before an answer is stored;
* :mod:`.single`: syncing one registration (add, look up, cancel, re-approve);
* :mod:`.backfill`: pushing an event's never-pushed registrations in batches;
* :mod:`.sweeper`: re-queueing syncs that are due or whose task was lost;
* :mod:`.meeting_change`: what happens when an event points at another meeting;
* :mod:`.removed`: cancelling a deleted registration's registrant, until it lands.

Only the provider interface (:class:`wagtail_webinars.providers.base.Provider`) is
used here: nothing in this package knows which provider it talks to.

The names below are the package's entry points for the rest of the app.
"""

from . import removed
from .backfill import backfill_event, has_never_pushed, queue_backfill_if_needed
from .meeting_change import event_went_live, meeting_changed, meeting_left, remember_meeting
from .removed import cancel_deleted_registrant
from .single import retry_registration, sync_registration
from .sweeper import retry_failed_for_event, sync_sweep

__all__ = [
    "backfill_event",
    "cancel_deleted_registrant",
    "event_went_live",
    "has_never_pushed",
    "meeting_changed",
    "meeting_left",
    "queue_backfill_if_needed",
    "remember_meeting",
    "removed",
    "retry_failed_for_event",
    "retry_registration",
    "sync_registration",
    "sync_sweep",
]
