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
