"""A middleware for the server benchmarks: the SQL statements of each request.

It counts every statement the request's code sends on the default connection
(the queued task's insert included: it runs when the registration commits,
inside the request) and puts the number in the ``X-Bench-Queries`` header, so the
load generator learns the cost of each request from the real server.
"""

from __future__ import annotations

from django.db import connection


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        return response
