from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wagtail_webinars.models import ApiToken

pytestmark = pytest.mark.django_db


def test_issue_stores_only_a_digest_and_the_last_four(staff_user):
    token, raw = ApiToken.issue(user=staff_user, name="Dashboard")
    assert raw.startswith("ww_")
    stored = ApiToken.objects.values().get()
    assert raw not in str(stored)
    assert raw.split("_", 2)[2] not in str(stored)
    assert stored["last_four"] == raw[-4:]
    assert ApiToken.authenticate(raw) == token


def test_wrong_expired_and_inactive_tokens_do_not_authenticate(staff_user):
    token, raw = ApiToken.issue(user=staff_user, name="x")
    key = raw.split("_", 2)[1]
    for bad in (
        "",
        "ww",
        f"ww_{key}_",
        f"ww_{key}_wrong",
        raw + "x",
        "ww_nokey_" + raw[-10:],
        None,
        5,
    ):
        assert ApiToken.authenticate(bad) is None, bad
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiToken.authenticate(raw) is None
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(days=1))
    assert ApiToken.authenticate(raw) == token
    staff_user.is_active = False
    staff_user.save()
    assert ApiToken.authenticate(raw) is None


def test_last_used_is_recorded_at_most_once_a_minute(staff_user):
    _token, raw = ApiToken.issue(user=staff_user, name="x")
    now = timezone.now()
    ApiToken.authenticate(raw, now=now)
    assert ApiToken.objects.get().last_used_at == now
    ApiToken.authenticate(raw, now=now + timedelta(seconds=30))
    assert ApiToken.objects.get().last_used_at == now
    ApiToken.authenticate(raw, now=now + timedelta(minutes=2))
    assert ApiToken.objects.get().last_used_at == now + timedelta(minutes=2)
