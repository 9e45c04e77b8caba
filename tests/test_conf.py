"""One settings reader, read at call time, with errors naming the setting."""

from __future__ import annotations

import zoneinfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from wagtail_webinars import conf


def test_defaults_apply(settings):
    settings.WAGTAIL_WEBINARS = {}
    assert conf.get_setting("REMINDER_LEAD_MINUTES") == 120
    assert conf.get_setting("ZOOM_API_URL") == "https://api.zoom.us/v2"
    assert conf.get_setting("PROVIDERS") == {}


def test_every_default_is_readable(settings):
    settings.WAGTAIL_WEBINARS = {}
    for name, default in conf.DEFAULTS.items():
        if name not in conf.ZOOM_CREDENTIAL_SETTINGS:
            assert conf.get_setting(name) == default


def test_missing_dict_means_defaults(settings):
    del settings.WAGTAIL_WEBINARS
    assert conf.get_setting("REMINDER_LEAD_MINUTES") == 120


def test_read_at_call_time(settings):
    settings.WAGTAIL_WEBINARS = {"REMINDER_LEAD_MINUTES": 30}
    assert conf.get_setting("REMINDER_LEAD_MINUTES") == 30
    settings.WAGTAIL_WEBINARS = {"REMINDER_LEAD_MINUTES": 45}
    assert conf.get_setting("REMINDER_LEAD_MINUTES") == 45


def test_unknown_setting_is_named():
    with pytest.raises(ImproperlyConfigured) as err:
        conf.get_setting("REMINDER_LEED_MINUTES")
    assert "WAGTAIL_WEBINARS['REMINDER_LEED_MINUTES']" in str(err.value)


class TestZoomCredentials:
    def test_from_the_environment(self, settings, monkeypatch):
        settings.WAGTAIL_WEBINARS = {}
        monkeypatch.setenv("ZOOM_CLIENT_ID", "from-env")
        assert conf.get_setting("ZOOM_CLIENT_ID") == "from-env"

    def test_settings_win_over_the_environment(self, settings, monkeypatch):
        settings.WAGTAIL_WEBINARS = {"ZOOM_CLIENT_ID": "from-settings"}
        monkeypatch.setenv("ZOOM_CLIENT_ID", "from-env")
        assert conf.get_setting("ZOOM_CLIENT_ID") == "from-settings"

    def test_only_credentials_come_from_the_environment(self, settings, monkeypatch):
        settings.WAGTAIL_WEBINARS = {}
        monkeypatch.setenv("ZOOM_API_URL", "https://elsewhere.test")
        assert conf.get_setting("ZOOM_API_URL") == "https://api.zoom.us/v2"

    def test_missing(self, settings, monkeypatch):
        settings.WAGTAIL_WEBINARS = {}
        for name in conf.ZOOM_CREDENTIAL_SETTINGS:
            monkeypatch.delenv(name, raising=False)
        assert all(conf.get_setting(n) is None for n in conf.ZOOM_CREDENTIAL_SETTINGS)


class TestCampusTimeZone:
    def test_defaults_to_time_zone(self, settings):
        settings.WAGTAIL_WEBINARS = {}
        settings.TIME_ZONE = "America/Chicago"
        assert conf.campus_time_zone_name() == "America/Chicago"
        assert conf.campus_time_zone() == zoneinfo.ZoneInfo("America/Chicago")

    def test_own_setting_wins(self, settings):
        settings.WAGTAIL_WEBINARS = {"TIME_ZONE": "Europe/Berlin"}
        assert conf.campus_time_zone() == zoneinfo.ZoneInfo("Europe/Berlin")

    @pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd"])
    def test_unknown_zone_names_the_setting(self, settings, bad):
        settings.WAGTAIL_WEBINARS = {"TIME_ZONE": bad}
        with pytest.raises(ImproperlyConfigured) as err:
            conf.campus_time_zone()
        assert "WAGTAIL_WEBINARS['TIME_ZONE']" in str(err.value)


def test_from_email(settings):
    settings.DEFAULT_FROM_EMAIL = "site@example.edu"
    settings.WAGTAIL_WEBINARS = {}
    assert conf.from_email() == "site@example.edu"
    settings.WAGTAIL_WEBINARS = {"FROM_EMAIL": "events@example.edu"}
    assert conf.from_email() == "events@example.edu"


def test_an_empty_credential_in_settings_falls_back_to_the_environment(settings, monkeypatch):
    settings.WAGTAIL_WEBINARS = {"ZOOM_CLIENT_SECRET": None}
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", "from-env")
    assert conf.get_setting("ZOOM_CLIENT_SECRET") == "from-env"
