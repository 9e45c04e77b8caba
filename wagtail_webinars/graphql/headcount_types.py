"""The headcount type: the admin report's figures, from :mod:`wagtail_webinars.headcounts`."""

from __future__ import annotations

import graphene


class SourceCount(graphene.ObjectType):
    source = graphene.String(required=True, description="How they were checked in (a code).")
    label = graphene.String(required=True, description="How they were checked in, in words.")
    count = graphene.Int(required=True)


class Headcount(graphene.ObjectType):
    """Who registered, was reminded, clicked and came: the same figures as the report."""

    event_id = graphene.Int(required=True)
    registered = graphene.Int(required=True, description="Every registration, active or not.")
    active = graphene.Int(required=True)
    cancelled = graphene.Int(required=True)
    reminders_sent = graphene.Int(required=True)
    links_opened = graphene.Int(required=True, description="Join links opened (mail scanners too).")
    clicked = graphene.Int(required=True, description="People who clicked the join button.")
    checked_in = graphene.Int(required=True)
    checked_in_by_source = graphene.List(graphene.NonNull(SourceCount), required=True)
    joined_briefly = graphene.Int(required=True)
    no_shows = graphene.Int(required=True, description="Active and not checked in, once ended.")
    attendance_rate = graphene.Float(description="Checked in / active, 0 to 1; null if nobody.")
    unmatched = graphene.Int(required=True, description="Participants matching no registration.")
    last_pull_state = graphene.String(description="The latest participant pull's state.")
    last_pull_at = graphene.DateTime()

    def resolve_checked_in_by_source(self, info):
        from ..models import Registration

        labels = dict(Registration.CheckinSource.choices)
        return [
            SourceCount(source=source, label=str(labels.get(source, source)), count=count)
            for source, count in sorted(self.checked_in_by_source.items())
        ]

    def resolve_last_pull_state(self, info):
        return self.last_pull_state or None
