"""Managed Zoom meetings and webinars (Server-to-Server OAuth).

The API operations live here; the HTTP plumbing (token, session, retries,
paging) is in :mod:`wagtail_webinars.providers.zoom_client`. What we do with
Zoom: read the meeting or webinar, add registrants, cancel and re-approve
them, read the participant report. What we never do: create, change or delete
meetings, webinars or users.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    AUTO,
    BATCH_EVENT,
    BATCH_RETRY,
    BATCH_ROWS,
    BATCH_UNSUPPORTED,
    CHECKIN_PROVIDER_REPORT,
    REQUIRED,
    JoinInfo,
    Metadata,
    Participant,
    Provider,
    RegistrantRecord,
)
from .errors import (
    ProviderAPIError,
    ProviderAuthError,
    ProviderConfigurationError,
    RegistrantTaken,
)

if TYPE_CHECKING:
    from wagtail_webinars.models import Registration

    from .zoom_client import ZoomClient

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Zoom's limit for one batch-registration call (and for one status update).
BATCH_SIZE = 30
#: Zoom's field limits for registrants.
FIRST_NAME_MAX = 64
LAST_NAME_MAX = 64
EMAIL_MAX = 128

#: Zoom's registrant list has no "cancelled" status: a cancelled registrant is
#: listed as "denied". Ours says "cancelled", the word staff use.
ZOOM_STATUS_TO_OURS = {"approved": "approved", "pending": "pending", "denied": "cancelled"}

#: Meeting and webinar types with a fixed start time (the others have none to compare).
FIXED_TIME_TYPES = {2, 5, 8, 9}
#: Start times closer than this count as the same (Zoom rounds to the minute).
START_TOLERANCE = timedelta(minutes=1)

CREDENTIAL_CODES = {4702, 4704, 4705, 4706}


def parse_zoom_time(value: str | None) -> datetime | None:
    """Zoom's times are UTC ISO-8601 (``2022-03-25T07:29:29Z``)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ZoomProvider(Provider):
    requires_api_keys = True
    can_push_registrants = True
    can_pull_participants = True
    checkin_method = CHECKIN_PROVIDER_REPORT
    field_rules = {"meeting_id": REQUIRED, "join_url": AUTO, "password": AUTO}
    #: Registrants per batch-registration call (Zoom's limit).
    batch_size = BATCH_SIZE
    #: "meetings" or "webinars": the path segment of Zoom's API.
    resource = "meetings"
    #: Whether a meeting-path 400/3000 ("Cannot access webinar info") may be retried
    #: on the webinar path. Only the meeting block allows it: editors often cannot
    #: tell a webinar ID from a meeting ID, while on the webinar path 400/3000
    #: means "registration not enabled" and must not be second-guessed.
    allows_webinar_fallback = False

    def __init__(self, location=None, event=None, *, client: ZoomClient | None = None):
        super().__init__(location, event)
        self._client = client
        #: Set when a call found the ID on the other path (see ``allows_webinar_fallback``).
        self.resolved_resource: str | None = None

    def join_info(self, registration: Registration | None = None) -> JoinInfo:
        # A personal join URL (stored by the registrant push) lets Zoom match the
        # participant to the registrant; prefer it over the shared meeting link.
        info = super().join_info(registration)
        personal = getattr(registration, "provider_join_url", "") if registration else ""
        held_for = getattr(registration, "provider_meeting_id", "") if registration else ""
        if held_for and held_for != self.external_id:
            # A personal link into the meeting this event used to point at.
            personal = ""
        return JoinInfo(url=personal or info.url, password=info.password)

    # -- plumbing --------------------------------------------------------------------
    @property
    def client(self) -> ZoomClient:
        if self._client is None:
            from .zoom_client import get_client

            self._client = get_client()
        return self._client

    @property
    def meeting_id(self) -> str:
        digits = self.external_id
        if not digits.isdigit():
            raise ProviderConfigurationError(
                gettext("This event has no Zoom meeting or webinar ID.")
            )
        return digits

    @property
    def _pinned_resource(self) -> str | None:
        """The path a metadata refresh found for this very ID, if any (meeting block only)."""
        if not self.allows_webinar_fallback:
            return None
        config = getattr(self.event, "provider_config", None) or {}
        if str(config.get("id") or "") == self.external_id and config.get("resource"):
            return config["resource"]
        return None

    @property
    def resource_path(self) -> str:
        return self.resolved_resource or self._pinned_resource or self.resource

    def _path(self, suffix: str = "", resource: str | None = None) -> str:
        return f"/{resource or self.resource_path}/{self.meeting_id}{suffix}"

    def _call(
        self,
        method: str,
        suffix: str = "",
        *,
        params: dict | None = None,
        body=None,
    ) -> Any:
        """One API call on this meeting; ``body`` may be a function of the resource."""

        def send(res: str):
            json = body(res) if callable(body) else body
            return self.client.request(method, self._path(suffix, res), params=params, json=json)

        return self._with_fallback(send)

    def _paginate(
        self, path_for: Callable[[str], str], items_key: str, params: dict | None = None
    ) -> Iterator[dict]:
        """Every item of a paged list about this meeting, with the same webinar fallback
        as :meth:`_call` (decided on the first page)."""
        done = object()

        def first_page(res: str):
            items = self.client.paginate(path_for(res), items_key, params)
            return items, next(items, done)  # the first request happens here

        items, first = self._with_fallback(first_page)
        if first is done:
            return
        yield first
        yield from items

    def _with_fallback(self, attempt: Callable[[str], T]) -> T:
        """``attempt(resource)`` on this block's path, then once on the webinar path when
        Zoom's answer says the ID is a webinar's (see ``allows_webinar_fallback``)."""
        resource = self.resource_path
        try:
            return attempt(resource)
        except ProviderAPIError as err:
            if not self._may_fall_back(err, resource):
                raise
            try:
                result = attempt("webinars")
            except ProviderAPIError as second:
                if second.status == 404 or second.code == 3001:
                    # Not a webinar either: the meeting path's answer was the real one.
                    raise err from second
                raise
            self.resolved_resource = "webinars"
            return result

    def _may_fall_back(self, err: ProviderAPIError, resource: str) -> bool:
        return (
            self.allows_webinar_fallback
            and resource == "meetings"
            and self._pinned_resource != "meetings"
            and err.status == 400
            and err.code == 3000
            # The same code says "Registrant … was not found" on the meeting path:
            # that answer is about the registrant, not about which path is right.
            and not _registrant_not_found(err)
        )

    # -- metadata ----------------------------------------------------------------------
    def fetch_metadata(self) -> Metadata:
        data = self._call("GET") or {}
        settings = data.get("settings") or {}
        approval_type = settings.get("approval_type", 2)
        start = parse_zoom_time(data.get("start_time"))
        occurrences = [
            o.get("start_time") for o in data.get("occurrences") or [] if o.get("start_time")
        ]
        config = {
            "resource": self.resource_path,
            "id": str(data.get("id") or self.meeting_id),
            "type": data.get("type"),
            "topic": data.get("topic") or "",
            "start_time": data.get("start_time") or "",
            "timezone": data.get("timezone") or "",
            "duration": data.get("duration"),
            "approval_type": approval_type,
            "registration_type": settings.get("registration_type"),
            "registrants_confirmation_email": settings.get("registrants_confirmation_email"),
            "occurrences": occurrences,
        }
        return Metadata(
            join_url=data.get("join_url") or "",
            password=data.get("password") or "",
            topic=data.get("topic") or "",
            start_time=start,
            time_zone=data.get("timezone") or "",
            duration_minutes=data.get("duration"),
            registration_required=approval_type in (0, 1),
            config=config,
        )

    def metadata_warnings(self, metadata: Metadata) -> list[str]:
        warnings = []
        what = self._what()
        if not metadata.registration_required:
            warnings.append(
                gettext(
                    "Registration is not required for this %(what)s in Zoom, so registrants "
                    "cannot be added to it. In Zoom, set Registration to Required, then "
                    "publish again."
                )
                % {"what": what}
            )
        elif metadata.config.get("approval_type") == 1 and self.resource_path == "webinars":
            warnings.append(
                gettext(
                    "This webinar approves registrants manually in Zoom: people we add wait "
                    "for approval there. Set approval to Automatic in Zoom."
                )
            )
        if metadata.config.get("registrants_confirmation_email"):
            warnings.append(
                gettext(
                    "Zoom also sends its own confirmation emails for this %(what)s. Turn them "
                    "off in Zoom so registrants are not mailed twice."
                )
                % {"what": what}
            )
        start_warning = self._start_warning(metadata)
        if start_warning:
            warnings.append(start_warning)
        return warnings

    def _start_warning(self, metadata: Metadata) -> str | None:
        """Zoom's start differs from the page's (reminders and calendars follow the page)."""
        from wagtail_webinars.templatetags.webinars import campus_datetime

        page_start = getattr(self.event, "start", None)
        if metadata.start_time is None or page_start is None:
            return None
        if metadata.config.get("type") not in FIXED_TIME_TYPES:
            return None
        # A recurring meeting matches when any of its occurrences does.
        candidates = [metadata.start_time]
        candidates += [
            t for t in (parse_zoom_time(s) for s in metadata.config.get("occurrences") or []) if t
        ]
        if any(abs(c - page_start) < START_TOLERANCE for c in candidates):
            return None
        return gettext(
            "Zoom says this starts %(zoom)s, but this page says %(page)s. Change one so they "
            "match: reminders and calendars follow the page."
        ) % {"zoom": campus_datetime(metadata.start_time), "page": campus_datetime(page_start)}

    def _what(self) -> str:
        return gettext("webinar") if self.resource_path == "webinars" else gettext("meeting")

    # -- registrants -------------------------------------------------------------------
    def _registrant_body(self, registration: Registration, resource: str) -> dict:
        body = {
            "email": registration.email,
            "first_name": (registration.first_name or registration.email)[:FIRST_NAME_MAX],
            "last_name": (registration.last_name or "")[:LAST_NAME_MAX],
        }
        if resource == "meetings":
            # Approve people we add even where the meeting asks for manual approval;
            # webinars have no such switch on this endpoint.
            body["auto_approve"] = True
        return body

    def push_registrant(self, registration: Registration) -> RegistrantRecord:
        if len(registration.email) > EMAIL_MAX:
            raise ProviderAPIError(
                gettext("Zoom accepts email addresses of at most %(max)d characters")
                % {"max": EMAIL_MAX},
                status=400,
                code=300,
            )
        data = (
            self._call(
                "POST",
                "/registrants",
                body=lambda res: self._registrant_body(registration, res),
            )
            or {}
        )
        if not data.get("registrant_id"):
            raise ProviderAPIError(gettext("Zoom's answer has no registrant ID"), transient=True)
        return RegistrantRecord(
            registrant_id=str(data["registrant_id"]),
            email=registration.email,
            join_url=data.get("join_url") or "",
            status="approved",
        )

    def find_registrant(self, email: str) -> RegistrantRecord | None:
        """Look a registrant up by email (listing is the only way Zoom offers).

        Approved first: after an add whose answer we never saw, that is where they are.
        """
        wanted = email.strip().lower()
        for record in self.registrants():
            if record.email.strip().lower() == wanted:
                return record
        return None

    def registrants(self) -> Iterator[RegistrantRecord]:
        """Every registrant of the meeting, approved first, then pending, then cancelled
        (Zoom lists one status per request; Medium rate label, pages of 300)."""
        for status in ("approved", "pending", "denied"):
            for item in self._paginate(
                lambda res: self._path("/registrants", res), "registrants", {"status": status}
            ):
                yield RegistrantRecord(
                    registrant_id=str(item.get("id") or ""),
                    email=str(item.get("email") or ""),
                    join_url=item.get("join_url") or "",
                    status=ZOOM_STATUS_TO_OURS.get(item.get("status") or status, status),
                )

    def _set_status(self, registration: Registration, action: str) -> None:
        if not registration.provider_registrant_id:
            raise ValueError("This registration has no Zoom registrant ID yet.")
        self._call(
            "PUT",
            "/registrants/status",
            body={
                "action": action,
                "registrants": [
                    {"id": registration.provider_registrant_id, "email": registration.email}
                ],
            },
        )

    def cancel_registrant(self, registration: Registration) -> None:
        try:
            self._set_status(registration, "cancel")
        except ProviderAPIError as err:
            if not _nothing_left_to_cancel(err):
                raise
            # The meeting is gone or over, or Zoom no longer has the registrant: the
            # cancellation has nothing left to do, which is what was asked.
            logger.info(
                "zoom cancel on %s: nothing left to cancel (HTTP %s, code %s)",
                self.meeting_id,
                err.status,
                err.code,
            )

    def approve_registrant(self, registration: Registration) -> None:
        # Re-registration: the SAME Zoom registrant is approved again. Adding
        # them anew would burn one of Zoom's ~3 daily adds per registrant.
        self._set_status(registration, "approve")

    def batch_push(self, registrations: Iterable[Registration]) -> list[RegistrantRecord]:
        """Add registrants in Zoom's batches of at most 30 (one Heavy call per batch)."""
        rows = list(registrations)
        records: list[RegistrantRecord] = []
        for start in range(0, len(rows), BATCH_SIZE):
            chunk = rows[start : start + BATCH_SIZE]

            def body(res: str, chunk=chunk) -> dict:
                payload: dict[str, Any] = {
                    "auto_approve": True,
                    "registrants": [
                        {
                            "email": r.email,
                            "first_name": (r.first_name or r.email)[:FIRST_NAME_MAX],
                            "last_name": (r.last_name or "")[:LAST_NAME_MAX],
                        }
                        for r in chunk
                    ],
                }
                if res == "meetings":
                    # Our own confirmation goes out; Zoom's would duplicate it.
                    # (Webinars do not document this switch.)
                    payload["registrants_confirmation_email"] = False
                return payload

            data = self._call("POST", "/batch_registrants", body=body) or {}
            for item in data.get("registrants") or []:
                if item.get("registrant_id"):
                    records.append(
                        RegistrantRecord(
                            registrant_id=str(item["registrant_id"]),
                            email=str(item.get("email") or ""),
                            join_url=item.get("join_url") or "",
                            status="approved",
                        )
                    )
        return records

    # -- participants ----------------------------------------------------------------
    def pull_participants(self) -> Iterator[Participant]:
        """The participant report (Heavy; paged by 300), one row per join."""
        for item in self._paginate(
            lambda res: f"/report/{res}/{self.meeting_id}/participants",
            "participants",
            {"include_fields": "registrant_id"},
        ):
            try:
                duration = int(item.get("duration") or 0)
            except (TypeError, ValueError):
                duration = 0
            yield Participant(
                name=item.get("name") or "",
                email=(item.get("user_email") or "").strip().lower(),
                join_time=parse_zoom_time(item.get("join_time")),
                leave_time=parse_zoom_time(item.get("leave_time")),
                duration_seconds=duration,
                registrant_id=item.get("registrant_id") or "",
            )

    # -- words for staff ---------------------------------------------------------------
    def describe_error(self, error: Exception) -> str:
        """Zoom's error codes as sentences staff can act on (Zoom's own words appended)."""
        what = self._what()
        if isinstance(error, RegistrantTaken):
            return _already_registered_message("").strip()
        if isinstance(error, ProviderConfigurationError):
            return gettext(
                "Zoom is not set up on this site: %(detail)s Ask the site administrator."
            ) % {"detail": str(error)}
        if not isinstance(error, ProviderAPIError):
            return str(error)
        code = _int_or_none(error.code)
        status = error.status
        detail = _zoom_detail(error)
        message = (error.message or "").lower()
        if code == 4700:
            return gettext(
                "The Zoom app is missing a permission (scope) it needs. Add the scopes listed "
                "in the Zoom setup guide to the Server-to-Server OAuth app. %(detail)s"
            ) % {"detail": detail}
        if isinstance(error, ProviderAuthError) or code in CREDENTIAL_CODES:
            return gettext(
                "Zoom rejected this site's credentials. Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID "
                "and ZOOM_CLIENT_SECRET and that the Zoom app is activated, then use Retry. "
                "%(detail)s"
            ) % {"detail": detail}
        if error.transient:
            if status == 429:
                return gettext("Zoom asked us to slow down (rate limit). %(detail)s") % {
                    "detail": detail
                }
            if status is None:
                return gettext("Zoom could not be reached: %(problem)s.") % {
                    "problem": error.message
                }
            return gettext("Zoom had a temporary problem. %(detail)s") % {"detail": detail}
        if code == 3027:
            return gettext(
                "The host of this Zoom %(what)s cannot also register as an attendee. Register "
                "with a different email address, or cancel this registration. %(detail)s"
            ) % {"what": what, "detail": detail}
        if "already" in message and "regist" in message:
            return _already_registered_message(detail)
        if code == 3000 and _attendee_limit_reached(error):
            return gettext(
                "Zoom will not take more registrants: the Zoom account has reached its limit "
                "on the number of attendees that can be added. Contact Zoom Support, then "
                "use Retry. %(detail)s"
            ) % {"detail": detail}
        if code == 3000 and "paid" in message:
            return gettext(
                "This Zoom %(what)s charges for registration, and Zoom does not let other "
                "sites register people for paid events. Turn paid registration off in Zoom, "
                "or take registrations in Zoom. %(detail)s"
            ) % {"what": what, "detail": detail}
        if code == 3000 and _registrant_not_found(error):
            return gettext("Zoom no longer has this registrant for this %(what)s. %(detail)s") % {
                "what": what,
                "detail": detail,
            }
        if (status == 404 and code == 404) or (code == 3000 and _registration_off(error)):
            return gettext(
                "Registration is not turned on for this Zoom %(what)s. In Zoom, set "
                "Registration to Required, then use Retry. %(detail)s"
            ) % {"what": what, "detail": detail}
        if code == 3000 and "cannot access" in message:
            return gettext(
                "Zoom could not open the %(what)s with ID %(id)s (is it a meeting ID on a "
                "webinar, or the other way round, or from another Zoom account?). Check the "
                "ID on the event page. %(detail)s"
            ) % {"what": what, "id": self.external_id, "detail": detail}
        if code == 3001 or (status == 404 and code in (None, 300)):
            return gettext(
                "Zoom has no %(what)s with ID %(id)s (it may have been deleted or may have "
                "ended). Check the ID on the event page. %(detail)s"
            ) % {"what": what, "id": self.external_id, "detail": detail}
        if code in (3043, 3035):
            return gettext("This Zoom %(what)s is full. %(detail)s") % {
                "what": what,
                "detail": detail,
            }
        if code == 3038:
            return gettext(
                "This Zoom %(what)s is over, so Zoom takes no more registrants. %(detail)s"
            ) % {"what": what, "detail": detail}
        if code in (3034, 3051):
            return gettext("This Zoom %(what)s only accepts work email addresses. %(detail)s") % {
                "what": what,
                "detail": detail,
            }
        if code == 1001:
            return gettext(
                "This Zoom %(what)s only admits people with a Zoom account, and this email "
                "address has none. %(detail)s"
            ) % {"what": what, "detail": detail}
        if code == 300 and status == 400:
            return gettext("Zoom did not accept this person's details. %(detail)s") % {
                "detail": detail
            }
        if code == 200:
            return gettext(
                "The Zoom host's plan does not allow registration (a licensed host, and for "
                "webinars the webinar add-on, is needed). %(detail)s"
            ) % {"detail": detail}
        return gettext("Zoom refused the request. %(detail)s") % {"detail": detail}

    def batch_error_scope(self, error: Exception) -> str:
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
        code = _int_or_none(error.code)
        status = error.status
        if status == 429 and _is_daily_limit(error):
            return BATCH_ROWS
        if error.transient:
            return BATCH_RETRY
        if status == 400 and (code == 303 or (code == 300 and "scheduled" in _zoom_message(error))):
            # "This API can only be used for scheduled meeting(meeting type: 2)" (303),
            # "… for scheduled webinars (type 5)" (300 on webinars).
            return BATCH_UNSUPPORTED
        if (
            code in CREDENTIAL_CODES
            or code in (4700, 3001, 200, 3038, 3161, 3003, 1010)
            or (status == 404 and code in (None, 300, 404))
            or (code == 3000 and not _attendee_limit_reached(error))
        ):
            # 3000 on a batch: registration off, paid registration, a webinar ID
            # Zoom cannot open; all about the event. The attendee limit is not: the
            # ones that still fit get in one by one.
            return BATCH_EVENT
        return BATCH_ROWS


def _zoom_message(error: ProviderAPIError) -> str:
    return (error.message or "").lower()


def _registration_off(error: ProviderAPIError) -> bool:
    # "This webinar does not have registration as required", "Registration not
    # enabled for this webinar", "Registration has not been enabled …".
    message = _zoom_message(error)
    return "registration" in message and ("required" in message or "enabled" in message)


def _attendee_limit_reached(error: ProviderAPIError) -> bool:
    # "You have reached the limit for the number of attendees you can add."
    message = _zoom_message(error)
    return "limit" in message and "attendee" in message


def _registrant_not_found(error: ProviderAPIError) -> bool:
    # "Registrant {id} was not found." (status and delete calls)
    message = _zoom_message(error)
    return "registrant" in message and "not found" in message


def _is_daily_limit(error: ProviderAPIError) -> bool:
    kind = str(getattr(error, "rate_limit_type", "") or "").lower()
    return kind == "daily-limit" or "daily" in _zoom_message(error)


def _nothing_left_to_cancel(error: ProviderAPIError) -> bool:
    """A cancel answered with "meeting gone", "meeting over" or "no such registrant"."""
    code = _int_or_none(error.code)
    if error.transient or isinstance(error, ProviderAuthError):
        return False
    return (
        code in (3001, 3038)
        or (error.status == 404 and code in (None, 300))
        or (code == 3000 and _registrant_not_found(error))
    )


def _already_registered_message(detail: str) -> str:
    return gettext(
        "Zoom already has this email address as a registrant from another registration "
        "(Zoom allows one registrant per email address). Cancel the other registration or "
        "use a different address. %(detail)s"
    ) % {"detail": detail}


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _zoom_detail(error: ProviderAPIError) -> str:
    bits = []
    if error.status is not None:
        bits.append(f"HTTP {error.status}")
    if error.code is not None:
        bits.append(f"code {error.code}")
    suffix = f" ({', '.join(bits)})" if bits else ""
    return gettext("Zoom said: “%(message)s”%(suffix)s.") % {
        "message": (error.message or "").rstrip("."),
        "suffix": suffix,
    }


class ZoomMeetingProvider(ZoomProvider):
    kind = "zoom_meeting"
    label = _("Zoom meeting (managed)")
    resource = "meetings"
    allows_webinar_fallback = True


class ZoomWebinarProvider(ZoomProvider):
    kind = "zoom_webinar"
    label = _("Zoom webinar (managed)")
    resource = "webinars"
