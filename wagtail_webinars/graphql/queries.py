"""The read side: ``Query``, for a host project to mix into its own schema."""

from __future__ import annotations

import graphene
from django.utils.translation import gettext as _
from graphene_django import DjangoConnectionField
from graphene_django.filter import DjangoFilterConnectionField
from graphql import GraphQLError

from ..models import Registration, UnmatchedParticipant
from .events import batch_of, event_by_path, find_events, parse_id, visible_event
from .headcount_types import Headcount
from .permissions import VIEW, get_caller, require_for_event
from .types import MAX_PAGE_SIZE, Event, Registrant, RegistrantFilterSet
from .types import UnmatchedParticipant as UnmatchedParticipantType


class PageSizeLimit:
    """Refuses pages over the limit with a clear GraphQL error (graphene-django's own
    check is an assertion, which the view would report as an internal error)."""

    @classmethod
    def connection_resolver(cls, resolver, connection, default_manager, *rest, **args):
        _queryset_resolver, max_limit = rest[0], rest[1]
        for name in ("first", "last"):
            value = args.get(name)
            if value is not None and (value < 0 or (max_limit and value > max_limit)):
                raise GraphQLError(
                    _("%(name)s must be between 0 and %(limit)s.")
                    % {"name": name, "limit": max_limit},
                    extensions={"code": "PAGE_SIZE"},
                )
        if args.get("offset") is not None and args["offset"] < 0:
            raise GraphQLError(_("offset cannot be negative."), extensions={"code": "PAGE_SIZE"})
        if args.get("offset") is not None and args.get("before") is not None:
            raise GraphQLError(
                _("Give offset or before, not both."), extensions={"code": "PAGE_SIZE"}
            )
        return super().connection_resolver(resolver, connection, default_manager, *rest, **args)


class LimitedFilterConnectionField(PageSizeLimit, DjangoFilterConnectionField):
    pass


class LimitedConnectionField(PageSizeLimit, DjangoConnectionField):
    pass


class EventEdgeLimit(PageSizeLimit, DjangoConnectionField):
    """The events connection: a lazy list, at most 100 per page."""

    @classmethod
    def resolve_queryset(cls, connection, iterable, info, args):
        return iterable


class Query(graphene.ObjectType):
    events = EventEdgeLimit(
        Event,
        max_limit=MAX_PAGE_SIZE,
        upcoming=graphene.Boolean(description="Only events that have not ended."),
        past=graphene.Boolean(description="Only events that have ended (latest first)."),
        starts_after=graphene.DateTime(description="Only events starting at or after this."),
        starts_before=graphene.DateTime(description="Only events starting before this."),
        provider_kind=graphene.String(description="Only this provider, e.g. vimeo."),
        registration_open=graphene.Boolean(description="Only events one can register for now."),
        description="The events the caller may see, by start time.",
    )
    event = graphene.Field(
        Event,
        id=graphene.ID(),
        url_path=graphene.String(description="The page's path on its site, e.g. /events/x/."),
        description="One event by id or by path; null if there is none the caller may see.",
    )
    registrants = LimitedFilterConnectionField(
        Registrant,
        filterset_class=RegistrantFilterSet,
        max_limit=MAX_PAGE_SIZE,
        event_id=graphene.ID(required=True),
        description="An event's registrations (needs the registration view permission).",
    )

    event_headcount = graphene.Field(
        Headcount,
        event_id=graphene.ID(required=True),
        description="An event's figures (needs the registration view permission).",
    )
    unmatched_participants = LimitedConnectionField(
        UnmatchedParticipantType,
        max_limit=MAX_PAGE_SIZE,
        event_id=graphene.ID(required=True),
        state=graphene.String(description="Only this state: open, linked, registered, dismissed."),
        description="People in the provider's report who matched no registration "
        "(needs the registration view permission).",
    )

    def resolve_events(root, info, **filters):
        for key in ("first", "last", "before", "after", "offset"):
            filters.pop(key, None)
        return find_events(get_caller(info), filters)

    def resolve_event(root, info, id=None, url_path=None):
        if (id is None) == (url_path is None):
            raise GraphQLError(_("Give either id or urlPath."), extensions={"code": "BAD_INPUT"})
        if id is not None:
            return visible_event(info, parse_id(id))
        return event_by_path(info, url_path)

    def resolve_registrants(root, info, event_id, **kwargs):
        event_id = parse_id(event_id)
        require_for_event(info, VIEW, event_id)
        return (
            Registration.objects.filter(page_id=event_id)
            .only(*Registrant.COLUMNS)
            .order_by("registered_at", "pk")
        )

    def resolve_event_headcount(root, info, event_id):
        event_id = parse_id(event_id)
        require_for_event(info, VIEW, event_id)
        event = visible_event(info, event_id)
        if event is None:
            return None
        return batch_of(event).headcount(event)

    def resolve_unmatched_participants(root, info, event_id, state=None, **kwargs):
        event_id = parse_id(event_id)
        require_for_event(info, VIEW, event_id)
        participants = UnmatchedParticipant.objects.filter(page_id=event_id)
        if state:
            participants = participants.filter(state=str(state).strip().lower())
        return participants.order_by("pk")
