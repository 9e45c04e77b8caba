"""Limits on what one request may ask: depth, number of selected fields, introspection.

Checked while the query is validated, before anything runs. Page sizes (at most
100 per connection) are enforced by the connection fields themselves.
"""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from graphene.validation import DisableIntrospection, depth_limit_validator
from graphql import GraphQLError
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode
from graphql.validation import ValidationRule, specified_rules

from ..conf import get_setting


def selection_limit_validator(max_selections: int):
    """A rule refusing documents that select more than ``max_selections`` fields,
    fragments expanded (a fragment spread twice counts twice): a cheap cost limit."""

    class SelectionLimit(ValidationRule):
        def enter_document(self, node, *_args):
            fragments = {
                d.name.value: d for d in node.definitions if d.kind == "fragment_definition"
            }
            total = 0
            for definition in node.definitions:
                if definition.kind == "operation_definition":
                    total += _count(definition.selection_set, fragments, set())
                    if total > max_selections:
                        self.report_error(
                            GraphQLError(
                                f"The query selects more than {max_selections} fields; "
                                "ask for fewer or split it."
                            )
                        )
                        return self.BREAK
            return None

    return SelectionLimit


def _count(selection_set, fragments, seen) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection: switched off separately, not a cost
            total += 1 + _count(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _count(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # cycles and unknown fragments are reported by the standard rules
            total += _count(fragments[name].selection_set, fragments, seen | {name})
    return total


def introspection_allowed() -> bool:
    setting = get_setting("GRAPHQL_INTROSPECTION")
    return settings.DEBUG if setting is None else bool(setting)


class Limits(NamedTuple):
    """The limits one request is checked against (read from the settings per
    request, so ``override_settings`` and a host's changes apply)."""

    max_depth: int
    max_selections: int
    introspection: bool

    @classmethod
    def current(cls) -> Limits:
        return cls(
            max_depth=get_setting("GRAPHQL_MAX_DEPTH"),
            max_selections=get_setting("GRAPHQL_MAX_SELECTIONS"),
            introspection=introspection_allowed(),
        )

    def validation_rules(self) -> list:
        """GraphQL's own rules (unknown fields, wrong argument types, ...) and ours:
        graphql-core checks only the rules it is given."""
        rules = [
            *specified_rules,
            depth_limit_validator(max_depth=self.max_depth),
            selection_limit_validator(self.max_selections),
        ]
        if not self.introspection:
            rules.append(DisableIntrospection)
        return rules


def validation_rules() -> list:
    """Every rule a request is checked against now, GraphQL's own included: for a
    host's own view (``GraphQLView(validation_rules=...)`` replaces graphene's
    defaults, so they must be in the list)."""
    return Limits.current().validation_rules()
