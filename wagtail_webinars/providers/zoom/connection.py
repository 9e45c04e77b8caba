"""Test the Zoom connection: sign in, read the account, compare the granted scopes with
what each feature needs.

Zoom's facts (ZOOM_API.md section 1, the 2023 OpenAPI description):

* the token answer carries ``scope``, one space-separated string, and ``api_url``,
  the account's regional API host without ``/v2``;
* Server-to-Server apps get either the classic scopes (``meeting:write:admin``) or
  the newer granular ones (``meeting:write:registrant:admin``); either kind allows
  the call, and Zoom may grant a broad granular scope (``webinar:write:webinar:admin``)
  instead of the registrant ones;
* ``GET /users/me`` names the account; it needs ``user:read:admin`` (granular
  ``user:read:user:admin``), which the events themselves do not, so without it the
  account is simply not shown.

The granular names for past instances are not confirmed by Zoom's documentation
(third-party lists give ``meeting:read:list_past_instances:admin``).
Secrets never leave this module: the report holds the account ID, the API URL and the
scope names, never the client secret or a token.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..base import ConnectionReport, FeatureAccess
from ..errors import ProviderAPIError, ProviderConfigurationError, ProviderError
from .client import ZoomClient, get_client
from .messages import code_of

#: ``(what stops working without it, the scopes that each allow it)``.
FEATURES: list[tuple[str, tuple[str, ...]]] = [
    (
        _("Read meetings (filled in on publish, occurrences)"),
        ("meeting:read:admin", "meeting:read:meeting:admin"),
    ),
    (
        _("Add registrants to meetings"),
        ("meeting:write:admin", "meeting:write:registrant:admin"),
    ),
    (
        _("Add registrants to meetings in batches (catching up)"),
        ("meeting:write:admin", "meeting:write:batch_registrants:admin"),
    ),
    (
        _("Cancel and re-approve meeting registrants"),
        ("meeting:write:admin", "meeting:update:registrant_status:admin"),
    ),
    (
        _("Look up meeting registrants (after a lost answer)"),
        ("meeting:read:admin", "meeting:read:list_registrants:admin"),
    ),
    (
        _("Read webinars"),
        ("webinar:read:admin", "webinar:read:webinar:admin"),
    ),
    (
        _("Add registrants to webinars"),
        ("webinar:write:admin", "webinar:write:registrant:admin", "webinar:write:webinar:admin"),
    ),
    (
        _("Add registrants to webinars in batches (catching up)"),
        (
            "webinar:write:admin",
            "webinar:write:batch_registrants:admin",
            "webinar:write:webinar:admin",
        ),
    ),
    (
        _("Cancel and re-approve webinar registrants"),
        (
            "webinar:write:admin",
            "webinar:update:registrant_status:admin",
            "webinar:write:webinar:admin",
        ),
    ),
    (
        _("Look up webinar registrants (after a lost answer)"),
        ("webinar:read:admin", "webinar:read:list_registrants:admin", "webinar:read:webinar:admin"),
    ),
    (
        _("List a meeting's past runs (check-in)"),
        ("meeting:read:admin", "meeting:read:list_past_instances:admin"),
    ),
    (
        _("Check in from meeting participant reports"),
        ("report:read:admin", "report:read:list_meeting_participants:admin"),
    ),
    (
        _("Check in from webinar participant reports"),
        ("report:read:admin", "report:read:list_webinar_participants:admin"),
    ),
]
#: Only for showing the account on the connection screen.
ACCOUNT_SCOPES = ("user:read:admin", "user:read:user:admin")


def features_for(granted: set[str]) -> list[FeatureAccess]:
    return [
        FeatureAccess(label=str(label), needs=needs, allowed=any(s in granted for s in needs))
        for label, needs in FEATURES
    ]


def test_connection(client: ZoomClient | None = None) -> ConnectionReport:
    report = ConnectionReport()
    try:
        client = client or get_client()
        details = client.sign_in()
    except ProviderConfigurationError as err:
        report.problem = str(err)
        return report
    except ProviderError as err:
        report.problem = _sign_in_problem(err)
        return report
    granted = sorted(set(str(details.get("scope") or "").split()))
    report.granted = granted
    report.api_url = details["api_base"]
    report.features = features_for(set(granted))
    report.connected = True
    report.account = [(gettext("Account ID"), client.credentials.account_id)]
    try:
        me = client.get("/users/me") or {}
    except ProviderAPIError as err:
        if code_of(err) == 4700 or err.status in (400, 401, 403):
            report.account.append(
                (
                    gettext("Account details"),
                    gettext(
                        "not shown: the app may not read users (%(scopes)s); the events "
                        "do not need it."
                    )
                    % {"scopes": " or ".join(ACCOUNT_SCOPES)},
                )
            )
        else:
            report.account.append((gettext("Account details"), _sign_in_problem(err)))
        return report
    for label, key in (
        (gettext("Account number"), "account_number"),
        (gettext("Signed in as"), "email"),
        (gettext("Role"), "role_name"),
    ):
        if me.get(key):
            report.account.append((label, str(me[key])))
    return report


def _sign_in_problem(err: ProviderError) -> str:
    from .messages import describe

    return describe(err, what=gettext("meeting"), meeting_id="")
