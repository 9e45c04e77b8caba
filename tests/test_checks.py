"""System checks: configuration problems named by setting, never by value."""

from __future__ import annotations

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from wagtail_webinars import checks
from wagtail_webinars.conf import ZOOM_CREDENTIAL_SETTINGS

SECRET = "s3cr3t-value-never-shown"
CREDENTIALS = {
    "ZOOM_ACCOUNT_ID": "acct-value-1",
    "ZOOM_CLIENT_ID": "client-value-2",
    "ZOOM_CLIENT_SECRET": SECRET,
}


@pytest.fixture(autouse=True)
def no_env_credentials(monkeypatch):
    for name in ZOOM_CREDENTIAL_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def ours(messages):
    return [m for m in messages if m.id and m.id.startswith("wagtail_webinars.")]


def text_of(message) -> str:
    return f"{message.msg} {message.hint or ''}"


def test_complete_configuration_passes(settings):
    settings.WAGTAIL_WEBINARS = {**CREDENTIALS, "TIME_ZONE": "America/New_York"}
    assert ours(run_checks()) == []


def test_checks_are_registered_with_django(settings):
    settings.WAGTAIL_WEBINARS = {"ZOOM_CLIENT_SECRET": SECRET}
    ids = {m.id for m in ours(run_checks())}
    assert "wagtail_webinars.E003" in ids


def test_no_credentials_is_a_warning(settings):
    settings.WAGTAIL_WEBINARS = {}
    [message] = checks.check_zoom_credentials()
    assert isinstance(message, Warning)
    assert message.id == "wagtail_webinars.W001"
    for name in ZOOM_CREDENTIAL_SETTINGS:
        assert name in text_of(message)


@pytest.mark.parametrize("missing", ZOOM_CREDENTIAL_SETTINGS)
def test_partial_credentials_name_what_is_missing(settings, missing):
    settings.WAGTAIL_WEBINARS = {k: v for k, v in CREDENTIALS.items() if k != missing}
    [message] = checks.check_zoom_credentials()
    assert isinstance(message, Error)
    assert message.id == "wagtail_webinars.E003"
    assert missing in message.msg
    for present in set(ZOOM_CREDENTIAL_SETTINGS) - {missing}:
        assert present not in message.msg
    for value in CREDENTIALS.values():
        assert value not in text_of(message)


def test_blank_counts_as_missing(settings):
    settings.WAGTAIL_WEBINARS = {**CREDENTIALS, "ZOOM_CLIENT_ID": ""}
    [message] = checks.check_zoom_credentials()
    assert "ZOOM_CLIENT_ID" in message.msg


def test_credentials_from_the_environment(settings, monkeypatch):
    settings.WAGTAIL_WEBINARS = {}
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    assert checks.check_zoom_credentials() == []


def test_check_command_never_prints_the_secret(settings, capsys):
    settings.WAGTAIL_WEBINARS = {"ZOOM_CLIENT_SECRET": SECRET}
    with pytest.raises(SystemCheckError) as err:
        call_command("check")
    out = capsys.readouterr()
    shown = str(err.value) + out.out + out.err
    assert "ZOOM_ACCOUNT_ID" in shown
    assert SECRET not in shown


def test_unknown_time_zone(settings):
    settings.WAGTAIL_WEBINARS = {**CREDENTIALS, "TIME_ZONE": "Mars/Olympus_Mons"}
    [message] = checks.check_time_zone()
    assert message.id == "wagtail_webinars.E001"
    assert "WAGTAIL_WEBINARS['TIME_ZONE']" in message.hint


def test_use_tz_is_required(settings):
    settings.USE_TZ = False
    [message] = checks.check_time_zone()
    assert message.id == "wagtail_webinars.E002"
