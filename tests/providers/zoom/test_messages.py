"""Zoom's error answers as sentences staff can act on (the provider's ``describe_error``)."""

from __future__ import annotations

import pytest

from tests.providers.zoom_fixtures import MEETING_ID, WEBINAR_ID
from wagtail_webinars.providers.errors import (
    ProviderAPIError,
    ProviderAuthError,
    ProviderConfigurationError,
    RegistrantTaken,
)
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider


def meeting(**kwargs):
    return ZoomMeetingProvider({"meeting_id": MEETING_ID}, **kwargs)


def webinar(**kwargs):
    return ZoomWebinarProvider({"meeting_id": WEBINAR_ID}, **kwargs)


@pytest.mark.parametrize(
    "provider,error,phrase",
    [
        (meeting, ProviderAPIError("Host cannot register", status=400, code=3027), "host"),
        (
            meeting,
            ProviderAPIError("Registration has not been enabled", status=404, code=404),
            "Registration is not turned on for this Zoom meeting",
        ),
        (
            webinar,
            ProviderAPIError("No registration required", status=400, code=3000),
            "Registration is not turned on for this Zoom webinar",
        ),
        (
            meeting,
            ProviderAPIError("Meeting does not exist: 1.", status=404, code=3001),
            f"Zoom has no meeting with ID {MEETING_ID}",
        ),
        (
            meeting,
            ProviderAuthError(
                "Invalid client_id or client_secret", status=401, code="invalid_client"
            ),
            "rejected this site's credentials",
        ),
        (
            meeting,
            ProviderAPIError("Invalid client_id or client_secret", status=400, code=4702),
            "rejected this site's credentials",
        ),
        (
            meeting,
            ProviderAPIError(
                "Invalid access token, does not contain scopes: [meeting:write:admin]",
                status=401,
                code=4700,
            ),
            "missing a permission (scope)",
        ),
        (
            meeting,
            ProviderAPIError("The registrant is already registered", status=400, code=3000),
            "already has this email address",
        ),
        (
            webinar,
            ProviderAPIError(
                "This webinar does not have registration as required: 91234567890.",
                status=400,
                code=3000,
            ),
            "Registration is not turned on for this Zoom webinar",
        ),
        (
            webinar,
            ProviderAPIError(
                "You have reached the limit for the number of attendees you can add. Contact "
                "Zoom Support for more information.",
                status=400,
                code=3000,
            ),
            "limit on the number of attendees",
        ),
        (
            webinar,
            ProviderAPIError(
                "The Zoom REST API does not support paid registration.", status=400, code=3000
            ),
            "charges for registration",
        ),
        (
            webinar,
            ProviderAPIError("Registrant abc was not found.", status=400, code=3000),
            "no longer has this registrant",
        ),
        (
            meeting,
            ProviderAPIError("Cannot access meeting info.", status=400, code=3000),
            "could not open the meeting with ID",
        ),
        (meeting, RegistrantTaken("reg1"), "already has this email address"),
        (meeting, ProviderAPIError("full", status=400, code=3043), "is full"),
        (meeting, ProviderAPIError("over", status=400, code=3038), "is over"),
        (meeting, ProviderConfigurationError("set ZOOM_CLIENT_ID."), "ZOOM_CLIENT_ID"),
        (
            meeting,
            ProviderAPIError("Zoom did not answer in time", transient=True),
            "could not be reached",
        ),
    ],
)
def test_describe_error(provider, error, phrase):
    text = provider().describe_error(error)
    assert phrase in text
