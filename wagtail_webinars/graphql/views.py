"""The GraphQL endpoint: authentication, CSRF for session mutations, limits, errors.

Two ways in: the Django session (same-site apps; a mutation made with a
logged-in session must carry Django's CSRF token, as a form post would) and
``Authorization: Bearer <token>`` with an API token (server-side apps; no
cookies, so no CSRF). GraphiQL is offered only with ``DEBUG``.

A request's document is parsed and validated once (and kept for the next request
that sends the same text: :mod:`.documents`), then checked for CSRF, then run.
"""

from __future__ import annotations

import json
import logging
from types import CoroutineType

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from graphene_django.constants import MUTATION_ERRORS_FLAG
from graphene_django.settings import graphene_settings
from graphene_django.views import GraphQLView, HttpError
from graphql import (
    ExecutionContext,
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
)

from ..models import ApiToken
from . import documents
from .limits import Limits
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


class SyncExecutionContext(ExecutionContext):
    """This endpoint is a plain (WSGI) Django view and no resolver of ours is
    asynchronous. graphql-core asks of every field's value whether it is
    awaitable, in a generic way that cost 3% of a page of registrants; here only
    a coroutine (an ``async def`` resolver) is, and it then fails as it would
    have anyway, with an error instead of an answer."""

    is_awaitable = staticmethod(lambda value: type(value) is CoroutineType)


class WebinarsGraphQLView(GraphQLView):
    #: ``None``: GraphiQL follows ``DEBUG``; ``as_view(graphiql=True/False)`` decides.
    graphiql = None
    execution_context_class = SyncExecutionContext

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
        if self.graphiql is None:  # a new view instance per request: read DEBUG now
            self.graphiql = settings.DEBUG
        return super().dispatch(request, *args, **kwargs)

    def execute_graphql_request(
        self, request, data, query, variables, operation_name, show_graphiql=False
    ):
        """graphene-django's steps (parse, refuse a GET that changes things,
        validate, run; mutations in a transaction if ``ATOMIC_MUTATIONS`` says
        so), with the checked document kept and the CSRF check of session
        mutations between parsing and running."""
        if not query:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseBadRequest(_("Must provide query string.")))
        if not isinstance(query, str):
            raise HttpError(HttpResponseBadRequest(_("The query must be a string.")))
        schema = self.schema.graphql_schema
        checked = documents.check(schema, query, Limits.current())
        if checked.syntax_error is not None:
            return ExecutionResult(errors=[checked.syntax_error])
        operation = get_operation_ast(checked.document, operation_name)
        kind = operation.operation if operation is not None else None
        if request.method.lower() == "get" and kind not in (None, OperationType.QUERY):
            if show_graphiql:
                return None
            raise HttpError(
                HttpResponseNotAllowed(
                    ["POST"], f"Can only perform a {kind.value} operation from a POST request."
                )
            )
        if kind == OperationType.MUTATION and self._session_needs_csrf(request):
            refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if refused is not None:
                raise HttpError(
                    refused,
                    _("CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."),
                )
        if checked.errors:
            return ExecutionResult(data=None, errors=list(checked.errors))
        run = {
            "root_value": self.get_root_value(request),
            "context_value": self.get_context(request),
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
            "execution_context_class": self.execution_context_class,
        }
        try:
            if kind == OperationType.MUTATION and _atomic_mutations():
                with transaction.atomic():
                    result = execute(schema, checked.document, **run)
                    if getattr(request, MUTATION_ERRORS_FLAG, False) is True:
                        transaction.set_rollback(True)
                return result
            return execute(schema, checked.document, **run)
        except Exception as error:  # graphene-django's way: reported by format_error
            return ExecutionResult(errors=[error])

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


def _atomic_mutations() -> bool:
    return (
        graphene_settings.ATOMIC_MUTATIONS is True
        or connection.settings_dict.get("ATOMIC_MUTATIONS", False) is True
    )


#: The view to route: ``path("graphql/", graphql_view)``. CSRF is checked by the view
#: itself, for session mutations only (token callers send no cookies).
graphql_view = csrf_exempt(WebinarsGraphQLView.as_view())
