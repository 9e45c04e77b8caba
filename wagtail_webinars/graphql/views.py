"""The GraphQL endpoint: authentication, CSRF for session mutations, limits, errors.

Two ways in: the Django session (same-site apps; a mutation made with a
logged-in session must carry Django's CSRF token, as a form post would) and
``Authorization: Bearer <token>`` with an API token (server-side apps; no
cookies, so no CSRF). GraphiQL is offered only with ``DEBUG``.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView, HttpError
from graphql import GraphQLError, OperationType, get_operation_ast, parse

from ..models import ApiToken
from .limits import validation_rules
from .permissions import Caller

logger = logging.getLogger(__name__)


def _json_error(status: int, message: str, code: str) -> HttpResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def authenticate(request) -> Caller | HttpResponse:
    """The caller, from the bearer token if one is sent, else from the session."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return Caller(user=request.user)
    scheme, _sep, raw = header.partition(" ")
    token = ApiToken.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        response = _json_error(
            401, _("The API token is not valid, has expired or was revoked."), "UNAUTHENTICATED"
        )
        response["WWW-Authenticate"] = "Bearer"
        return response
    return Caller(user=token.user, token=token)


class WebinarsGraphQLView(GraphQLView):
    #: ``None``: GraphiQL follows ``DEBUG``; ``as_view(graphiql=True/False)`` decides.
    graphiql = None

    def __init__(self, **kwargs):
        if kwargs.get("schema") is None:
            from .schema import schema

            kwargs["schema"] = schema
        super().__init__(**kwargs)

    def dispatch(self, request, *args, **kwargs):
        caller = authenticate(request)
        if isinstance(caller, HttpResponse):
            return caller
        request.webinars_caller = caller
        # Settings are read per request, so override_settings and hosts' changes apply.
        self.validation_rules = validation_rules()
        if self.graphiql is None:  # a new view instance per request: read DEBUG now
            self.graphiql = settings.DEBUG
        return super().dispatch(request, *args, **kwargs)

    def execute_graphql_request(
        self, request, data, query, variables, operation_name, show_graphiql=False
    ):
        if query and self._session_needs_csrf(request):
            try:
                operation = get_operation_ast(parse(query), operation_name)
            except GraphQLError:
                operation = None  # the parent reports the syntax error
            if operation is not None and operation.operation == OperationType.MUTATION:
                refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
                if refused is not None:
                    raise HttpError(
                        refused,
                        _("CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."),
                    )
        return super().execute_graphql_request(
            request, data, query, variables, operation_name, show_graphiql
        )

    @staticmethod
    def _session_needs_csrf(request) -> bool:
        caller = request.webinars_caller
        return caller.token is None and caller.is_authenticated

    @staticmethod
    def format_error(error):
        """GraphQL's own errors as they are; anything unexpected as a plain sentence,
        never its text or a stack trace (it is logged instead)."""
        if isinstance(error, GraphQLError):
            original = error.original_error
            if original is None or isinstance(original, GraphQLError):
                return error.formatted
            logger.error("GraphQL resolver failed", exc_info=original)
            formatted = error.formatted
            formatted["message"] = _("Something went wrong on our side. Please try again.")
            formatted["extensions"] = {"code": "INTERNAL_ERROR"}
            return formatted
        if isinstance(error, HttpError):
            return {"message": str(error.message)}
        logger.error("GraphQL request failed", exc_info=error)
        return {"message": _("Something went wrong on our side. Please try again.")}


#: The view to route: ``path("graphql/", graphql_view)``. CSRF is checked by the view
#: itself, for session mutations only (token callers send no cookies).
graphql_view = csrf_exempt(WebinarsGraphQLView.as_view())
