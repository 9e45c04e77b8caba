"""Spreadsheet exports of registrations: safe cells, people's words, campus time.

Both exports (the Registrations list and an event page's submissions) use
:class:`RegistrationExportMixin` on top of Wagtail's ``SpreadsheetExportMixin``.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..conf import campus_time_zone

#: A spreadsheet treats a cell starting with one of these as a formula (or, for tab
#: and carriage return, may shift it into one): a name like ``=HYPERLINK(...)``.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Campus local time to the minute's second, no microseconds, no zone suffix (the
#: column headings say the times are campus time).
EXPORT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def neutralise_formula(text: str) -> str:
    """Make a CSV cell that a spreadsheet would run as a formula read as text
    (OWASP's advice: a leading apostrophe)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def campus_export_time(value: datetime) -> datetime:
    """``value`` in campus local time, naive, without microseconds."""
    local = timezone.localtime(value, campus_time_zone()) if timezone.is_aware(value) else value
    return local.replace(microsecond=0, tzinfo=None)


class RegistrationExportMixin:
    """Cells as a person reads them: empty instead of "None", campus time without
    microseconds; in CSV no cell can start a formula. XLSX keeps typed cells (Wagtail
    already stores formula-looking text there as text)."""

    def preprocess_field_value(self, field, value, export_format):
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = campus_export_time(value)
            if export_format == self.FORMAT_CSV:
                return value.strftime(EXPORT_TIME_FORMAT)
        result = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV and isinstance(result, str):
            return neutralise_formula(result)
        return result
