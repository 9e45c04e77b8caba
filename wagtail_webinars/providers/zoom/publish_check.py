"""Before a managed Zoom event goes live: does Zoom have the ID, and as the block's kind?

Asked only when an editor publishes (a draft never calls Zoom). What Zoom *says* is
wrong stops the publish with an error on the ID field; anything that is not Zoom's
word about the ID (an outage, a 429, credentials or scopes the editor cannot fix)
lets the page go live, and the fill on publish warns about it.

Zoom's answers this reads (the 2023 OpenAPI description and ZOOM_API.md):

* ``GET /meetings/{id}`` with a webinar's ID: 400, code 3000 "Cannot access
  webinar info" (the meeting block's provider then tries the webinar path);
* ``GET /webinars/{id}`` with a meeting's ID: 404 like any unknown webinar, so the
  meeting path is asked once to tell "a meeting" from "nothing";
* an unknown or expired ID: 404 (code 3001, or none), or code 300 "Invalid ID".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from ..base import Metadata, PublishCheck
from ..errors import ProviderAPIError, ProviderAuthError, ProviderError
from .messages import CREDENTIAL_CODES, code_of, zoom_message

if TYPE_CHECKING:
    from .provider import ZoomProvider

WEBINAR_IN_MEETING_BLOCK = _("This ID is a Zoom webinar: use the Zoom webinar block.")
MEETING_IN_WEBINAR_BLOCK = _("This ID is a Zoom meeting: use the Zoom meeting block.")
NO_SUCH_MEETING = _(
    "Zoom has no meeting with this ID (it may have been deleted, may have ended, or may "
    "belong to another Zoom account). Check the ID in Zoom, or save a draft for now."
)
NO_SUCH_WEBINAR = _(
    "Zoom has no webinar with this ID (it may have been deleted, may have ended, or may "
    "belong to another Zoom account). Check the ID in Zoom, or save a draft for now."
)
#: Zoom's "scope missing" code: the site's problem, not the editor's.
MISSING_SCOPE = 4700


def check(provider: ZoomProvider) -> PublishCheck:
    """Read the meeting (or webinar) once; refuse only on Zoom's word about the ID."""
    try:
        metadata = provider.fetch_metadata()
    except ProviderAPIError as err:
        refusal = None if _not_about_the_id(err) else _refusal(provider, err)
        return PublishCheck(errors={"meeting_id": str(refusal)} if refusal else {}, error=err)
    except ProviderError as err:  # credentials not configured
        return PublishCheck(error=err)
    if provider.resource == "meetings" and provider.resource_path == "webinars":
        # Found only on the webinar path: reminders, reports and wording would all
        # speak of a meeting.
        return PublishCheck(errors={"meeting_id": str(WEBINAR_IN_MEETING_BLOCK)})
    return PublishCheck(errors=detail_errors(provider, metadata), metadata=metadata)


def detail_errors(provider: ZoomProvider, metadata: Metadata) -> dict[str, str]:
    """What in Zoom's details of an existing meeting stops the publish, by block field."""
    from .occurrences import publish_errors

    return publish_errors(provider, metadata)


def _not_about_the_id(err: ProviderAPIError) -> bool:
    code = code_of(err)
    return (
        err.transient
        or isinstance(err, ProviderAuthError)
        or code in CREDENTIAL_CODES
        or code == MISSING_SCOPE
    )


def is_unknown_id(err: ProviderAPIError) -> bool:
    return err.status == 404 or code_of(err) in (3001, 300)


def _refusal(provider: ZoomProvider, err: ProviderAPIError):
    if provider.resource == "meetings":
        if code_of(err) == 3000 and "webinar" in zoom_message(err):
            return WEBINAR_IN_MEETING_BLOCK
        return NO_SUCH_MEETING if is_unknown_id(err) else None
    if not is_unknown_id(err):
        return None
    return MEETING_IN_WEBINAR_BLOCK if _is_a_meeting(provider) else NO_SUCH_WEBINAR


def _is_a_meeting(provider: ZoomProvider) -> bool:
    """One more Light call, made only for a webinar ID Zoom does not know."""
    try:
        provider.client.get(f"/meetings/{provider.meeting_id}")
    except ProviderError:
        return False
    return True
