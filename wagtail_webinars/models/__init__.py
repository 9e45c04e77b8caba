from .pages import AbstractEventPage, EventPage, EventPageMixin, RegistrationFormField
from .registration import Registration
from .settings import EmailBrandingSettings

__all__ = [
    "AbstractEventPage",
    "EmailBrandingSettings",
    "EventPage",
    "EventPageMixin",
    "Registration",
    "RegistrationFormField",
]
