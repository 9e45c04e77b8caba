"""django-q2 schedules this app needs, created idempotently after ``migrate``.

Each entry is keyed by its schedule name: running migrate again updates the
existing row instead of adding a second one.
"""

from __future__ import annotations

from . import jobs

#: name -> (dotted function path, minutes between runs)
SCHEDULES: dict[str, tuple[str, int]] = {
    # Reminders go out within a minute of falling due (see reminders.py).
    "wagtail_webinars.reminder_sweep": (jobs.SEND_DUE_REMINDERS, 1),
    # Re-queues Zoom syncs whose task vanished or whose retry time has come (see sync.py).
    "wagtail_webinars.sync_sweep": (jobs.SYNC_SWEEP, 1),
    # Pulls participant reports after managed events end, and retries waiting pulls
    # (see checkin.py).
    "wagtail_webinars.checkin_sweep": (jobs.CHECKIN_SWEEP, 5),
    # Reads managed events' details again (join link, passcode, time) while they are
    # coming up, and just before their reminders (see details_refresh.py).
    "wagtail_webinars.details_refresh": (jobs.REFRESH_UPCOMING_DETAILS, 5),
    # Deletes webhook delivery records older than WEBHOOK_DELIVERY_DAYS (webhooks/).
    "wagtail_webinars.webhook_deliveries_purge": (jobs.PURGE_WEBHOOK_DELIVERIES, 24 * 60),
}


#: Daily data retention, only while ``RETENTION_DAYS`` is set (see retention.py).
RETENTION_SCHEDULE = "wagtail_webinars.retention"


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    from .conf import get_setting

    schedules = dict(SCHEDULES)
    if get_setting("RETENTION_DAYS") is not None:
        schedules[RETENTION_SCHEDULE] = (jobs.APPLY_RETENTION, 24 * 60)
    else:
        Schedule.objects.filter(name=RETENTION_SCHEDULE).delete()
    for name, (func, minutes) in schedules.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
