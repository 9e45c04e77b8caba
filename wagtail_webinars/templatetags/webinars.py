from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from ..conf import campus_time_zone

register = template.Library()


@register.filter
def campus_datetime(value: datetime | None) -> str:
    """ "Tuesday 1 December 2026, 14:00 EST": campus local time with the zone's name."""
    if value is None:
        return ""
    local = timezone.localtime(value, campus_time_zone())
    return f"{date_format(local, 'l j F Y, H:i')} {local.tzname()}"


@register.filter
def campus_time(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value, campus_time_zone())
    return f"{date_format(local, 'H:i')} {local.tzname()}"


def _lead_text(minutes: int) -> str:
    from django.contrib.humanize.templatetags.humanize import apnumber
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    hours, rest = divmod(minutes, 60)
    if hours and not rest:
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": apnumber(hours)}
    if not hours:
        return ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": apnumber(rest)}
    return _("%(hours)s and %(minutes)s") % {
        "hours": ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": apnumber(hours)},
        "minutes": ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": rest},
    }


@register.simple_tag
def reminder_notice(event, now: datetime | None = None) -> str:
    """When the reminder with the join link will actually come, in campus time:
    "about two hours before the start (around ...)", or "shortly" when the event
    starts inside the lead time (the next sweep sends it)."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    due = event.reminder_due_at
    if now >= due:
        return _("We will email you the link to join shortly.")
    minutes = int(event.reminder_lead.total_seconds() // 60)
    return _(
        "We will email you the link to join about %(lead)s before the start (around %(when)s)."
    ) % {"lead": _lead_text(minutes), "when": campus_datetime(due)}
