"""System checks: configuration problems named by setting, never by value."""

from __future__ import annotations

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Error, Warning, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from wagtail_webinars import checks
from wagtail_webinars.conf import ZOOM_CREDENTIAL_SETTINGS
from wagtail_webinars.providers.base import Provider

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


def default_cache(backend: str):
    # override_settings, not the settings fixture: the cache is back to the test
    # settings' before conftest clears it after the test.
    return override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": "somewhere"}})


def test_complete_configuration_passes(settings):
    settings.WAGTAIL_WEBINARS = {**CREDENTIALS, "TIME_ZONE": "America/New_York"}
    with default_cache("django.core.cache.backends.db.DatabaseCache"):
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


# -- reminder claims outlive the task ------------------------------------------------------------


@pytest.mark.parametrize(("claim_timeout", "task_timeout"), [(300, 300), (300, 600), (45, 60)])
def test_claim_timeout_not_longer_than_the_task_timeout(settings, claim_timeout, task_timeout):
    settings.WAGTAIL_WEBINARS = {**CREDENTIALS, "REMINDER_CLAIM_TIMEOUT_SECONDS": claim_timeout}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": task_timeout}
    [message] = checks.check_reminder_claim_timeout()
    assert isinstance(message, Warning)
    assert message.id == "wagtail_webinars.W002"
    assert "WAGTAIL_WEBINARS['REMINDER_CLAIM_TIMEOUT_SECONDS']" in message.msg
    assert "Q_CLUSTER['timeout']" in message.msg
    assert f"({claim_timeout} s)" in message.msg and f"({task_timeout} s)" in message.msg
    assert message.id in {m.id for m in run_checks()}


@pytest.mark.parametrize("q_cluster", [{"timeout": 60}, {"timeout": None}, {}])
def test_claim_timeout_longer_than_the_task_timeout_passes(settings, q_cluster):
    settings.WAGTAIL_WEBINARS = {**CREDENTIALS, "REMINDER_CLAIM_TIMEOUT_SECONDS": 300}
    settings.Q_CLUSTER = {"name": "site", "orm": "default", **q_cluster}
    assert checks.check_reminder_claim_timeout() == []


def test_no_q_cluster_setting_passes(settings):
    del settings.Q_CLUSTER
    assert checks.check_reminder_claim_timeout() == []


# -- the cache must be shared by web and worker processes ------------------------------------------


class OurLocMem(LocMemCache):
    """A site's own subclass is still per process."""


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "tests.test_checks.OurLocMem",
    ],
)
def test_per_process_cache_with_zoom_credentials_is_a_warning(settings, backend):
    settings.WAGTAIL_WEBINARS = CREDENTIALS
    with default_cache(backend):
        [message] = checks.check_shared_cache()
        ids = {m.id for m in run_checks()}
    assert isinstance(message, Warning)
    assert message.id == "wagtail_webinars.W003"
    assert backend.rsplit(".", 1)[1] in message.msg
    assert "CACHES['default']" in message.msg
    for value in CREDENTIALS.values():
        assert value not in text_of(message)
    assert message.id in ids


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    ],
)
def test_shared_cache_passes(settings, backend):
    settings.WAGTAIL_WEBINARS = CREDENTIALS
    with default_cache(backend):
        assert checks.check_shared_cache() == []


def test_per_process_cache_without_zoom_is_fine(settings):
    # Link-only providers never call Zoom: no token, no sync lock.
    settings.WAGTAIL_WEBINARS = {}
    with default_cache("django.core.cache.backends.locmem.LocMemCache"):
        assert checks.check_shared_cache() == []


def test_unimportable_cache_backend_is_left_to_django(settings):
    settings.WAGTAIL_WEBINARS = CREDENTIALS
    with default_cache("no.such.CacheBackend"):
        assert checks.check_shared_cache() == []


def test_test_settings_silence_only_the_cache_warning(settings, capsys):
    """The suite runs web, worker and live server in one process (tasks run inline),
    so its local-memory cache is shared by all of them; the test settings silence
    W003 and nothing else, and ``check`` stays warning-free."""
    assert settings.SILENCED_SYSTEM_CHECKS == ["wagtail_webinars.W003"]
    assert "LocMemCache" in settings.CACHES["default"]["BACKEND"]
    assert "wagtail_webinars.W003" in {m.id for m in run_checks()}
    call_command("check", fail_level="WARNING")
    assert "W003" not in capsys.readouterr().err


class _NotAProvider:
    pass


def _provider_messages(settings, providers):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "PROVIDERS": providers}
    return [(m.id, m.msg) for m in checks.check_providers()]


def test_registered_providers_are_fine(settings):
    assert _provider_messages(settings, {}) == []
    ok = {"google_meet": "tests.host_site.providers.GoogleMeetProvider"}
    assert _provider_messages(settings, ok) == []


def test_a_provider_that_cannot_be_imported_is_an_error(settings):
    messages = _provider_messages(settings, {"meet": "mysite.nowhere.MeetProvider"})
    assert [m[0] for m in messages] == ["wagtail_webinars.E010"]
    assert "'meet'" in messages[0][1] and "mysite.nowhere.MeetProvider" in messages[0][1]


def test_a_class_that_is_not_a_provider_is_an_error(settings):
    messages = _provider_messages(settings, {"meet": f"{__name__}._NotAProvider"})
    assert [m[0] for m in messages] == ["wagtail_webinars.E010"]
    assert "is not a Provider subclass" in messages[0][1]


class _NoBlock(Provider):
    kind = "meet"


def test_a_provider_without_a_block_or_under_another_name(settings):
    messages = _provider_messages(
        settings,
        {
            "meet": f"{__name__}._NoBlock",
            "other_name": "tests.host_site.providers.GoogleMeetProvider",
        },
    )
    assert [m[0] for m in messages] == ["wagtail_webinars.E011", "wagtail_webinars.W010"]


def test_every_event_page_model_has_its_registration_questions():
    # Ours (EventPage), the host's AbstractEventPage and EventPage subclasses: all fine.
    assert not [m for m in checks.check_registration_questions() if m.id.endswith("E020")]


def test_an_event_page_without_registration_questions_is_named(monkeypatch):
    from wagtail_webinars import models as webinar_models

    class Broken:
        _meta = type("Meta", (), {"label": "campus.BrokenEvent", "get_fields": lambda: []})

    real = webinar_models.event_page_models()
    monkeypatch.setattr(checks, "event_page_models", lambda: [*real, Broken])
    errors = [m for m in checks.check_registration_questions() if m.id.endswith("E020")]
    assert len(errors) == 1
    assert "campus.BrokenEvent" in errors[0].msg
    assert "AbstractRegistrationFormField" in errors[0].hint
