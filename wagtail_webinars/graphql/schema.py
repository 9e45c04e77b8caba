"""A ready schema for a site that has none of its own.

A host project with its own graphene schema mixes the classes in instead::

    from wagtail_webinars.graphql import Mutation as WebinarsMutation, Query as WebinarsQuery

    class Query(WebinarsQuery, MyQuery, graphene.ObjectType): ...
    class Mutation(WebinarsMutation, MyMutation, graphene.ObjectType): ...
"""

from __future__ import annotations

import graphene

from .mutations import Mutation
from .queries import Query

schema = graphene.Schema(query=Query, mutation=Mutation, auto_camelcase=True)


def printed_schema() -> str:
    """The schema in GraphQL's SDL, as kept in ``schema.graphql``."""
    return str(schema).rstrip() + "\n"
