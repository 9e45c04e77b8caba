from .api_tokens import ApiToken
from .attendance import ParticipantPull, UnmatchedParticipant
from .connection_tests import ConnectionTest
from .lookups import (
    all_event_pages,
    event_page_models,
    get_event_page,
    is_managed_event,
    page_model,
)
from .pages import (
    AbstractEventPage,
    AbstractRegistrationFormField,
    EventFieldsMixin,
    EventPage,
    EventPageMixin,
    RegistrationFormField,
)
from .registration import Registration
from .removed import RemovedRegistrant
from .settings import EmailBrandingSettings
from .webhooks import MeetingNotice, ProviderRegistrant, WebhookDelivery

__all__ = [
    "AbstractEventPage",
    "AbstractRegistrationFormField",
    "ApiToken",
    "ConnectionTest",
    "EmailBrandingSettings",
    "EventFieldsMixin",
    "EventPage",
    "EventPageMixin",
    "MeetingNotice",
    "ParticipantPull",
    "ProviderRegistrant",
    "Registration",
    "RegistrationFormField",
    "RemovedRegistrant",
    "UnmatchedParticipant",
    "WebhookDelivery",
    "all_event_pages",
    "event_page_models",
    "get_event_page",
    "is_managed_event",
    "page_model",
]
