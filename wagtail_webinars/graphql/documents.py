"""Parsing and validating a GraphQL document, once per text and set of limits.

Apps send the same few documents again and again, and parsing and validating one
took about a fifth of a whole request for a page of a hundred registrants
(benchmarks/graphql.py). A document's syntax and its validity depend only on its
text, the schema and the limits of :mod:`.limits`, so the outcome is kept, by
text and limits, for the :data:`CACHED_DOCUMENTS` most recent ones. Changing a
limit (``GRAPHQL_MAX_DEPTH``, ...) gives new keys, so it applies at once. Longer
texts than :data:`CACHEABLE_LENGTH` are checked every time, so what is kept stays
small whatever people send.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphene_django.settings import graphene_settings
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from .limits import Limits

#: A parsed document takes about 90 bytes a character: at most 128 of at most 4,000
#: characters keep the cache under about 45 MB a process whatever is sent (the
#: documents apps send are a few hundred characters).
CACHED_DOCUMENTS = 128
CACHEABLE_LENGTH = 4_000


@dataclass(frozen=True)
class CheckedDocument:
    """A document and what checking it found: ``syntax_error`` (then no
    ``document``) or the validation ``errors`` (empty when it may run)."""

    document: DocumentNode | None
    syntax_error: GraphQLError | None = None
    errors: tuple[GraphQLError, ...] = ()


def check(schema: GraphQLSchema, query: str, limits: Limits) -> CheckedDocument:
    if len(query) > CACHEABLE_LENGTH:
        return _check(schema, query, limits)
    return _check_cached(schema, query, limits)


def _check(schema: GraphQLSchema, query: str, limits: Limits) -> CheckedDocument:
    try:
        document = parse(query)
    except GraphQLError as error:
        return CheckedDocument(document=None, syntax_error=error)
    errors = validate(
        schema, document, limits.validation_rules(), graphene_settings.MAX_VALIDATION_ERRORS
    )
    return CheckedDocument(document=document, errors=tuple(errors))


_check_cached = lru_cache(maxsize=CACHED_DOCUMENTS)(_check)
