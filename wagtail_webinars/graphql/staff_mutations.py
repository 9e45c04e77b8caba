"""Staff mutations: check-in, reminders, participant pulls, linking participants.

Each needs the registration ``change`` permission for the event (and a
read-write token) and calls the one service the admin calls: check-ins only
through :mod:`wagtail_webinars.checkin`, reminders through
:func:`wagtail_webinars.reminders.request_resend`.
"""

from __future__ import annotations

import graphene
from django.utils.translation import gettext as _

from ..models import Registration
from .events import parse_id, visible_event
from .permissions import CHANGE, VIEW, PermissionDenied, get_caller, require_for_event
from .types import Registrant


def _registration_for_change(info, registration_id) -> Registration:
    pk = parse_id(registration_id, "registration")
    registration = Registration.objects.filter(pk=pk).first()
    # The same refusal whether it does not exist or is not the caller's to change,
    # so ids of other events' registrations reveal nothing.
    if registration is None:
        raise PermissionDenied()
    require_for_event(info, CHANGE, registration.page_id)
    return registration


def _user(info):
    return get_caller(info).user


def _shown(info, registration):
    """The registrant in a payload only for callers who may view it (change alone
    does not show personal data)."""
    if registration is None or not get_caller(info).can_for_event(VIEW, registration.page_id):
        return None
    return registration


class StaffPayload:
    ok = graphene.Boolean(required=True)
    message = graphene.String()


class RegistrantPayload(StaffPayload):
    registrant = graphene.Field(Registrant)


class CheckIn(RegistrantPayload, graphene.Mutation):
    """Check a registrant in (staff; final: a later pull never changes it)."""

    class Arguments:
        registration_id = graphene.ID(required=True)
        in_person = graphene.Boolean(default_value=False)

    @classmethod
    def mutate(cls, root, info, registration_id, in_person=False):
        from .. import checkin

        registration = _registration_for_change(info, registration_id)
        try:
            registration = checkin.check_in(
                registration,
                Registration.CheckinSource.STAFF,
                by=_user(info),
                in_person=bool(in_person),
            )
        except checkin.CheckInRefused as refused:
            return cls(
                ok=False, message=str(refused.message), registrant=_shown(info, registration)
            )
        return cls(ok=True, message=_("Checked in."), registrant=_shown(info, registration))


class UndoCheckIn(RegistrantPayload, graphene.Mutation):
    """Staff: this person did not attend."""

    class Arguments:
        registration_id = graphene.ID(required=True)

    @classmethod
    def mutate(cls, root, info, registration_id):
        from .. import checkin

        registration = _registration_for_change(info, registration_id)
        registration = checkin.undo_check_in(registration, by=_user(info))
        return cls(ok=True, message=_("Check-in undone."), registrant=_shown(info, registration))


class ResendReminder(RegistrantPayload, graphene.Mutation):
    """Send the reminder to one registrant again (as the admin's action)."""

    class Arguments:
        registration_id = graphene.ID(required=True)

    @classmethod
    def mutate(cls, root, info, registration_id):
        from .. import reminders

        registration = _registration_for_change(info, registration_id)
        if not registration.is_active:
            return cls(
                ok=False,
                message=_("A cancelled registration gets no reminder."),
                registrant=_shown(info, registration),
            )
        reminders.request_resend(registration)
        return cls(
            ok=True,
            message=_("The reminder is on its way again."),
            registrant=_shown(info, registration),
        )


class CheckInAttendees(StaffPayload, graphene.Mutation):
    """Start pulling the provider's participant report ("Check in webinar attendees")."""

    class Arguments:
        event_id = graphene.ID(required=True)

    pull_state = graphene.String(description="The pull's state: queued, running, done...")

    @classmethod
    def mutate(cls, root, info, event_id):
        from .. import checkin

        event_id = parse_id(event_id)
        require_for_event(info, CHANGE, event_id)
        event = visible_event(info, event_id)
        if event is None:
            return cls(ok=False, message=_("There is no such event."))
        try:
            pull = checkin.start_check_in(event, by=_user(info))
        except checkin.CheckInRefused as refused:
            return cls(ok=False, message=str(refused.message))
        return cls(
            ok=True,
            message=_("Checking in attendees: the participant report is being pulled."),
            pull_state=pull.state,
        )


class LinkParticipant(RegistrantPayload, graphene.Mutation):
    """Staff: this unmatched participant is that registrant."""

    class Arguments:
        unmatched_id = graphene.ID(required=True)
        registration_id = graphene.ID(required=True)

    @classmethod
    def mutate(cls, root, info, unmatched_id, registration_id):
        from .. import checkin
        from ..models import UnmatchedParticipant

        registration = _registration_for_change(info, registration_id)
        pk = parse_id(unmatched_id, "participant")
        unmatched = UnmatchedParticipant.objects.filter(pk=pk).first()
        if unmatched is None:
            raise PermissionDenied()
        require_for_event(info, CHANGE, unmatched.page_id)
        try:
            registration = checkin.link_participant(unmatched, registration, by=_user(info))
        except checkin.CheckInRefused as refused:
            return cls(ok=False, message=str(refused.message), registrant=None)
        return cls(
            ok=True, message=_("Linked and checked in."), registrant=_shown(info, registration)
        )


class StaffMutation(graphene.ObjectType):
    check_in = CheckIn.Field()
    undo_check_in = UndoCheckIn.Field()
    resend_reminder = ResendReminder.Field()
    check_in_attendees = CheckInAttendees.Field()
    link_participant = LinkParticipant.Field()
