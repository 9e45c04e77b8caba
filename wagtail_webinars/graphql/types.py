"""The GraphQL types: events (public) and registrants (personal data).

Every ``DjangoObjectType`` declares its ``fields``: nothing reaches the API by
accident when a model gains a column. Personal data (``Registrant``) is only
reachable through fields that ask the permission policy first
(:mod:`.permissions`).
"""

from __future__ import annotations

import django_filters
import graphene
from django.db.models import Q
from django.utils import timezone
from graphene_django import DjangoObjectType
from wagtail.rich_text import expand_db_html

from ..conf import campus_time_zone_name
from ..models import EventPage, EventPageMixin, Registration
from ..models import UnmatchedParticipant as UnmatchedParticipantModel
from .events import batch_of
from .permissions import VIEW, get_caller, require_for_event

MAX_PAGE_SIZE = 100


class CountedConnection(graphene.relay.Connection):
    """A relay connection that also says how many items match."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="How many items match in all.")

    def resolve_total_count(self, info):
        return self.length


class Event(DjangoObjectType):
    """An event page, as anyone who may see it sees it."""

    class Meta:
        model = EventPage
        name = "Event"
        fields = ("id", "title", "venue", "capacity")
        use_connection = True
        connection_class = CountedConnection

    url = graphene.String(description="The event page's full address.")
    url_path = graphene.String(description="The event page's path on its site.")
    start = graphene.DateTime(required=True, description="Start, in campus time with offset.")
    end = graphene.DateTime(required=True, description="End, in campus time with offset.")
    time_zone = graphene.String(required=True, description="The campus time zone's name.")
    provider_kind = graphene.String(description="The video provider's code, e.g. zoom_meeting.")
    provider_name = graphene.String(description="The video provider, in words.")
    registration_open = graphene.Boolean(required=True)
    registration_closed_reason = graphene.String(
        description="Why registration is closed, in words; null while open."
    )
    spots_left = graphene.Int(description="Places left; null for no limit.")
    description = graphene.String(description="The description, rendered as HTML.")
    headcount = graphene.Field(
        "wagtail_webinars.graphql.headcount_types.Headcount",
        description="The event's figures (needs the registration view permission).",
    )

    @classmethod
    def is_type_of(cls, root, info):
        # Host projects' own event pages (built from AbstractEventPage) are events too.
        return isinstance(root, EventPageMixin)

    def resolve_id(self, info):
        return self.pk

    def resolve_url(self, info):
        return self.get_full_url(info.context if hasattr(info.context, "META") else None)

    def resolve_url_path(self, info):
        return self.get_url(info.context if hasattr(info.context, "META") else None)

    def resolve_start(self, info):
        return self.local_start

    def resolve_end(self, info):
        return self.local_end

    def resolve_time_zone(self, info):
        return campus_time_zone_name()

    def resolve_provider_kind(self, info):
        return self.location_kind or None

    def resolve_provider_name(self, info):
        provider = self.provider
        return str(provider.label) if provider else None

    def resolve_registration_closed_reason(self, info):
        return closed_reason(self)

    def resolve_registration_open(self, info):
        return closed_reason(self) is None

    def resolve_spots_left(self, info):
        if self.capacity is None:
            return None
        return max(self.capacity - batch_of(self).active_count(self), 0)

    def resolve_description(self, info):
        return expand_db_html(self.description or "")

    def resolve_headcount(self, info):
        require_for_event(info, VIEW, self.pk)
        return batch_of(self).headcount(self)


def closed_reason(event) -> str | None:
    """The page's own reason (dates, started), then capacity: what the form would say."""
    from django.utils.translation import gettext as _

    reason = event.registration_closed_reason(timezone.now())
    full = event.capacity is not None and batch_of(event).active_count(event) >= event.capacity
    if reason is None and full:
        reason = _("Sorry, this event is full.")
    return str(reason) if reason else None


class Answer(graphene.ObjectType):
    """A registrant's answer to one of the editor's extra questions."""

    name = graphene.String(required=True)
    label = graphene.String(required=True, description="The question, as the editor wrote it.")
    value = graphene.String(description="The answer (several choices joined by commas).")


def question_labels(info, event_id: int) -> list[tuple[str, str]]:
    """``[(field name, label)]`` of an event's extra questions, once per request."""
    context = getattr(info.context, "__dict__", {})
    cache = context.setdefault("_webinars_questions", {})
    if event_id not in cache:
        from ..models import event_page_models

        event = context.get("_webinars_events", {}).get(event_id)
        if event is None:
            for model in event_page_models():
                event = model.objects.filter(pk=event_id).first()
                if event is not None:
                    break
        labels = [(f.clean_name, f.label) for f in event.get_form_fields()] if event else []
        cache[event_id] = labels
    return cache[event_id]


RegistrationStatus = graphene.Enum.from_enum(Registration.Status, name="RegistrationStatus")
SyncStatus = graphene.Enum(
    "SyncStatus",
    [(value.upper(), value) for value in Registration.SyncStatus.values],
    description="Where the registration stands with the video provider.",
)


class Registrant(DjangoObjectType):
    """One registration: personal data, only for callers the policy allows."""

    #: The columns the fields below read. A page of registrants loads only these
    #: (a registration has about 50; the join link and the sync bookkeeping are
    #: never shown here), so a list costs what it shows. A field that reads another
    #: column must add it: tests/graphql/test_query_counts.py would see a query
    #: per registrant otherwise.
    COLUMNS = (
        "id",
        "page_id",
        "first_name",
        "last_name",
        "email",
        "status",
        "registered_at",
        "cancelled_at",
        "sync_status",
        "sync_error",
        "reminder_sent_at",
        "join_opened_at",
        "join_clicked_at",
        "checked_in_at",
        "checkin_source",
        "attended_minutes",
        "form_data",
    )

    class Meta:
        model = Registration
        name = "Registrant"
        fields = (
            "id",
            "first_name",
            "last_name",
            "email",
            "registered_at",
            "cancelled_at",
            "reminder_sent_at",
            "checked_in_at",
        )
        use_connection = True
        connection_class = CountedConnection

    event_id = graphene.Int(required=True)
    status = graphene.Field(RegistrationStatus, required=True)
    sync_status = graphene.Field(SyncStatus, required=True)
    sync_problem = graphene.String(description="Why the provider sync failed, in words.")
    opened_at = graphene.DateTime(description="When the reminder's join link was first opened.")
    clicked_at = graphene.DateTime(description="When the join button was first clicked.")
    checked_in = graphene.Boolean(required=True)
    check_in_source = graphene.String(description="How the check-in was recorded, in words.")
    check_in_minutes = graphene.Int(description="Minutes attended, from the provider's report.")
    answers = graphene.List(graphene.NonNull(Answer), required=True)

    @classmethod
    def is_type_of(cls, root, info):
        return isinstance(root, Registration)

    def resolve_event_id(self, info):
        return self.page_id

    def resolve_status(self, info):
        return self.status

    def resolve_sync_status(self, info):
        return self.sync_status

    def resolve_sync_problem(self, info):
        return self.sync_error or None

    def resolve_opened_at(self, info):
        return self.join_opened_at

    def resolve_clicked_at(self, info):
        return self.join_clicked_at

    def resolve_checked_in(self, info):
        return self.checked_in_at is not None

    def resolve_check_in_source(self, info):
        return self.get_checkin_source_display() if self.checkin_source else None

    def resolve_check_in_minutes(self, info):
        return getattr(self, "attended_minutes", None)

    def resolve_answers(self, info):
        answers = []
        for name, label in question_labels(info, self.page_id):
            value = self.form_data.get(name)
            if isinstance(value, list | tuple):
                value = ", ".join(str(v) for v in value)
            answers.append(Answer(name=name, label=label, value=None if value is None else value))
        return answers


class RegistrantFilterSet(django_filters.FilterSet):
    """The ``registrants`` filters."""

    # Plain text matched without case, so the enum names (REGISTERED) work as well.
    status = django_filters.CharFilter(method="filter_choice")
    checked_in = django_filters.BooleanFilter(method="filter_checked_in")
    sync_status = django_filters.CharFilter(method="filter_choice")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Registration
        fields = ["status", "sync_status"]

    def filter_choice(self, queryset, name, value):
        return queryset.filter(**{name: str(value).strip().lower()})

    def filter_checked_in(self, queryset, name, value):
        return queryset.filter(checked_in_at__isnull=not value)

    def filter_search(self, queryset, name, value):
        # Plain lookups, as the admin list: personal data stays out of search indexes.
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )


def caller_can_see_outcome(info, event_id: int) -> bool:
    return get_caller(info).can_for_event(VIEW, event_id)


class UnmatchedParticipant(DjangoObjectType):
    """Someone in the provider's report who matched no registration (personal data)."""

    class Meta:
        model = UnmatchedParticipantModel
        name = "UnmatchedParticipant"
        fields = ("id", "name", "email", "minutes", "first_join", "last_leave", "joined_briefly")
        use_connection = True
        connection_class = CountedConnection

    event_id = graphene.Int(required=True)
    state = graphene.String(required=True, description="To review, linked, registered, dismissed.")

    @classmethod
    def is_type_of(cls, root, info):
        return isinstance(root, UnmatchedParticipantModel)

    def resolve_event_id(self, info):
        return self.page_id

    def resolve_state(self, info):
        return self.state
