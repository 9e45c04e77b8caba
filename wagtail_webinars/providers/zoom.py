"""Managed Zoom meetings and webinars (Server-to-Server OAuth).

The API operations live here; the HTTP plumbing (token, session, retries,
paging) is in :mod:`wagtail_webinars.providers.zoom_client`. What we do with
Zoom: read the meeting or webinar, add registrants, cancel and re-approve
them, read the participant report. What we never do: create, change or delete
meetings, webinars or users.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    AUTO,
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
)

if TYPE_CHECKING:
    from wagtail_webinars.models import Registration

    from .zoom_client import ZoomClient

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
        resource = self.resource_path

        def send(res: str):
            json = body(res) if callable(body) else body
            return self.client.request(method, self._path(suffix, res), params=params, json=json)

        try:
            return send(resource)
        except ProviderAPIError as err:
            if not self._may_fall_back(err, resource):
                raise
            try:
                result = send("webinars")
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
        return warnings

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
        for status in ("approved", "pending", "denied"):
            for item in self.client.paginate(
                self._path("/registrants"), "registrants", {"status": status}
            ):
                if str(item.get("email") or "").strip().lower() == wanted:
                    return RegistrantRecord(
                        registrant_id=str(item.get("id") or ""),
                        email=item.get("email") or email,
                        join_url=item.get("join_url") or "",
                        status=ZOOM_STATUS_TO_OURS.get(item.get("status") or status, status),
                    )
        return None

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
        self._set_status(registration, "cancel")

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
        path = f"/report/{self.resource_path}/{self.meeting_id}/participants"
        for item in self.client.paginate(path, "participants", {"include_fields": "registrant_id"}):
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
        if (status == 404 and code == 404) or (
            status == 400 and code == 3000 and self.resource_path == "webinars"
        ):
            return gettext(
                "Registration is not turned on for this Zoom %(what)s. In Zoom, set "
                "Registration to Required, then use Retry. %(detail)s"
            ) % {"what": what, "detail": detail}
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


def _already_registered_message(detail: str) -> str:
    return gettext(
        "Zoom already has this email address as a registrant from another registration "
        "(Zoom allows one registrant per email address). Cancel the other registration or "
        "use a different address. %(detail)s"
    ) % {"detail": detail}


def already_registered_reason() -> str:
    """For sync: Zoom answered an add with a registrant another registration holds."""
    return _already_registered_message("").strip()


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
