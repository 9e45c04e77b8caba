"""The stand-in's account: ``GET /v2/users/me`` and the scopes its token endpoint grants.

``control/scopes`` (``scopes=...``, space-separated; blank: all of them again) makes
the token endpoint grant fewer scopes, as a Zoom app whose admin left some out, so
the admin's "Test Zoom connection" screen has something missing to name. Calls that
need a scope the token lacks answer Zoom's 400 code 4700 ("Invalid access token,
does not contain scopes"); the stand-in enforces that for ``users/me`` only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import FailureMode

#: Everything the stand-in grants by default (classic scope names).
ALL_SCOPES = (
    "meeting:read:admin",
    "meeting:write:admin",
    "report:read:admin",
    "user:read:admin",
    "webinar:read:admin",
    "webinar:write:admin",
)
ACCOUNT_NUMBER = 123456789


def granted_scopes() -> str:
    failure = FailureMode.objects.first()
    if failure is not None and failure.granted_scopes.strip():
        return " ".join(failure.granted_scopes.split())
    return " ".join(ALL_SCOPES)


def _users_me(request: HttpRequest) -> JsonResponse:
    from .seed import DEMO_HOST_EMAIL
    from .views import ACCOUNT_ID, zoom_error

    if "user:read:admin" not in granted_scopes().split():
        return zoom_error(
            400, 4700, "Invalid access token, does not contain scopes:[user:read:admin]."
        )
    return JsonResponse(
        {
            "id": "standinHost0000001",
            "first_name": "Demo",
            "last_name": "Host",
            "email": DEMO_HOST_EMAIL,
            "type": 2,
            "role_name": "Owner",
            "account_id": ACCOUNT_ID,
            "account_number": ACCOUNT_NUMBER,
            "status": "active",
            "timezone": "America/New_York",
        }
    )


def users_me(request: HttpRequest) -> HttpResponse:
    from .views import zoom_api

    return zoom_api(require_GET(_users_me))(request)


@csrf_exempt
@require_POST
def control_scopes(request: HttpRequest) -> HttpResponse:
    from .views import _control_reply

    failure = FailureMode.objects.first() or FailureMode()
    failure.granted_scopes = " ".join(request.POST.get("scopes", "").split())[:500]
    failure.save()
    return _control_reply(request, {"scope": granted_scopes()})
