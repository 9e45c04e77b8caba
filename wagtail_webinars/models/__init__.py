from .api_tokens import ApiToken
from .attendance import ParticipantPull, UnmatchedParticipant
from .pages import (
    AbstractEventPage,
    EventPage,
    EventPageMixin,
    RegistrationFormField,
    event_page_models,
)
from .registration import Registration
from .settings import EmailBrandingSettings

__all__ = [
    "AbstractEventPage",
    "ApiToken",
    "EmailBrandingSettings",
    "EventPage",
    "EventPageMixin",
    "ParticipantPull",
    "Registration",
    "RegistrationFormField",
    "UnmatchedParticipant",
    "event_page_models",
]
