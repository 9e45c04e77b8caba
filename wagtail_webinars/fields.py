"""Date/time fields entered and shown in campus local time.

Wagtail's admin converts datetimes to the *editor's* preferred zone. Events are
planned, announced and reminded in campus local time, so these fields always use
the campus zone, whoever is editing.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .conf import campus_time_zone, campus_time_zone_name


class CampusDateTimeFormField(forms.DateTimeField):
    def to_python(self, value):
        with timezone.override(campus_time_zone()):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(campus_time_zone()):
            return super().prepare_value(value)


class CampusDateTimeField(models.DateTimeField):
    """A DateTimeField whose admin form uses the campus zone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "help_text",
            format_lazy("{} ({})", _("Campus local time"), _LazyZoneName()),
        )
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("help_text", None)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        kwargs["form_class"] = CampusDateTimeFormField
        return super().formfield(**kwargs)


class _LazyZoneName:
    """Evaluates the campus zone name when the help text is rendered, not at import."""

    def __str__(self) -> str:
        return campus_time_zone_name()
