"""The GraphQL API (graphene-django): events, headcounts, registrants and registration.

``Query`` and ``Mutation`` mix into a host project's schema; :mod:`.schema` has a
ready schema and :mod:`.views` a view serving it (see docs/graphql.md). Imported
lazily: importing this package must not import models before apps are ready.
"""

from __future__ import annotations


def __getattr__(name):
    if name == "Query":
        from .queries import Query

        return Query
    if name == "Mutation":
        from .mutations import Mutation

        return Mutation
    raise AttributeError(name)
