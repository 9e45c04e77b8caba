"""A person's rows merged: intervals counted once (wagtail_webinars/checkin/attendance.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.checkin.rows import T0, row
from wagtail_webinars.checkin import merge_rows, union_seconds

pytestmark = pytest.mark.django_db


def test_union_counts_overlaps_once():
    a = (T0, T0 + timedelta(minutes=30))
    b = (T0 + timedelta(minutes=20), T0 + timedelta(minutes=40))
    c = (T0 + timedelta(minutes=50), T0 + timedelta(minutes=55))
    assert union_seconds([c, a, b]) == 45 * 60
    assert union_seconds([]) == 0


def test_rows_of_one_person_merge_by_id_email_or_name():
    people = merge_rows(
        [
            row("Ada", "ada@x.org", "r1", 0, 10),
            row("Ada phone", "", "r1", 5, 20),  # second device, same registrant id
            row("Ada", "ADA@x.org ", "", 30, 40, instance="i2"),  # rejoin in a restart
            row("Guest", "", "", 0, 5),
            row("guest ", "", "", 10, 12),
            row("Waiting", "w@x.org", "", 0, 60, waiting=True),
            row("", "", "", 0, 60),  # nobody at all
        ]
    )
    assert len(people) == 2
    ada = next(p for p in people if "r1" in p.registrant_ids)
    assert ada.key == "rid:r1"
    assert ada.emails == {"ada@x.org"}
    assert ada.seconds == 30 * 60
    assert ada.first_join == T0 and ada.last_leave == T0 + timedelta(minutes=40)
    guest = next(p for p in people if p.key.startswith("name:"))
    assert guest.seconds == 7 * 60
