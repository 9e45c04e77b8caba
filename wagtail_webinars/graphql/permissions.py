"""Who is calling and what they may do, for every resolver.

The caller is the Django user (session) or the creator of an API token, and a
token narrows what that user may do to its scope: a token never grants more
than its creator could. Every answer about registrations comes from the one
registration permission policy (:mod:`wagtail_webinars.permissions`), asked at
most once per request and action (the event ids are kept on the request).

A refusal raises :class:`PermissionDenied`: GraphQL reports it as an error and
answers ``null`` for that field, so nothing of it leaks.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from graphql import GraphQLError

from ..permissions import registration_policy

VIEW = "view"
ADD = "add"
CHANGE = "change"
WRITE_ACTIONS = ("add", "change", "delete")


class PermissionDenied(GraphQLError):
    """The caller may not see or do this (a GraphQL error, never a 500)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("You do not have permission to see or do this."),
            extensions={"code": "PERMISSION_DENIED"},
        )


@dataclass
class Caller:
    user: object
    #: The API token used, or ``None`` for the session (or anonymous).
    token: object | None = None
    _events: dict[str, frozenset[int] | None] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    def token_allows(self, action: str) -> bool:
        return self.token is None or action not in WRITE_ACTIONS or self.token.can_write

    def has_permission(self, action: str) -> bool:
        """Whether the caller holds the Registration permission for ``action`` at all."""
        if not self.is_authenticated or not self.token_allows(action):
            return False
        return registration_policy.user_has_permission(self.user, action)

    def event_ids(self, action: str) -> frozenset[int] | None:
        """The events whose registrations the caller may ``action``; ``None`` means all."""
        if action not in self._events:
            if not self.has_permission(action):
                self._events[action] = frozenset()
            elif self.user.is_superuser:
                self._events[action] = None
            else:
                ids = registration_policy.events_for_user(self.user, action)
                self._events[action] = frozenset(ids)
        return self._events[action]

    def can_for_event(self, action: str, event_id: int) -> bool:
        ids = self.event_ids(action)
        return ids is None or event_id in ids


def get_caller(info) -> Caller:
    """The caller of this request (set by the view; anonymous when run without one)."""
    request = info.context
    caller = getattr(request, "webinars_caller", None)
    if caller is None:
        caller = Caller(user=getattr(request, "user", None) or AnonymousUser())
        # A context that takes no attributes (a dict, None) just asks again next time.
        with contextlib.suppress(AttributeError):
            request.webinars_caller = caller
    return caller


def require_for_event(info, action: str, event_id: int) -> Caller:
    caller = get_caller(info)
    if not caller.can_for_event(action, event_id):
        raise PermissionDenied()
    return caller
