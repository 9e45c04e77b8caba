"""Managed Zoom meetings and webinars (Server-to-Server OAuth).

The API operations live here; the HTTP plumbing (token, session, retries,
paging) is in :mod:`.client`, the sentences for Zoom's errors in :mod:`.messages`. What we do with
Zoom: read the meeting or webinar, add registrants, cancel and re-approve
them, read the participant report. What we never do: create, change or delete
meetings, webinars or users.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..base import (
    AUTO,
    BATCH_UNSUPPORTED,
    CHECKIN_PROVIDER_REPORT,
    REQUIRED,
    JoinInfo,
    Metadata,
    Participant,
    Provider,
    ProviderStatus,
    PublishCheck,
    RegistrantRecord,
)
from ..errors import (
    ProviderAPIError,
    ProviderConfigurationError,
    UnsupportedOperation,
)
from . import answers, meetings, messages, occurrences, publish_check, webhooks
from .blocks import ZoomMeetingBlock, ZoomWebinarBlock
from .client import ZoomClient, get_client
from .messages import (
    code_of,
    nothing_left_to_cancel,
    registrant_not_found,
)

if TYPE_CHECKING:
    from wagtail_webinars.models import Registration

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
ZOOM_STATUS_TO_OURS = {
    "approved": ProviderStatus.APPROVED,
    "pending": ProviderStatus.PENDING,
    "denied": ProviderStatus.CANCELLED,
    "cancelled": ProviderStatus.CANCELLED,
}


def _answered_status(item: dict) -> str:
    """The registrant's status in an add (or batch add) answer.

    Zoom answers an add for an email it already has with that registrant unchanged (a
    cancelled one stays cancelled), and a meeting with manual approval answers
    pending; neither answer has a ``join_url``, and none says the status. Only an
    approved registrant comes with its personal link; otherwise the sync reads it.
    """
    status = answers.text(item.get("status"))
    if status in ZOOM_STATUS_TO_OURS:
        return ZOOM_STATUS_TO_OURS[status]
    return ProviderStatus.APPROVED if answers.text(item.get("join_url")) else ProviderStatus.UNKNOWN


class ZoomProvider(Provider):
    public_label = _("Zoom")
    can_push_registrants = True
    can_pull_participants = True
    checkin_method = CHECKIN_PROVIDER_REPORT
    #: One endpoint for meetings and webinars: ``webhooks/zoom/``.
    webhook_name = "zoom"
    field_rules = {"meeting_id": REQUIRED, "join_url": AUTO, "password": AUTO}
    #: Registrants per batch-registration call (Zoom's limit).
    batch_size = BATCH_SIZE
    #: "meetings" or "webinars": the path segment of Zoom's API.
    resource = "meetings"
    connection_name = "zoom"
    connection_label = _("Test Zoom connection")
    connection_tester = "wagtail_webinars.providers.zoom.connection.test_connection"
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
    def occurrence_id(self) -> str:
        """The occurrence of a recurring meeting the event is (``""``: not recurring)."""
        return str(self.location.get("occurrence_id") or "")

    def _occurrence(self, name: str) -> dict | None:
        return {name: self.occurrence_id} if self.occurrence_id else None

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
            and not registrant_not_found(err)
        )

    # -- metadata ----------------------------------------------------------------------
    def fetch_metadata(self) -> Metadata:
        data = self._call("GET") or {}
        return meetings.metadata_from(
            data,
            resource=self.resource_path,
            meeting_id=self.meeting_id,
            occurrence=occurrences.find(data, self.occurrence_id) if self.occurrence_id else None,
        )

    def field_choices(self, field_name: str) -> list[tuple[str, str]]:
        if field_name != "occurrence_id":
            return super().field_choices(field_name)
        return occurrences.choices(self)

    def check_before_publish(self) -> PublishCheck:
        return publish_check.check(self)

    def metadata_warnings(self, metadata: Metadata) -> list[str]:
        # What refuses a publish is still worth saying on a refresh (a deleted occurrence).
        recurrence = list(occurrences.publish_errors(self, metadata).values())
        return recurrence + meetings.warnings_for(
            metadata, what=self._what(), page_start=getattr(self.event, "start", None)
        )

    def details_disagreements(self) -> list[str]:
        event = self.event
        config = getattr(event, "provider_config", None) or {}
        if str(config.get("id") or "") != self.external_id:
            return []  # details of another meeting, or none yet
        return meetings.disagreements(
            config,
            what=self._what(),
            page_start=getattr(event, "start", None),
            page_end=getattr(event, "end", None),
        )

    def config_warnings(self, config: dict) -> list[str]:
        return meetings.approval_warnings(config, what=self._what())

    def config_details(self, config: dict) -> list[tuple[str, str]]:
        return meetings.details_rows(config)

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
                ours=True,
            )
        data = (
            self._call(
                "POST",
                "/registrants",
                params=self._occurrence("occurrence_ids"),
                body=lambda res: self._registrant_body(registration, res),
            )
            or {}
        )
        registrant_id = answers.text(data.get("registrant_id"))
        if not registrant_id:
            raise ProviderAPIError(
                gettext("Zoom's answer has no registrant ID"), transient=True, ours=True
            )
        return RegistrantRecord(
            registrant_id=registrant_id,
            email=registration.email,
            join_url=answers.text(data.get("join_url")),
            status=_answered_status(data),
        )

    def fetch_registrant(self, registrant_id: str) -> RegistrantRecord | None:
        """``GET .../registrants/{id}`` (Light): the registrant's status and personal link."""
        try:
            data = self._call("GET", f"/registrants/{registrant_id}") or {}
        except ProviderAPIError as err:
            if err.status == 404 or (code_of(err) == 3000 and registrant_not_found(err)):
                return None
            raise
        status = ZOOM_STATUS_TO_OURS.get(answers.text(data.get("status")), ProviderStatus.UNKNOWN)
        if status == ProviderStatus.UNKNOWN:
            raise ProviderAPIError(
                gettext("Zoom's answer does not say this registrant's status"),
                transient=True,
                ours=True,
            )
        return RegistrantRecord(
            registrant_id=answers.text(data.get("id")) or registrant_id,
            email=answers.text(data.get("email")),
            join_url=answers.text(data.get("join_url")),
            status=status,
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
        for status in ("approved", "pending", "denied"):  # Zoom's words
            for item in self._paginate(
                lambda res: self._path("/registrants", res),
                "registrants",
                {"status": status, **(self._occurrence("occurrence_id") or {})},
            ):
                yield RegistrantRecord(
                    registrant_id=answers.text(item.get("id")),
                    email=answers.text(item.get("email")),
                    join_url=answers.text(item.get("join_url")),
                    status=ZOOM_STATUS_TO_OURS.get(
                        answers.text(item.get("status")) or status, ZOOM_STATUS_TO_OURS[status]
                    ),
                )

    def _set_status(self, registration: Registration, action: str) -> None:
        if not registration.provider_registrant_id:
            raise ValueError("This registration has no Zoom registrant ID yet.")
        self._call(
            "PUT",
            "/registrants/status",
            params=self._occurrence("occurrence_id"),
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
            if not nothing_left_to_cancel(err):
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
        if self.occurrence_id:
            # Zoom's batches take only one-off meetings (type 2) and webinars (type 5).
            raise UnsupportedOperation(self, "batch_push")
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
            for item in answers.objects(data.get("registrants")):
                if answers.text(item.get("registrant_id")):
                    records.append(
                        RegistrantRecord(
                            registrant_id=answers.text(item["registrant_id"]),
                            email=answers.text(item.get("email")),
                            join_url=answers.text(item.get("join_url")),
                            status=_answered_status(item),
                        )
                    )
        return records

    # -- participants ----------------------------------------------------------------
    def pull_participants(self) -> Iterator[Participant]:
        """Every report row of every instance of the meeting that belongs to the event
        (see :mod:`.reports`: instances, UUID encoding, pages, "not ready")."""
        from .reports import Pull

        return iter(Pull(self).rows())

    # -- webhooks (see :mod:`.webhooks`) -----------------------------------------------
    @classmethod
    def verify_webhook(cls, headers, body: bytes, now) -> None:
        webhooks.verify(headers, body, now)

    @classmethod
    def parse_webhook(cls, body: bytes):
        return webhooks.parse(body)

    @classmethod
    def webhook_challenge_answer(cls, event) -> dict[str, str]:
        return webhooks.challenge_answer(event)

    # -- words for staff ---------------------------------------------------------------
    def might_have_landed(self, error: Exception) -> bool:
        # A 429 means Zoom turned the call away before doing anything.
        return super().might_have_landed(error) and getattr(error, "status", None) != 429

    def log_detail(self, error: Exception) -> str:
        if not isinstance(error, ProviderAPIError):
            return type(error).__name__
        return f"HTTP {error.status}, code {error.code}"

    def describe_error(self, error: Exception) -> str:
        """Zoom's error codes as sentences staff can act on (Zoom's own words appended)."""
        return messages.describe(error, what=self._what(), meeting_id=self.external_id)

    def batch_error_scope(self, error: Exception) -> str:
        if isinstance(error, UnsupportedOperation):
            return BATCH_UNSUPPORTED
        return messages.batch_scope(error)


class ZoomMeetingProvider(ZoomProvider):
    kind = "zoom_meeting"
    label = _("Zoom meeting (managed)")
    block_class = ZoomMeetingBlock
    resource = "meetings"
    allows_webinar_fallback = True


class ZoomWebinarProvider(ZoomProvider):
    kind = "zoom_webinar"
    label = _("Zoom webinar (managed)")
    block_class = ZoomWebinarBlock
    resource = "webinars"
