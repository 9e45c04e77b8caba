"""Zoom's error answers, read: what they mean and the sentence staff see for each.

:data:`MESSAGES` is one table: the first row whose test matches a failed call
gives the sentence (Zoom's own words are appended as ``%(detail)s``). The tests
on Zoom's answers (``registrant_not_found`` ...) are shared with the provider,
which decides from the same answers what to do next.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..base import BATCH_EVENT, BATCH_RETRY, BATCH_ROWS, BATCH_UNSUPPORTED
from ..errors import (
    MissingJoinLink,
    ProviderAPIError,
    ProviderAuthError,
    ProviderConfigurationError,
    RegistrantTaken,
    StatusChangesUsedUp,
)

#: Zoom's codes for "these credentials do not work" (bad account, app, secret, disabled app).
CREDENTIAL_CODES = frozenset({4702, 4704, 4705, 4706})


def code_of(error: ProviderAPIError) -> int | None:
    try:
        return int(error.code)
    except (TypeError, ValueError):
        return None


def zoom_message(error: ProviderAPIError) -> str:
    return (error.message or "").lower()


def registration_off(error: ProviderAPIError) -> bool:
    # "This webinar does not have registration as required", "Registration not
    # enabled for this webinar", "Registration has not been enabled …".
    message = zoom_message(error)
    return "registration" in message and ("required" in message or "enabled" in message)


def attendee_limit_reached(error: ProviderAPIError) -> bool:
    # "You have reached the limit for the number of attendees you can add."
    message = zoom_message(error)
    return "limit" in message and "attendee" in message


def registrant_not_found(error: ProviderAPIError) -> bool:
    # "Registrant {id} was not found." (status and delete calls)
    message = zoom_message(error)
    return "registrant" in message and "not found" in message


def is_daily_limit(error: ProviderAPIError) -> bool:
    kind = str(getattr(error, "rate_limit_type", "") or "").lower()
    return kind == "daily-limit" or "daily" in zoom_message(error)


def nothing_left_to_cancel(error: ProviderAPIError) -> bool:
    """A cancel answered with "meeting gone", "meeting over" or "no such registrant"."""
    code = code_of(error)
    if error.transient or isinstance(error, ProviderAuthError):
        return False
    return (
        code in (3001, 3038)
        or (error.status == 404 and code in (None, 300))
        or (code == 3000 and registrant_not_found(error))
    )


def _already_registered(error: ProviderAPIError) -> bool:
    message = zoom_message(error)
    return "already" in message and "regist" in message


ALREADY_REGISTERED = _(
    "Zoom already has this email address as a registrant from another registration "
    "(Zoom allows one registrant per email address). Cancel the other registration or "
    "use a different address. %(detail)s"
)

Test = Callable[[ProviderAPIError], bool]


def _code(*codes: int) -> Test:
    return lambda e: code_of(e) in codes


def _code_and(code: int, test: Test) -> Test:
    return lambda e: code_of(e) == code and test(e)


#: ``(test, sentence)``, first match wins. Sentences may use ``%(what)s`` ("meeting" or
#: "webinar"), ``%(id)s`` (the ID on the event page), ``%(detail)s`` (Zoom's words) and
#: ``%(problem)s`` (what went wrong on the way to Zoom).
MESSAGES: list[tuple[Test, str]] = [
    (
        lambda e: isinstance(e, StatusChangesUsedUp),
        _(
            "This registrant's status was changed in Zoom as often today as Zoom allows. "
            "It is changed again after midnight UTC."
        ),
    ),
    (
        _code(4700),
        _(
            "The Zoom app is missing a permission (scope) it needs. Add the scopes listed "
            "in the Zoom setup guide to the Server-to-Server OAuth app. %(detail)s"
        ),
    ),
    (
        lambda e: isinstance(e, ProviderAuthError) or code_of(e) in CREDENTIAL_CODES,
        _(
            "Zoom rejected this site's credentials. Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID "
            "and ZOOM_CLIENT_SECRET and that the Zoom app is activated, then use Retry. "
            "%(detail)s"
        ),
    ),
    (
        lambda e: e.transient and e.status == 429,
        _("Zoom asked us to slow down (rate limit). %(detail)s"),
    ),
    (
        lambda e: e.transient and e.status is None,
        _("Zoom could not be reached: %(problem)s."),
    ),
    # Our own sentence about an answer we could not use: said as it is.
    (lambda e: e.ours, _("%(problem)s.")),
    (lambda e: e.transient, _("Zoom had a temporary problem. %(detail)s")),
    (
        _code(3027),
        _(
            "The host of this Zoom %(what)s cannot also register as an attendee. Register "
            "with a different email address, or cancel this registration. %(detail)s"
        ),
    ),
    (_already_registered, ALREADY_REGISTERED),
    (
        _code_and(3000, attendee_limit_reached),
        _(
            "Zoom will not take more registrants: the Zoom account has reached its limit "
            "on the number of attendees that can be added. Contact Zoom Support, then "
            "use Retry. %(detail)s"
        ),
    ),
    (
        _code_and(3000, lambda e: "paid" in zoom_message(e)),
        _(
            "This Zoom %(what)s charges for registration, and Zoom does not let other "
            "sites register people for paid events. Turn paid registration off in Zoom, "
            "or take registrations in Zoom. %(detail)s"
        ),
    ),
    (
        _code_and(3000, registrant_not_found),
        _("Zoom no longer has this registrant for this %(what)s. %(detail)s"),
    ),
    (
        lambda e: (
            (e.status == 404 and code_of(e) == 404) or (code_of(e) == 3000 and registration_off(e))
        ),
        _(
            "Registration is not turned on for this Zoom %(what)s. In Zoom, set "
            "Registration to Required, then use Retry. %(detail)s"
        ),
    ),
    (
        _code_and(3000, lambda e: "cannot access" in zoom_message(e)),
        _(
            "Zoom could not open the %(what)s with ID %(id)s (is it a meeting ID on a "
            "webinar, or the other way round, or from another Zoom account?). Check the "
            "ID on the event page. %(detail)s"
        ),
    ),
    (
        lambda e: code_of(e) == 3001 or (e.status == 404 and code_of(e) in (None, 300)),
        _(
            "Zoom has no %(what)s with ID %(id)s (it may have been deleted or may have "
            "ended). Check the ID on the event page. %(detail)s"
        ),
    ),
    (_code(3043, 3035), _("This Zoom %(what)s is full. %(detail)s")),
    (
        _code(3038),
        _("This Zoom %(what)s is over, so Zoom takes no more registrants. %(detail)s"),
    ),
    (_code(3034, 3051), _("This Zoom %(what)s only accepts work email addresses. %(detail)s")),
    (
        _code(1001),
        _(
            "This Zoom %(what)s only admits people with a Zoom account, and this email "
            "address has none. %(detail)s"
        ),
    ),
    (
        lambda e: code_of(e) == 300 and e.status == 400,
        _("Zoom did not accept this person's details. %(detail)s"),
    ),
    (
        _code(200),
        _(
            "The Zoom host's plan does not allow registration (a licensed host, and for "
            "webinars the webinar add-on, is needed). %(detail)s"
        ),
    ),
]

REFUSED = _("Zoom refused the request. %(detail)s")


def zoom_detail(error: ProviderAPIError) -> str:
    """Zoom's own words (and the status and code), or ``""`` when it said nothing."""
    bits = []
    if error.status is not None:
        bits.append(f"HTTP {error.status}")
    if error.code is not None:
        bits.append(f"code {error.code}")
    suffix = f" ({', '.join(bits)})" if bits else ""
    if getattr(error, "ours", False) or not error.message:
        return gettext("(%(bits)s)") % {"bits": ", ".join(bits)} if bits else ""
    return gettext("Zoom said: “%(message)s”%(suffix)s.") % {
        "message": (error.message or "").rstrip("."),
        "suffix": suffix,
    }


def describe(error: Exception, *, what: str, meeting_id: str) -> str:
    """A sentence staff can act on for a failed call about the Zoom ``what`` (meeting or
    webinar) with ID ``meeting_id``."""
    if isinstance(error, RegistrantTaken):
        return (ALREADY_REGISTERED % {"detail": ""}).strip()
    if isinstance(error, ProviderConfigurationError):
        return gettext(
            "Zoom is not set up on this site: %(detail)s Ask the site administrator."
        ) % {"detail": str(error)}
    if isinstance(error, MissingJoinLink):
        return gettext(
            "Zoom has this registrant approved for the %(what)s but sent no personal join "
            "link. Check the registrant in Zoom, then use Retry."
        ) % {"what": what}
    if not isinstance(error, ProviderAPIError):
        return str(error)
    sentence = next((text for test, text in MESSAGES if test(error)), REFUSED)
    return sentence % {
        "what": what,
        "id": meeting_id,
        "detail": zoom_detail(error),
        "problem": (error.message or "").rstrip("."),
    }


def batch_scope(error: Exception) -> str:
    """What a failed batch add means for the registrations in it (one of
    ``BATCH_*`` in :mod:`.base`).

    ``BATCH_RETRY``: try the same batch later (Zoom down, per-second limit).
    ``BATCH_EVENT``: nobody can be added to this event until someone fixes it
    (credentials, scopes, meeting gone or over, registration off, plan).
    ``BATCH_UNSUPPORTED``: this meeting type takes no batches; add one by one.
    ``BATCH_ROWS``: anything else may be about one person in the batch (the
    host's address, a bad address, a registrant's daily add limit, a full
    meeting that still has room for some): add this batch one by one, so each
    gets its own answer.
    """
    if not isinstance(error, ProviderAPIError) or isinstance(error, ProviderAuthError):
        return BATCH_EVENT
    code = code_of(error)
    status = error.status
    if status == 429 and is_daily_limit(error):
        return BATCH_ROWS
    if error.transient:
        return BATCH_RETRY
    if status == 400 and (code == 303 or (code == 300 and "scheduled" in zoom_message(error))):
        # "This API can only be used for scheduled meeting(meeting type: 2)" (303),
        # "… for scheduled webinars (type 5)" (300 on webinars).
        return BATCH_UNSUPPORTED
    if (
        code in CREDENTIAL_CODES
        or code in (4700, 3001, 200, 3038, 3161, 3003, 1010)
        or (status == 404 and code in (None, 300, 404))
        or (code == 3000 and not attendee_limit_reached(error))
    ):
        # 3000 on a batch: registration off, paid registration, a webinar ID
        # Zoom cannot open; all about the event. The attendee limit is not: the
        # ones that still fit get in one by one.
        return BATCH_EVENT
    return BATCH_ROWS
