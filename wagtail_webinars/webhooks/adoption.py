"""Someone who registered at the provider directly (Zoom's own registration link)
becomes a registration when staff adopt them, so they get the site's
confirmation and reminders. Through the registration service; nothing is pushed
to the provider, which has them already."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from .. import registration
from ..models import ProviderRegistrant, get_event_page


class AdoptionRefused(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def adopt(row: ProviderRegistrant) -> registration.RegistrationResult:
    """Adopt ``row`` as a registration of its event (idempotent: adopted once)."""
    with transaction.atomic():
        locked = ProviderRegistrant.objects.select_for_update().get(pk=row.pk)
        if locked.state != ProviderRegistrant.State.OPEN:
            raise AdoptionRefused(_("This registrant was adopted, dismissed or cancelled already."))
        event = get_event_page(locked.page_id)
        if event is None or not event.is_managed:
            raise AdoptionRefused(_("This event no longer uses the provider's meeting."))
        result = registration.adopt_provider_registrant(
            event,
            email=locked.email,
            first_name=locked.first_name,
            last_name=locked.last_name,
            registrant_id=locked.registrant_id,
            join_url=locked.join_url,
            meeting_id=locked.meeting_id,
        )
        locked.state = ProviderRegistrant.State.ADOPTED
        locked.registration = result.registration
        locked.save(update_fields=["state", "registration"])
    return result


def dismiss(row: ProviderRegistrant) -> None:
    ProviderRegistrant.objects.filter(pk=row.pk, state=ProviderRegistrant.State.OPEN).update(
        state=ProviderRegistrant.State.DISMISSED
    )
