"""The write side: ``Mutation``, for a host project to mix into its own schema.

Every mutation calls the same service function as the page or the admin:
``register`` builds the event page's own registration form (so the editor's
questions, the rules and the messages are the page's) and calls the service the
page calls; ``cancelRegistration`` takes the signed token from the email, as the
cancel page does. Bad input comes back as field errors in the payload, never as
an exception.
"""

from __future__ import annotations

import graphene
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from .. import links
from .. import registration as service
from ..conf import get_setting
from ..models import Registration
from .events import parse_id, visible_event
from .permissions import ADD, get_caller
from .staff_mutations import StaffMutation

#: The public answer, whatever the address's state, so strangers learn nothing
#: about who is registered (the event page answers the same).
PUBLIC_THANKS = (
    "Thank you for registering. Your confirmation, with a calendar invitation, is on its way."
)
STANDARD = {"first_name": "firstName", "last_name": "lastName", "email": "email"}


class FieldError(graphene.ObjectType):
    """What is wrong with one input field (``field`` null: with the whole request)."""

    field = graphene.String(
        description="The input field: firstName, lastName, email or a question's name."
    )
    messages = graphene.List(graphene.NonNull(graphene.String), required=True)
    code = graphene.String(description="For programs: e.g. closed, full, invalid.")


class RegistrationOutcome(graphene.Enum):
    CREATED = "created"
    REACTIVATED = "reactivated"
    ALREADY_REGISTERED = "already_registered"
    #: A cancelled registration was offered back by email (the caller may not add).
    REACTIVATION_OFFERED = "reactivation_offered"


class AnswerInput(graphene.InputObjectType):
    name = graphene.String(required=True, description="The question's field name.")
    value = graphene.String(description="The answer.")
    values = graphene.List(graphene.NonNull(graphene.String), description="Several choices.")


def _errors_from_form(form) -> list[FieldError]:
    errors = []
    for name, messages in form.errors.items():
        field = None if name == "__all__" else STANDARD.get(name, name)
        errors.append(FieldError(field=field, messages=[str(m) for m in messages], code="invalid"))
    return errors


def _errors_from_validation(err: ValidationError) -> list[FieldError]:
    if hasattr(err, "error_dict"):
        return [
            FieldError(
                field=STANDARD.get(name, name),
                messages=[str(m) for e in errors for m in e.messages],
                code="invalid",
            )
            for name, errors in err.error_dict.items()
        ]
    return [FieldError(field=None, messages=[str(m) for m in err.messages], code="invalid")]


def _form_data(first_name, last_name, email, answers) -> QueryDict:
    data = QueryDict(mutable=True)
    for answer in answers or []:
        name = str(answer.name)
        if name in STANDARD or name == "website":
            continue  # the standard fields come from their own arguments; no honeypot
        if answer.get("values") is not None:
            data.setlist(name, [str(v) for v in answer["values"]])
        elif answer.get("value") is not None:
            data[name] = str(answer["value"])
    data["first_name"] = first_name or ""
    data["last_name"] = last_name or ""
    data["email"] = email or ""
    return data


def _client_is_limited(request) -> bool:
    rate = get_setting("GRAPHQL_REGISTER_RATE")
    if not rate or not hasattr(request, "META"):
        return False
    return is_ratelimited(
        request, group="wagtail_webinars.graphql.register", key="ip", rate=rate, increment=True
    )


class Register(graphene.Mutation):
    """Register someone for an event, with the event page's form rules and messages."""

    class Arguments:
        event_id = graphene.ID(required=True)
        first_name = graphene.String(required=True)
        last_name = graphene.String(required=True)
        email = graphene.String(required=True)
        answers = graphene.List(graphene.NonNull(AnswerInput))

    ok = graphene.Boolean(required=True)
    message = graphene.String(description="What to tell the visitor.")
    errors = graphene.List(graphene.NonNull(FieldError), required=True)
    outcome = graphene.Field(
        RegistrationOutcome,
        description="What happened (only for callers who may see the event's registrations).",
    )

    @classmethod
    def mutate(cls, root, info, event_id, first_name, last_name, email, answers=None):
        request = info.context
        if _client_is_limited(request):
            return cls.refused(
                _("Too many registrations from your address. Try again later."), "rate_limited"
            )
        try:
            event = visible_event(info, parse_id(event_id))
        except Exception:  # a bad id: the same answer as an unknown event
            event = None
        if event is None:
            return cls(
                ok=False,
                errors=[
                    FieldError(
                        field="eventId", messages=[_("There is no such event.")], code="not_found"
                    )
                ],
            )
        form = event.get_form(
            _form_data(first_name, last_name, email, answers),
            page=event,
            user=getattr(request, "user", None),
        )
        if not form.is_valid():
            return cls(ok=False, errors=_errors_from_form(form))
        caller = get_caller(info)
        # Like the page: only a caller who may add registrations for this event
        # re-activates a cancelled one at once; anyone else only triggers the
        # email with the signed "register me again" link (no takeover by address).
        may_add = caller.token_allows(ADD) and caller.can_for_event(ADD, event.pk)
        try:
            result = service.register(
                event,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                answers=form.custom_answers(),
                source=Registration.Source.API,
                ask_before_reactivating=not may_add,
            )
        except ValidationError as err:
            return cls(ok=False, errors=_errors_from_validation(err))
        except service.RegistrationRefused as refused:
            return cls.refused(refused.message, refused.code)
        staff = caller.token_allows(ADD) and caller.can_for_event("view", event.pk)
        return cls(
            ok=True,
            message=_(PUBLIC_THANKS),
            errors=[],
            outcome=result.outcome if staff else None,
        )

    @classmethod
    def refused(cls, message: str, code: str):
        return cls(ok=False, errors=[FieldError(field=None, messages=[str(message)], code=code)])


class CancelRegistration(graphene.Mutation):
    """Cancel with the signed token from the confirmation email (as the cancel page)."""

    class Arguments:
        token = graphene.String(required=True)

    ok = graphene.Boolean(required=True)
    message = graphene.String()
    errors = graphene.List(graphene.NonNull(FieldError), required=True)

    @classmethod
    def mutate(cls, root, info, token):
        registration = links.read_token(str(token)[:500], links.CANCEL)
        if registration is None:
            return cls(
                ok=False,
                errors=[
                    FieldError(
                        field="token",
                        messages=[_("This link is not valid. It may be incomplete.")],
                        code="not_found",
                    )
                ],
            )
        service.cancel(registration)
        return cls(ok=True, message=_("Your registration is cancelled."), errors=[])


class Mutation(StaffMutation, graphene.ObjectType):
    """The public mutations and, for staff, check-in, reminders and pulls."""

    register = Register.Field()
    cancel_registration = CancelRegistration.Field()
