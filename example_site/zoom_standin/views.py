"""A small Zoom: the HTTP contract of the endpoints wagtail-webinars uses, state in the DB.

Mounted at ``/zoom-standin/``: ``oauth/token`` is Zoom's token endpoint and
``v2/...`` its REST API. Answers follow Zoom's OpenAPI description (the
contract tests check that) and Zoom's observed habits: 401 code 124 for a bad
token, 400 code 3000 for a webinar ID on the meeting path, 404 code 404 /
400 code 3000 for "registration not enabled", 400 code 3027 when the host
registers, 429 after ~3 adds a day for one registrant, ``next_page_token`` paging.

``control/...`` lets a person or a test make it misbehave (500s, 429 with
Retry-After, late answers, rejected tokens). This is demo code: it is CSRF-exempt
on purpose (Zoom's API has no CSRF, and curl drives the controls) and must
never be deployed.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import time
from datetime import UTC, datetime, timedelta
from functools import wraps

from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import account, recurring, webhooks
from .models import AccessToken, FailureMode, Meeting, Participant, Registrant

#: The demo's Server-to-Server OAuth app (see example_site/settings.py).
ACCOUNT_ID = "demo-account"
CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"
TOKEN_SECONDS = 3599

ADD_LIMIT_PER_DAY = 3
STATUS_LIMIT_PER_DAY = 10
MAX_PAGE_SIZE = 300
PAGE_TOKEN_SALT = "zoom-standin-page"
PAGE_TOKEN_MAX_AGE = 15 * 60  # Zoom's next_page_token lives 15 minutes


# -- helpers ---------------------------------------------------------------------------
def zoom_error(status: int, code: int, message: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def zoom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("zoom_standin:dashboard")).rstrip("/")


def _next_midnight_utc() -> datetime:
    now = datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _daily_limit(label: str, limit: int, email: str) -> JsonResponse:
    return zoom_error(
        429,
        429,
        f'You have exceeded the daily rate limit of "{limit}" for {label} API requests for '
        f'the registrant "{email}". You can resume these API requests at GMT 00:00:00.',
        headers={
            "Retry-After": zoom_time(_next_midnight_utc()),
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Category": "Light",
        },
    )


def _json_body(request: HttpRequest):
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None


def _validation_failed(errors: list[dict]) -> JsonResponse:
    response = zoom_error(400, 300, "Validation Failed.")
    payload = json.loads(response.content)
    payload["errors"] = errors
    return JsonResponse(payload, status=400)


def _page_params(request: HttpRequest) -> tuple[int, int] | JsonResponse:
    try:
        size = int(request.GET.get("page_size") or 30)
    except ValueError:
        return _validation_failed([{"field": "page_size", "message": "Invalid field."}])
    size = max(1, min(size, MAX_PAGE_SIZE))
    token = request.GET.get("next_page_token")
    offset = 0
    if token:
        try:
            offset = int(signing.loads(token, salt=PAGE_TOKEN_SALT, max_age=PAGE_TOKEN_MAX_AGE))
        except (signing.BadSignature, ValueError):
            return zoom_error(400, 300, "The next page token is invalid or expired.")
    return size, offset


def _page_envelope(total: int, size: int, offset: int) -> dict:
    following = offset + size
    return {
        "page_count": max(math.ceil(total / size), 1) if total else 0,
        "page_size": size,
        "total_records": total,
        "next_page_token": (
            signing.dumps(following, salt=PAGE_TOKEN_SALT) if following < total else ""
        ),
    }


def _failure_for(request: HttpRequest) -> FailureMode | None:
    failure = FailureMode.objects.first()
    if failure is None or not failure.mode:
        return None
    if failure.path_contains and failure.path_contains not in request.path:
        return None
    if failure.remaining:
        left = failure.remaining - 1
        FailureMode.objects.filter(pk=failure.pk).update(
            remaining=left, mode=failure.mode if left else FailureMode.NONE
        )
    return failure


def zoom_api(view):
    """Bearer-token check (Zoom's 401 code 124) and the failure switch, for every API view."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        known = AccessToken.objects.filter(token=token).first() if token else None
        if known is None:
            return zoom_error(401, 124, "Invalid access token.")
        if known.expires_at <= timezone.now():
            return zoom_error(401, 124, "Access token is expired.")
        failure = _failure_for(request)
        if failure is not None:
            if failure.mode == FailureMode.ERROR_500:
                return zoom_error(500, 500, "Internal server error (stand-in failure mode).")
            if failure.mode == FailureMode.RATE_LIMIT:
                return zoom_error(
                    429,
                    429,
                    "You have reached the maximum per-second rate limit for this API. "
                    "Try again later.",
                    headers={
                        "Retry-After": str(failure.retry_after),
                        "X-RateLimit-Type": "QPS",
                        "X-RateLimit-Category": "Light",
                    },
                )
            if failure.mode == FailureMode.BAD_TOKEN:
                return zoom_error(401, 124, "Invalid access token.")
            if failure.mode == FailureMode.TIMEOUT:
                # Do the work, answer late: the caller cannot know whether it landed.
                response = view(request, *args, **kwargs)
                time.sleep(failure.delay_seconds)
                return response
        return view(request, *args, **kwargs)

    return wrapper


def _find(kind: str, zoom_id: int) -> Meeting | JsonResponse:
    meeting = Meeting.objects.filter(zoom_id=zoom_id).first()
    if meeting is not None and meeting.kind == kind:
        return meeting
    if kind == Meeting.MEETING and meeting is not None:
        # Zoom's answer to a webinar ID on the meeting path.
        return zoom_error(400, 3000, "Cannot access webinar info.")
    noun = "Meeting" if kind == Meeting.MEETING else "Webinar"
    return zoom_error(404, 3001, f"{noun} does not exist: {zoom_id}.")


def _require_registration(meeting: Meeting) -> JsonResponse | None:
    if meeting.approval_type != 2:
        return None
    if meeting.kind == Meeting.MEETING:
        return zoom_error(
            404, 404, f"Registration has not been enabled for this meeting: {meeting.zoom_id}."
        )
    return zoom_error(
        400, 3000, f"Webinar {meeting.zoom_id} does not have registration as required."
    )


def _meeting_id_field(meeting: Meeting):
    # Zoom's spec types the registrant answer's id as int64 for meetings, string for webinars.
    return meeting.zoom_id if meeting.kind == Meeting.MEETING else str(meeting.zoom_id)


def _join_url(request: HttpRequest, meeting: Meeting, registrant: Registrant | None = None) -> str:
    url = request.build_absolute_uri(reverse("zoom_standin:join", args=[meeting.zoom_id]))
    if registrant is not None:
        return f"{url}?tk={registrant.join_token}"
    return f"{url}?pwd={meeting.encrypted_password}"


def _today():
    return datetime.now(UTC).date()


def _count_add(registrant: Registrant) -> bool:
    """Count one add request for an existing registrant; False when over Zoom's daily cap."""
    today = _today()
    if registrant.add_requests_day != today:
        registrant.add_requests_day, registrant.add_requests = today, 0
    if registrant.add_requests >= ADD_LIMIT_PER_DAY:
        return False
    registrant.add_requests += 1
    registrant.save(update_fields=["add_requests_day", "add_requests"])
    return True


def _new_registrant(meeting: Meeting, email: str, first: str, last: str, approve: bool):
    return Registrant.objects.create(
        meeting=meeting,
        registrant_id=secrets.token_urlsafe(16)[:22],
        email=email,
        first_name=first,
        last_name=last,
        status=Registrant.APPROVED if approve else Registrant.PENDING,
        join_token=secrets.token_urlsafe(24),
        add_requests_day=_today(),
        add_requests=1,
    )


def _check_person(item, index: int | None = None) -> list[dict]:
    prefix = f"registrants[{index}]." if index is not None else ""
    errors = []
    if not isinstance(item, dict):
        return [{"field": prefix.rstrip(".") or "body", "message": "Invalid field."}]
    email = item.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 128:
        errors.append({"field": prefix + "email", "message": "Invalid field."})
    first = item.get("first_name")
    if not isinstance(first, str) or not first.strip() or len(first) > 64:
        errors.append({"field": prefix + "first_name", "message": "Invalid field."})
    last = item.get("last_name", "")
    if not isinstance(last, str) or len(last) > 64:
        errors.append({"field": prefix + "last_name", "message": "Invalid field."})
    return errors


# -- OAuth -----------------------------------------------------------------------------------
@csrf_exempt
@require_POST
def oauth_token(request: HttpRequest) -> JsonResponse:
    """``POST oauth/token``: Server-to-Server OAuth, ``grant_type=account_credentials``."""
    header = request.headers.get("Authorization", "")
    client_id = client_secret = ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
            client_id, _sep, client_secret = decoded.partition(":")
        except (ValueError, UnicodeDecodeError):
            pass
    if not (
        secrets.compare_digest(client_id, CLIENT_ID)
        and secrets.compare_digest(client_secret, CLIENT_SECRET)
    ):
        return JsonResponse(
            {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
            status=401,
        )
    grant_type = request.POST.get("grant_type") or request.GET.get("grant_type")
    if grant_type != "account_credentials":
        return JsonResponse(
            {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}, status=400
        )
    account_id = request.POST.get("account_id") or request.GET.get("account_id")
    if account_id != ACCOUNT_ID:
        return JsonResponse(
            {"reason": "Invalid account_id", "error": "invalid_request"}, status=400
        )
    token = secrets.token_urlsafe(32)
    AccessToken.objects.filter(expires_at__lte=timezone.now()).delete()
    AccessToken.objects.create(
        token=token, expires_at=timezone.now() + timedelta(seconds=TOKEN_SECONDS)
    )
    return JsonResponse(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": account.granted_scopes(),
            # Like Zoom: a bare base without /v2.
            "api_url": _base_url(request),
        }
    )


# -- meetings and webinars -------------------------------------------------------------------
@zoom_api
@require_http_methods(["GET"])
def get_meeting(request: HttpRequest, kind: str, zoom_id: int) -> JsonResponse:
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    settings = {
        "approval_type": meeting.approval_type,
        "registrants_confirmation_email": meeting.registrants_confirmation_email,
        "registrants_email_notification": meeting.registrants_confirmation_email,
        "close_registration": False,
    }
    if meeting.type in (8, 9):
        settings["registration_type"] = 1
    data = {
        "id": meeting.zoom_id,
        "uuid": base64.b64encode(str(meeting.zoom_id).encode()).decode(),
        "host_id": meeting.host_id,
        "host_email": meeting.host_email,
        "topic": meeting.topic,
        "type": meeting.type,
        "start_time": zoom_time(meeting.start_time),
        "duration": meeting.duration,
        "timezone": meeting.timezone,
        "agenda": "",
        "created_at": zoom_time(meeting.created_at),
        "start_url": _base_url(request) + f"/s/{meeting.zoom_id}",
        "join_url": _join_url(request, meeting),
        "password": meeting.password,
        "settings": settings,
    }
    if meeting.type in recurring.RECURRING_TYPES:
        data["occurrences"] = recurring.payload(recurring.occurrences(meeting))
    if kind == Meeting.MEETING:
        data["status"] = "waiting"
        data["encrypted_password"] = meeting.encrypted_password
    return JsonResponse(data)


# -- registrants --------------------------------------------------------------------------
@zoom_api
@require_http_methods(["GET", "POST"])
def registrants(request: HttpRequest, kind: str, zoom_id: int) -> JsonResponse:
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    problem = _require_registration(meeting)
    if problem is not None:
        return problem
    if request.method == "GET":
        return _list_registrants(request, meeting)
    return _add_registrant(request, meeting)


@zoom_api
@require_http_methods(["GET"])
def registrant(request: HttpRequest, kind: str, zoom_id: int, registrant_id: str) -> JsonResponse:
    """``GET .../registrants/{registrantId}``: one registrant, whatever their status."""
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    found = Registrant.objects.filter(meeting=meeting, registrant_id=registrant_id).first()
    if found is None:
        return zoom_error(404, 3000, f"Registrant {registrant_id} was not found.")
    return JsonResponse(
        {
            "id": found.registrant_id,
            "email": found.email,
            "first_name": found.first_name,
            "last_name": found.last_name,
            "status": found.api_status,
            "create_time": zoom_time(found.create_time),
            "join_url": (
                _join_url(request, meeting, found) if found.status == Registrant.APPROVED else ""
            ),
        }
    )


def _list_registrants(request: HttpRequest, meeting: Meeting) -> JsonResponse:
    status = request.GET.get("status") or Registrant.APPROVED
    if status not in (Registrant.APPROVED, Registrant.PENDING, Registrant.DENIED):
        return _validation_failed([{"field": "status", "message": "Invalid field."}])
    paging = _page_params(request)
    if isinstance(paging, JsonResponse):
        return paging
    size, offset = paging
    wanted = [Registrant.DENIED, Registrant.CANCELLED] if status == Registrant.DENIED else [status]
    rows = Registrant.objects.filter(meeting=meeting, status__in=wanted).order_by("pk")
    occurrence = recurring.requested(request, meeting, "occurrence_id")
    if isinstance(occurrence, JsonResponse):
        return occurrence
    if occurrence:
        chosen = [r.pk for r in rows if recurring.registered_for(r, occurrence[0])]
        rows = rows.filter(pk__in=chosen)
    total = rows.count()
    page = list(rows[offset : offset + size])
    return JsonResponse(
        {
            **_page_envelope(total, size, offset),
            "registrants": [
                {
                    "id": r.registrant_id,
                    "email": r.email,
                    "first_name": r.first_name,
                    "last_name": r.last_name,
                    "status": r.api_status,
                    "create_time": zoom_time(r.create_time),
                    "join_url": _join_url(request, meeting, r),
                    "custom_questions": [],
                }
                for r in page
            ],
        }
    )


def _add_registrant(request: HttpRequest, meeting: Meeting) -> JsonResponse:
    body = _json_body(request)
    errors = _check_person(body)
    if errors:
        return _validation_failed(errors)
    email = body["email"].strip().lower()
    if email == meeting.host_email.lower():
        return zoom_error(400, 3027, "Host cannot register")
    wanted = recurring.requested(request, meeting, "occurrence_ids")
    if isinstance(wanted, JsonResponse):
        return wanted
    with transaction.atomic():
        existing = (
            Registrant.objects.select_for_update().filter(meeting=meeting, email=email).first()
        )
        if existing is not None:
            # Zoom answers a repeated add with the registrant it already has, and
            # counts it against the per-registrant daily limit.
            if not _count_add(existing):
                return _daily_limit("Add meeting registrant", ADD_LIMIT_PER_DAY, email)
            registrant = existing
        else:
            approve = meeting.approval_type == 0 or (
                meeting.kind == Meeting.MEETING and body.get("auto_approve") is True
            )
            registrant = _new_registrant(
                meeting, email, body["first_name"], body.get("last_name") or "", approve
            )
        recurring.remember(registrant, wanted)
    data = {
        "id": _meeting_id_field(meeting),
        "registrant_id": registrant.registrant_id,
        "start_time": zoom_time(meeting.start_time),
        "topic": meeting.topic,
    }
    if registrant.status == Registrant.APPROVED:
        data["join_url"] = _join_url(request, meeting, registrant)
    if wanted:
        data["occurrences"] = recurring.payload(
            [o for o in recurring.occurrences(meeting) if o["occurrence_id"] in wanted]
        )
    return JsonResponse(data, status=201)


@zoom_api
@require_http_methods(["PUT"])
def registrant_status(request: HttpRequest, kind: str, zoom_id: int) -> HttpResponse:
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    problem = _require_registration(meeting)
    if problem is not None:
        return problem
    occurrence = recurring.requested(request, meeting, "occurrence_id")
    if isinstance(occurrence, JsonResponse):
        return occurrence
    body = _json_body(request)
    if not isinstance(body, dict) or body.get("action") not in ("approve", "cancel", "deny"):
        return _validation_failed([{"field": "action", "message": "Invalid field."}])
    people = body.get("registrants") or []
    if not isinstance(people, list) or len(people) > 30:
        return _validation_failed([{"field": "registrants", "message": "Invalid field."}])
    new_status = {
        "approve": Registrant.APPROVED,
        "cancel": Registrant.CANCELLED,
        "deny": Registrant.DENIED,
    }[body["action"]]
    today = _today()
    with transaction.atomic():
        found = []
        for person in people:
            rows = Registrant.objects.select_for_update().filter(meeting=meeting)
            if isinstance(person, dict) and person.get("id"):
                rows = rows.filter(registrant_id=person["id"])
            elif isinstance(person, dict) and person.get("email"):
                rows = rows.filter(email=str(person["email"]).lower())
            else:
                return _validation_failed([{"field": "registrants", "message": "Invalid field."}])
            registrant = rows.first()
            if registrant is None:
                return zoom_error(404, 3000, "Registrant not found.")
            if registrant.status_updates_day != today:
                registrant.status_updates_day, registrant.status_updates = today, 0
            if registrant.status_updates >= STATUS_LIMIT_PER_DAY:
                return _daily_limit(
                    "Update registrant's status", STATUS_LIMIT_PER_DAY, registrant.email
                )
            found.append(registrant)
        for registrant in found:
            registrant.status = new_status
            registrant.status_updates += 1
            registrant.save(update_fields=["status", "status_updates_day", "status_updates"])
    return HttpResponse(status=204)


@zoom_api
@require_http_methods(["POST"])
def batch_registrants(request: HttpRequest, kind: str, zoom_id: int) -> JsonResponse:
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    if meeting.kind == Meeting.MEETING and meeting.type != 2:
        return zoom_error(
            400,
            303,
            "This API can only be used for scheduled meeting(meeting type: 2). Batch "
            "registration is not supported for other meeting types.",
        )
    if meeting.kind == Meeting.WEBINAR and meeting.type != 5:
        return zoom_error(
            400,
            300,
            "This API can only be used for scheduled webinars (type 5). Batch registration "
            "is not supported for other webinar types.",
        )
    problem = _require_registration(meeting)
    if problem is not None:
        return problem
    body = _json_body(request)
    people = body.get("registrants") if isinstance(body, dict) else None
    if not isinstance(people, list) or len(people) > 30:
        return _validation_failed([{"field": "registrants", "message": "Invalid field."}])
    errors = [e for i, p in enumerate(people) for e in _check_person(p, i)]
    if errors:
        return _validation_failed(errors)
    approve = meeting.approval_type == 0 or body.get("auto_approve") is True
    answered = []
    with transaction.atomic():
        for person in people:
            email = person["email"].strip().lower()
            if email == meeting.host_email.lower():
                # Hosts cannot register; the stand-in leaves them out of the answer.
                continue
            existing = (
                Registrant.objects.select_for_update().filter(meeting=meeting, email=email).first()
            )
            if existing is not None:
                if not _count_add(existing):
                    continue
                registrant = existing
            else:
                registrant = _new_registrant(
                    meeting, email, person["first_name"], person.get("last_name") or "", approve
                )
            entry = {"email": registrant.email, "registrant_id": registrant.registrant_id}
            if registrant.status == Registrant.APPROVED:
                # As for a single add: an existing cancelled registrant comes back
                # unchanged, and a pending one, without a personal link.
                entry["join_url"] = _join_url(request, meeting, registrant)
            answered.append(entry)
    return JsonResponse({"registrants": answered}, status=200)


# -- reports -----------------------------------------------------------------------------------
@zoom_api
@require_http_methods(["GET"])
def participants_report(request: HttpRequest, kind: str, zoom_id: int) -> JsonResponse:
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    paging = _page_params(request)
    if isinstance(paging, JsonResponse):
        return paging
    size, offset = paging
    with_registrant = request.GET.get("include_fields") == "registrant_id"
    rows = Participant.objects.filter(meeting=meeting).order_by("join_time", "pk")
    total = rows.count()
    items = [report_item(p, with_registrant) for p in rows[offset : offset + size]]
    return JsonResponse({**_page_envelope(total, size, offset), "participants": items})


def report_item(p: Participant, with_registrant: bool) -> dict:
    """One participant-report row as Zoom sends it (also used by reports.py)."""
    item = {
        "id": "",
        "user_id": str(16778240 + p.pk),
        "name": p.name,
        "user_email": p.user_email,
        "join_time": zoom_time(p.join_time),
        "leave_time": zoom_time(p.leave_time),
        "duration": p.duration,
        "failover": False,
        "status": "in_meeting",
        "customer_key": "",
    }
    if with_registrant:
        item["registrant_id"] = p.registrant_id
    return item


# -- the personal join link ---------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """Where the stand-in's join links lead. A POST records attendance for the report
    (a GET never does: mail scanners open links)."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    registrant = None
    token = request.GET.get("tk")
    if token:
        registrant = Registrant.objects.filter(meeting=meeting, join_token=token).first()
    joined = False
    if request.method == "POST":
        now = timezone.now()
        Participant.objects.create(
            meeting=meeting,
            name=registrant.first_name + " " + registrant.last_name if registrant else "Guest",
            user_email=registrant.email if registrant else "",
            registrant_id=registrant.registrant_id if registrant else "",
            join_time=now,
            leave_time=now + timedelta(minutes=min(meeting.duration, 45)),
        )
        joined = True
    return render(
        request,
        "zoom_standin/join.html",
        {"meeting": meeting, "registrant": registrant, "joined": joined},
    )


# -- controls and state ---------------------------------------------------------------------
def dashboard(request: HttpRequest) -> HttpResponse:
    meetings = Meeting.objects.prefetch_related("registrants", "participants")
    return render(
        request,
        "zoom_standin/dashboard.html",
        {
            "meetings": meetings,
            "failure": FailureMode.objects.first(),
            "modes": FailureMode.MODES,
        },
    )


def state(request: HttpRequest) -> JsonResponse:
    """Everything the stand-in holds, as JSON (for curl and tests; no tokens)."""
    failure = FailureMode.objects.first()
    return JsonResponse(
        {
            "failure": {
                "mode": failure.mode if failure else "",
                "remaining": failure.remaining if failure else 0,
            },
            "meetings": [
                {
                    "id": m.zoom_id,
                    "kind": m.kind,
                    "topic": m.topic,
                    "approval_type": m.approval_type,
                    "host_email": m.host_email,
                    "registrants": [
                        {"id": r.registrant_id, "email": r.email, "status": r.status}
                        for r in m.registrants.all()
                    ],
                    "participants": m.participants.count(),
                }
                for m in Meeting.objects.prefetch_related("registrants")
            ],
        }
    )


def _control_reply(request: HttpRequest, data: dict) -> HttpResponse:
    """Control endpoints answer a browser (the dashboard's forms) with a redirect back,
    and a script with JSON."""
    if _wants_html(request):
        return redirect("zoom_standin:dashboard")
    return JsonResponse(data)


def _wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.headers.get("Accept", "")


@csrf_exempt
@require_POST
def control_failure(request: HttpRequest) -> HttpResponse:
    """Set the failure switch: ``mode`` (see FailureMode), ``remaining``, ``retry_after``,
    ``delay_seconds``, ``path_contains``."""
    mode = request.POST.get("mode", "")
    if mode not in dict(FailureMode.MODES):
        return JsonResponse({"error": f"unknown mode {mode!r}"}, status=400)
    try:
        values = {
            name: int(request.POST.get(name) or default)
            for name, default in (("remaining", 0), ("retry_after", 5), ("delay_seconds", 35))
        }
    except ValueError:
        return JsonResponse(
            {"error": "remaining, retry_after and delay_seconds are numbers"}, status=400
        )
    failure = FailureMode.objects.first() or FailureMode()
    failure.mode = mode
    failure.path_contains = request.POST.get("path_contains", "")[:100]
    for name, value in values.items():
        setattr(failure, name, max(value, 0))
    failure.save()
    return _control_reply(request, {"mode": failure.mode, "remaining": failure.remaining})


@csrf_exempt
@require_POST
def control_reset(request: HttpRequest) -> HttpResponse:
    """Behave again."""
    FailureMode.objects.update(mode=FailureMode.NONE, remaining=0)
    return _control_reply(request, {"mode": ""})


@csrf_exempt
@require_POST
def control_meeting(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """Change what staff would change in Zoom: ``approval_type``, ``start_time`` (ISO),
    ``host_email``, ``type``."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    try:
        if "approval_type" in request.POST:
            meeting.approval_type = int(request.POST["approval_type"])
        if "type" in request.POST:
            meeting.type = int(request.POST["type"])
        if "occurrence_count" in request.POST:
            meeting.occurrence_count = int(request.POST["occurrence_count"])
        if request.POST.get("start_time"):
            meeting.start_time = datetime.fromisoformat(
                request.POST["start_time"].replace("Z", "+00:00")
            )
    except ValueError as err:
        return JsonResponse({"error": str(err)}, status=400)
    if request.POST.get("host_email"):
        meeting.host_email = request.POST["host_email"].strip().lower()
    meeting.save()
    return _control_reply(request, {"id": meeting.zoom_id, "approval_type": meeting.approval_type})


@csrf_exempt
@require_POST
def control_attend(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """Pretend approved registrants attended (``emails``: comma-separated; blank: all),
    and, with ``guests=N``, N people who never registered."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    emails = [e.strip().lower() for e in request.POST.get("emails", "").split(",") if e.strip()]
    people = meeting.registrants.filter(status=Registrant.APPROVED)
    if emails:
        people = people.filter(email__in=emails)
    # ``occurrence_id``: they attended that date of a recurring meeting.
    start = recurring.start_of(meeting, request.POST.get("occurrence_id", ""))
    if start is None:
        return JsonResponse({"error": "no such occurrence"}, status=400)
    rows = [
        Participant(
            meeting=meeting,
            name=f"{r.first_name} {r.last_name}".strip(),
            user_email=r.email,
            registrant_id=r.registrant_id,
            join_time=start,
            leave_time=start + timedelta(minutes=meeting.duration),
        )
        for r in people
    ]
    try:
        guests = int(request.POST.get("guests") or 0)
    except ValueError:
        guests = 0
    rows += [
        Participant(
            meeting=meeting,
            name=f"Guest {n + 1}",
            user_email="",
            join_time=start + timedelta(minutes=5),
            leave_time=start + timedelta(minutes=20),
        )
        for n in range(max(guests, 0))
    ]
    Participant.objects.bulk_create(rows)
    # As people come in, Zoom tells the site (participant_joined): live check-in.
    webhooks.participants_joined(meeting, rows)
    return _control_reply(request, {"participants": meeting.participants.count()})
