"""The small interface every video provider implements.

A provider is built around one event's location block value. Link-only
("unmanaged") providers only answer :meth:`Provider.join_info`; managed ones
also talk to the provider's API. An operation a provider cannot do raises
:class:`~wagtail_webinars.providers.errors.UnsupportedOperation`, so callers
ask the capability flags first instead of catching.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import ProviderAPIError, ProviderConfigurationError, UnsupportedOperation

if TYPE_CHECKING:
    from wagtail_webinars.models import EventPage, Registration

# How a provider treats each field of its block (``Provider.field_rules``): the
# editor must fill it in, must leave it empty, or it is filled from the provider.
REQUIRED = "required"
BLANK = "blank"
AUTO = "auto-populated"

CHECKIN_EMAIL_CLICK = "email_click"
CHECKIN_PROVIDER_REPORT = "provider_report"

#: What a failed batch add means for the registrations in it
#: (:meth:`Provider.batch_error_scope`): try the same batch later,
BATCH_RETRY = "retry"
#: nobody can be added to this event until someone fixes something,
BATCH_EVENT = "event"
#: this meeting takes no batches (add everyone one by one),
BATCH_UNSUPPORTED = "unsupported"
#: it may be about one person in the batch (add these one by one).
BATCH_ROWS = "rows"


class ProviderStatus(models.TextChoices):
    """What the provider has for one registrant (``Registration.provider_status``;
    empty while it has none)."""

    APPROVED = "approved", _("Approved")
    PENDING = "pending", _("Waiting for approval")
    CANCELLED = "cancelled", _("Cancelled")
    #: A change may or may not have reached the provider (its answer was lost): read
    #: the registrant before deciding anything else.
    UNKNOWN = "unknown", _("Not known yet")


@dataclass(frozen=True)
class JoinInfo:
    """What a registrant needs to get in: the link and, where there is one, the password."""

    url: str
    password: str = ""


@dataclass
class Metadata:
    """What a managed provider tells us about a meeting or webinar."""

    join_url: str = ""
    password: str = ""
    topic: str = ""
    start_time: datetime | None = None
    time_zone: str = ""
    duration_minutes: int | None = None
    registration_required: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    #: ``start_time`` (and ``duration_minutes``) are the event's, not only the
    #: provider's view of it (one occurrence of a recurring meeting): the fill on
    #: publish moves the page to them.
    start_is_the_event: bool = False


@dataclass
class PublishCheck:
    """What the provider says about an event's location just before it goes live
    (:meth:`Provider.check_before_publish`)."""

    #: Block field name -> sentence: the page may not be published until it is fixed.
    errors: dict[str, str] = field(default_factory=dict)
    #: What was read on the way (the fill on publish uses it instead of asking again).
    metadata: Metadata | None = None
    #: Why the provider could not be asked (an outage, credentials): publishing goes
    #: ahead, and the fill on publish tells the editor.
    error: Exception | None = None


@dataclass(frozen=True)
class RegistrantRecord:
    """One registrant as the provider knows them (``status``: a :class:`ProviderStatus`)."""

    registrant_id: str
    email: str
    join_url: str = ""
    status: str = ""


@dataclass(frozen=True)
class Participant:
    """One row of a provider's participant report."""

    name: str
    email: str
    join_time: datetime | None = None
    leave_time: datetime | None = None
    duration_seconds: int = 0
    registrant_id: str = ""
    #: The row is someone waiting to be let in: it is not attendance.
    waiting_room: bool = False
    #: Which run of the meeting (Zoom's instance UUID) the row comes from.
    instance: str = ""


#: What a provider's webhook delivery is about (``ProviderEvent.kind``; "": nothing we
#: act on). The provider's own event names map onto these.
EVENT_CHALLENGE = "challenge"  # the provider checks the endpoint is ours
EVENT_PARTICIPANT_JOINED = "participant_joined"
EVENT_PARTICIPANT_LEFT = "participant_left"
EVENT_REGISTRATION_CANCELLED = "registration_cancelled"
EVENT_REGISTRATION_CREATED = "registration_created"
EVENT_MEETING_UPDATED = "meeting_updated"
EVENT_MEETING_DELETED = "meeting_deleted"
EVENT_MEETING_ENDED = "meeting_ended"

_TIMES = ("occurred_at", "join_time", "leave_time")


@dataclass
class ProviderEvent:
    """One verified webhook delivery, in our words (see :meth:`Provider.parse_webhook`).

    Stored with the delivery until the task has handled it (:meth:`as_dict`,
    :meth:`from_dict`), then forgotten: it may hold a person's name and email.
    """

    kind: str
    #: The provider's own name for the event ("meeting.participant_joined").
    name: str = ""
    meeting_id: str = ""
    #: When the provider says it happened (orders deliveries that arrive out of order).
    occurred_at: datetime | None = None
    #: The provider's path for the meeting ("meetings" or "webinars" for Zoom).
    resource: str = ""
    #: For ``EVENT_CHALLENGE``: what to answer about.
    challenge: str = ""
    # The person, for participant and registration events.
    registrant_id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    join_url: str = ""
    join_time: datetime | None = None
    leave_time: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in _TIMES:
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderEvent:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in _TIMES:
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


@dataclass(frozen=True)
class FeatureAccess:
    """One thing the site does with the provider, and whether the granted permissions
    (OAuth scopes) allow it."""

    #: What stops working without it, in the editor's words ("Add registrants to meetings").
    label: str
    #: The permission names that each allow it (any one is enough).
    needs: tuple[str, ...]
    allowed: bool


@dataclass
class ConnectionReport:
    """The answer of :meth:`Provider.test_connection`: never holds a secret."""

    #: Signed in and the account answered.
    connected: bool = False
    #: What went wrong, in words (empty when connected).
    problem: str = ""
    #: ``[(label, value)]`` about the account ("Account ID", ...).
    account: list[tuple[str, str]] = field(default_factory=list)
    api_url: str = ""
    #: The permissions the provider granted, as it names them.
    granted: list[str] = field(default_factory=list)
    features: list[FeatureAccess] = field(default_factory=list)

    @property
    def missing(self) -> list[FeatureAccess]:
        return [f for f in self.features if not f.allowed]


class Provider:
    """Base class. Subclasses set the capability flags and override what they can do."""

    #: The StreamField block name this provider serves (``zoom_meeting`` ...).
    kind: str = ""
    #: What staff call it ("Zoom meeting (managed)", "Vimeo").
    label: str = ""
    #: The visitor's name for it ("Online on Zoom"); empty: the label.
    public_label: str = ""
    #: Registrations are added to (and cancelled at) the provider: the sync runs,
    #: and the event is "managed" (publishing fills its fields from the provider).
    can_push_registrants: bool = False
    #: The provider can list who attended (``pull_participants``), for check-in.
    can_pull_participants: bool = False
    #: How people are checked in: ``CHECKIN_EMAIL_CLICK`` (a click on the reminder's
    #: join link inside the attendance window) or ``CHECKIN_PROVIDER_REPORT``.
    checkin_method: str = CHECKIN_EMAIL_CLICK
    #: Each block field's rule (``REQUIRED``, ``BLANK`` or ``AUTO``), by field name.
    field_rules: Mapping[str, str] = {}
    #: How many registrants one batch call takes (1: the provider has no batches).
    batch_size: int = 1
    #: The block editors fill in for this provider (a ``blocks.LocationBlock``).
    block_class: type | None = None
    #: Hosts the editor's join link may point at (each with its subdomains); empty:
    #: any https link. ``WAGTAIL_WEBINARS["JOIN_LINK_HOSTS"]`` lets a site add more.
    join_link_hosts: tuple[str, ...] = ()
    #: On those hosts, a regular expression the link's path must match ("": any).
    join_link_path: str = ""
    #: What the editor is told when the link is not one of this provider's.
    join_link_error: str = ""
    #: The account connection providers sharing it test together ("zoom"; "": none):
    #: the admin's "Test ... connection" screen (``test_connection``).
    connection_name: str = ""
    #: That screen's title and menu label.
    connection_label: str = ""
    #: Dotted path of the function (no arguments) that runs the test and returns a
    #: :class:`ConnectionReport`; imported only when someone presses the button.
    connection_tester: str = ""

    #: The provider sends signed webhooks to ``webhooks/<webhook_name>/`` (the same
    #: name for every block of one provider, e.g. Zoom meetings and webinars): "" for none.
    webhook_name: str = ""

    def __init__(self, location: Mapping[str, Any] | None = None, event: EventPage | None = None):
        self.location = dict(location or {})
        self.event = event

    @classmethod
    def build_block(cls):
        """The block a location field offers for this provider."""
        if cls.block_class is None:
            raise ProviderConfigurationError(f"{cls.__name__} declares no block_class")
        return cls.block_class(provider_class=cls)

    @classmethod
    def test_connection(cls) -> ConnectionReport:
        """Sign in to the provider's account and say what the site may do there."""
        if not cls.connection_tester:
            raise UnsupportedOperation(cls.__name__, "test_connection")
        from django.utils.module_loading import import_string

        return import_string(cls.connection_tester)()

    # -- what every provider answers -------------------------------------------------
    def join_info(self, registration: Registration | None = None) -> JoinInfo:
        return JoinInfo(
            url=self.location.get("join_url") or "",
            password=self.location.get("password") or "",
        )

    @property
    def external_id(self) -> str:
        """The meeting or webinar id (digits only) or ``""``."""
        return str(self.location.get("meeting_id") or "")

    # -- managed operations --------------------------------------------------------------
    def fetch_metadata(self) -> Metadata:
        raise UnsupportedOperation(self, "fetch_metadata")

    def check_before_publish(self) -> PublishCheck:
        """Whether the provider has what the block names, asked when an editor publishes.

        Only what the provider *says* is wrong goes into ``errors`` (an ID it does not
        have): an outage must never keep editors from publishing.
        """
        return PublishCheck()

    def field_choices(self, field_name: str) -> list[tuple[str, str]]:
        """``[(value, label)]`` the editor picks a block field's value from, read from the
        provider (a recurring meeting's occurrences, say)."""
        raise UnsupportedOperation(self, "field_choices")

    def push_registrant(self, registration: Registration) -> RegistrantRecord:
        raise UnsupportedOperation(self, "push_registrant")

    def find_registrant(self, email: str) -> RegistrantRecord | None:
        raise UnsupportedOperation(self, "find_registrant")

    def fetch_registrant(self, registrant_id: str) -> RegistrantRecord | None:
        """The registrant as the provider has them now, or ``None`` when it has none."""
        raise UnsupportedOperation(self, "fetch_registrant")

    def registrants(self) -> Iterator[RegistrantRecord]:
        """Every registrant of the meeting, whatever their status."""
        raise UnsupportedOperation(self, "registrants")

    def cancel_registrant(self, registration: Registration) -> None:
        raise UnsupportedOperation(self, "cancel_registrant")

    def approve_registrant(self, registration: Registration) -> None:
        raise UnsupportedOperation(self, "approve_registrant")

    def batch_push(self, registrations: Iterable[Registration]) -> list[RegistrantRecord]:
        raise UnsupportedOperation(self, "batch_push")

    def pull_participants(self) -> Iterator[Participant]:
        """Every row of the participant report of this event's meeting (each join a
        row, every run of the meeting that overlaps the event's time).

        Raises :class:`~.errors.ReportNotReady` while the provider has no report yet.
        Only when ``can_pull_participants``.
        """
        raise UnsupportedOperation(self, "pull_participants")

    def batch_error_scope(self, error: Exception) -> str:
        """What a failed batch add means for its registrations (one of ``BATCH_*``).

        The default: transient failures are retried, anything else fails the event.
        """
        if isinstance(error, ProviderAPIError) and error.transient:
            return BATCH_RETRY
        return BATCH_EVENT

    def might_have_landed(self, error: Exception) -> bool:
        """Whether a failed add (or batch add) may still have reached the provider, so
        the registrant must be looked up before adding them again.

        The default: any transient failure may have (a timeout after the call arrived).
        """
        return isinstance(error, ProviderAPIError) and error.transient

    # -- webhooks (providers with a ``webhook_name``) ------------------------------------
    @classmethod
    def verify_webhook(cls, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        """Raise :class:`~.errors.WebhookRefused` unless the raw ``body`` is signed by the
        provider, recently (fail closed: no secret configured, refused)."""
        raise UnsupportedOperation(cls.__name__, "verify_webhook")

    @classmethod
    def parse_webhook(cls, body: bytes) -> ProviderEvent:
        """A verified delivery in our words; :class:`~.errors.WebhookRefused` (400) when
        it cannot be read."""
        raise UnsupportedOperation(cls.__name__, "parse_webhook")

    @classmethod
    def webhook_challenge_answer(cls, event: ProviderEvent) -> dict[str, str]:
        """The JSON answer to an ``EVENT_CHALLENGE`` delivery."""
        raise UnsupportedOperation(cls.__name__, "webhook_challenge_answer")

    # -- words for staff ---------------------------------------------------------------
    def describe_error(self, error: Exception) -> str:
        """A sentence staff understand for a failed operation (never containing a secret)."""
        return str(error)

    def log_detail(self, error: Exception) -> str:
        """A short detail of a failed call for log lines: no personal data, no secret."""
        return type(error).__name__

    def metadata_warnings(self, metadata: Metadata) -> list[str]:
        """What the editor should fix at the provider, judged from fetched metadata."""
        return []

    def details_disagreements(self) -> list[str]:
        """Where the provider's stored details disagree with the event page (start time,
        duration, registration setting), without calling the provider."""
        return []

    def config_warnings(self, config: Mapping[str, Any]) -> list[str]:
        """What the editor should fix at the provider, judged from the details stored on
        the event (``provider_config``) without calling the provider."""
        return []

    def config_details(self, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(label, text)`` rows describing the details stored on the event
        (``provider_config``) as the provider has them, for the event's admin page."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.external_id or ''}>".replace(" >", ">")
