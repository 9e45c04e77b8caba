"""The log guard of tests/conftest.py (tests/log_guard.py) catches what it must, and only that."""

from __future__ import annotations

import logging

from tests.factories import RegistrationFactory

logger = logging.getLogger("wagtail_webinars.tests")


def caught(guard) -> list[str]:
    leaks = guard.leaks()
    guard.handler.records.clear()  # so this test itself passes
    return leaks


def test_a_registrants_email_at_info_is_caught(_no_secrets_or_emails_in_logs, make_event):
    guard = _no_secrets_or_emails_in_logs
    row = RegistrationFactory(page=make_event(), email="Leaky.Person@example.org")
    logger.info("sent to %s", row.email.lower())
    (leak,) = caught(guard)
    assert "a registrant's email" in leak
    assert "leaky.person" not in leak.lower()  # the report does not repeat it


def test_a_deleted_registrants_email_is_still_known(_no_secrets_or_emails_in_logs, make_event):
    guard = _no_secrets_or_emails_in_logs
    row = RegistrationFactory(page=make_event(), email="gone@example.org")
    row.delete()
    logger.warning("could not cancel gone@example.org")
    assert len(caught(guard)) == 1


def test_the_client_secret_and_fetched_tokens_are_caught(_no_secrets_or_emails_in_logs, zoom):
    from wagtail_webinars.providers.zoom.client import ZoomClient

    guard = _no_secrets_or_emails_in_logs
    zoom.token(access_token="fresh-token-from-zoom-42")
    zoom.on("GET", "/users/me", json={})
    ZoomClient().get("/users/me")
    logger.info("token fresh-token-from-zoom-42")
    logger.error("secret test-secret-value")
    assert [("a secret" in leak) for leak in caught(guard)] == [True, True]


def test_debug_records_and_unknown_addresses_pass(_no_secrets_or_emails_in_logs, make_event):
    guard = _no_secrets_or_emails_in_logs
    RegistrationFactory(page=make_event(), email="known@example.org")
    logger.debug("debug may say known@example.org")
    logger.info("the meeting's host is host@example.edu")
    assert caught(guard) == []
