"""``manage.py webinars_apply_retention``: counts first, then does it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.models import Registration

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("webinars_apply_retention", *args, stdout=out)
    return out.getvalue().strip()


def test_dry_run_then_anonymise(make_event):
    event = make_event(kind="vimeo", start=timezone.now() - timedelta(days=40))
    RegistrationFactory.create_batch(3, page=event)
    assert run("--older-than", "30", "--dry-run").startswith(
        "Dry run: would anonymise 3 registrations of 1 events"
    )
    assert not Registration.objects.filter(email__endswith="anonymised.invalid").exists()
    assert run("--older-than", "30").startswith("Anonymised 3 registrations of 1 events")
    assert Registration.objects.filter(email__endswith="anonymised.invalid").count() == 3


def test_delete_mode(make_event):
    event = make_event(kind="vimeo", start=timezone.now() - timedelta(days=40))
    RegistrationFactory(page=event)
    assert run("--older-than", "30", "--mode", "delete").startswith("Deleted 1 registrations")
    assert not Registration.objects.exists()


def test_no_age_is_a_clear_error(db):
    with pytest.raises(CommandError, match="RETENTION_DAYS"):
        run()
