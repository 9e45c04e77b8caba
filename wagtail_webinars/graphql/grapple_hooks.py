"""wagtail-grapple: our query and mutation fields join grapple's schema.

Grapple builds its schema from the ``register_schema_query`` and
``register_schema_mutation`` Wagtail hooks; ``wagtail_hooks.py`` registers these
two functions, which only grapple ever calls. Serve grapple's schema with our view
(``WebinarsGraphQLView.as_view(schema=grapple.schema.schema)``) to keep API tokens,
CSRF for session mutations, the limits and error masking.
"""

from __future__ import annotations


def add_queries(query_mixins: list) -> None:
    from .queries import Query

    query_mixins.append(Query)


def add_mutations(mutation_mixins: list) -> None:
    from .mutations import Mutation

    mutation_mixins.append(Mutation)
