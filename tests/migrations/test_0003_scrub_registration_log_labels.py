"""Old audit-log entries that named a registrant lose the name and email."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "wagtail_webinars.migrations.0003_scrub_registration_log_labels"
)


def test_relabels_registration_entries_only(make_event):
    reg = RegistrationFactory(page=make_event(kind="vimeo"))
    ct = ContentType.objects.get_for_model(reg)
    old = ModelLogEntry.objects.create(
        content_type=ct,
        label="Ada Lovelace <ada@example.org>",
        action="wagtail.delete",
        timestamp=timezone.now(),
        object_id=str(reg.pk),
    )
    page_ct = ContentType.objects.get_for_model(reg.page)
    other = ModelLogEntry.objects.create(
        content_type=page_ct,
        label="Data Science 101",
        action="wagtail.edit",
        object_id="1",
        timestamp=timezone.now(),
    )
    migration.relabel(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.label == f"Registration {reg.pk}"
    assert other.label == "Data Science 101"
