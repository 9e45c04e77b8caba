"""A scripted Zoom over ``responses``: token, meetings, registrants, batches, reports, errors.

Payloads follow Zoom's OpenAPI description (``test_contract.py`` validates the
ones built here), so tests that use them cannot drift from the real API.

Use it through a fixture in each test module::

    @pytest.fixture
    def zoom():
        with FakeZoom.running() as fake:
            yield fake
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import requests
import responses

API = "https://api.zoom.test/v2"
OAUTH = "https://zoom.test/oauth/token"
MEETING_ID = "81234567890"
WEBINAR_ID = "91234567890"
SECRET = "test-secret-value"  # tests/settings.py
ACCESS_TOKEN = "access-token-123-do-not-log"


def meeting_payload(meeting_id: str = MEETING_ID, **overrides) -> dict:
    """``GET /meetings/{id}`` as Zoom answers it (trimmed to what we read, plus a few)."""
    settings = {
        # Manual approval: the set-up the Zoom guide recommends (the site approves the
        # people it registers; Zoom's own registration link lets nobody in around it).
        "approval_type": 1,
        "registrants_confirmation_email": False,
        "registrants_email_notification": False,
        "close_registration": False,
    }
    settings.update(overrides.pop("settings", {}))
    data = {
        "id": int(meeting_id),
        "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
        "host_id": "30R7kT7bTIKSNUFEuH_Qlg",
        "host_email": "host@example.edu",
        "topic": "Alumni town hall",
        "type": 2,
        "status": "waiting",
        "start_time": "2030-01-15T19:00:00Z",
        "duration": 60,
        "timezone": "America/New_York",
        "agenda": "",
        "created_at": "2029-12-01T10:00:00Z",
        "start_url": f"https://zoom.test/s/{meeting_id}?zak=secret-start-token",
        "join_url": f"https://zoom.test/j/{meeting_id}?pwd=ENCRYPTED",
        "password": "town1234",
        "encrypted_password": "ENCRYPTED",
        "settings": settings,
    }
    data.update(overrides)
    return data


def webinar_payload(webinar_id: str = WEBINAR_ID, **overrides) -> dict:
    data = meeting_payload(webinar_id, **{"type": 5, "topic": "Research showcase", **overrides})
    data.pop("status", None)
    data.pop("encrypted_password", None)
    data["join_url"] = f"https://zoom.test/w/{webinar_id}?tk=WEBINAR"
    return data


def registrant_payload(resource: str, meeting_id: str, registrant_id: str, join_url: str) -> dict:
    """``POST .../registrants`` answer (201). Zoom types ``id`` int64 for meetings, string
    for webinars."""
    return {
        "id": int(meeting_id) if resource == "meetings" else str(meeting_id),
        "registrant_id": registrant_id,
        "join_url": join_url,
        "start_time": "2030-01-15T19:00:00Z",
        "topic": "Alumni town hall",
    }


def list_payload(items: list[dict], next_page_token: str = "", total: int | None = None) -> dict:
    return {
        "page_count": 1,
        "page_size": 300,
        "total_records": total if total is not None else len(items),
        "next_page_token": next_page_token,
        "registrants": items,
    }


def listed_registrant(email: str, registrant_id: str, status: str = "approved") -> dict:
    return {
        "id": registrant_id,
        "email": email,
        "first_name": "Pat",
        "last_name": "Person",
        "status": status,
        "create_time": "2029-12-02T10:00:00Z",
        "join_url": f"https://zoom.test/w/{MEETING_ID}?tk={registrant_id}",
    }


def participant_payload(n: int, email: str = "", registrant_id: str = "") -> dict:
    return {
        "id": "",
        "user_id": str(16778240 + n),
        "name": f"Person {n}",
        "user_email": email,
        "join_time": "2030-01-15T19:01:00Z",
        "leave_time": "2030-01-15T19:45:00Z",
        "duration": 2640,
        "registrant_id": registrant_id,
        "status": "in_meeting",
        "failover": False,
        "customer_key": "",
    }


class FakeZoom:
    """``responses`` set up as Zoom; ``calls_to`` and ``bodies`` read what we sent."""

    def __init__(self, mock: responses.RequestsMock):
        self.mock = mock
        self._ids = itertools.count(1)
        #: email -> registrant id, as Zoom keeps them (a repeated add gets the same id).
        self.registrants: dict[str, str] = {}

    @classmethod
    @contextlib.contextmanager
    def running(cls, token: bool = True) -> Iterator[FakeZoom]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake = cls(mock)
            if token:
                fake.token()
            yield fake

    # -- registering answers ---------------------------------------------------------
    def token(self, access_token: str = ACCESS_TOKEN, expires_in: int = 3600, **extra) -> None:
        body = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "scope": "meeting:read:admin meeting:write:admin webinar:read:admin",
            **extra,
        }
        self.mock.upsert(responses.POST, OAUTH, json=body, status=200)

    def token_error(self, status: int = 401, body: dict | None = None) -> None:
        body = body or {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        self.mock.upsert(responses.POST, OAUTH, json=body, status=status)

    def url(self, path: str) -> str:
        return API + path

    def on(self, method: str, path: str, *, json=None, status: int = 200, headers=None, body=None):
        """Answer ``method path`` (path below /v2) with a fixed reply (replaces earlier ones)."""
        kwargs = {"status": status, "headers": headers or {}}
        if body is not None:
            kwargs["body"] = body
        elif json is not None:
            kwargs["json"] = json
        self.mock.upsert(method, self.url(path), **kwargs)

    def error(self, method: str, path: str, status: int, code: int | None, message: str, **kw):
        payload = {"message": message} if code is None else {"code": code, "message": message}
        self.on(method, path, json=payload, status=status, **kw)

    def raise_(self, method: str, path: str, exc: Exception) -> None:
        self.mock.upsert(method, self.url(path), body=exc)

    def callback(self, method: str, path: str, func: Callable) -> None:
        self.mock.remove(method, self.url(path))
        self.mock.add_callback(method, self.url(path), callback=func)

    def meeting(self, meeting_id: str = MEETING_ID, **overrides) -> dict:
        data = meeting_payload(meeting_id, **overrides)
        self.on("GET", f"/meetings/{meeting_id}", json=data)
        return data

    def webinar(self, webinar_id: str = WEBINAR_ID, **overrides) -> dict:
        data = webinar_payload(webinar_id, **overrides)
        self.on("GET", f"/webinars/{webinar_id}", json=data)
        return data

    def _registrant_id(self, email: str) -> str:
        email = email.lower()
        if email not in self.registrants:
            self.registrants[email] = f"reg{next(self._ids):04d}"
        return self.registrants[email]

    def accepts_registrants(self, meeting_id: str = MEETING_ID, resource: str = "meetings"):
        """Add-registrant answers like Zoom's: one registrant per email, 201."""

        def reply(request):
            body = json.loads(request.body)
            rid = self._registrant_id(body["email"])
            join = f"https://zoom.test/w/{meeting_id}?tk={rid}"
            return 201, {}, json.dumps(registrant_payload(resource, meeting_id, rid, join))

        self.callback("POST", f"/{resource}/{meeting_id}/registrants", reply)

    def accepts_batches(self, meeting_id: str = MEETING_ID, resource: str = "meetings", skip=()):
        def reply(request):
            body = json.loads(request.body)
            answered = []
            for person in body["registrants"]:
                if person["email"] in skip:
                    continue
                rid = self._registrant_id(person["email"])
                answered.append(
                    {
                        "email": person["email"],
                        "join_url": f"https://zoom.test/w/{meeting_id}?tk={rid}",
                        "registrant_id": rid,
                    }
                )
            return 200, {}, json.dumps({"registrants": answered})

        self.callback("POST", f"/{resource}/{meeting_id}/batch_registrants", reply)

    def accepts_status(self, meeting_id: str = MEETING_ID, resource: str = "meetings") -> None:
        self.on("PUT", f"/{resource}/{meeting_id}/registrants/status", status=204, body="")

    def lists_registrants(
        self,
        pages: dict[str, list[list[dict]]],
        meeting_id: str = MEETING_ID,
        resource: str = "meetings",
    ) -> None:
        """``pages`` maps a status to its pages; page n>0 is reached with token "page-n"."""

        def reply(request):
            query = parse_qs(urlsplit(request.url).query)
            status = query.get("status", ["approved"])[0]
            token = query.get("next_page_token", [""])[0]
            index = int(token.split("-")[1]) if token else 0
            status_pages = pages.get(status) or [[]]
            items = status_pages[index]
            following = f"page-{index + 1}" if index + 1 < len(status_pages) else ""
            total = sum(len(p) for p in status_pages)
            return 200, {}, json.dumps(list_payload(items, following, total))

        self.callback("GET", f"/{resource}/{meeting_id}/registrants", reply)

    # -- reading what we sent ------------------------------------------------------------
    def serves_instances(
        self,
        instances: dict[str, list[list[dict]]],
        start_times: dict[str, str] | None = None,
        meeting_id: str = MEETING_ID,
        resource: str = "meetings",
    ) -> None:
        """Past instances and their paged participant reports: ``{uuid: [page, ...]}``
        (``start_times``: ``{uuid: "2030-01-15T19:00:00Z"}``, that time by default)."""
        key = "meetings" if resource == "meetings" else "webinars"
        times = start_times or {}
        self.on(
            "GET",
            f"/past_{resource}/{meeting_id}/instances",
            json={
                key: [
                    {"uuid": uuid, "start_time": times.get(uuid, "2030-01-15T19:00:00Z")}
                    for uuid in instances
                ]
            },
        )
        for uuid, pages in instances.items():
            self.serves_report(uuid, pages, resource)

    def serves_report(self, uuid: str, pages: list[list[dict]], resource: str = "meetings"):
        """One instance's participant report in ``pages``, linked by ``next_page_token``
        (the UUID encoded in the path as Zoom wants it)."""
        from wagtail_webinars.providers.zoom.reports import encode_uuid

        def reply(request):
            query = parse_qs(urlsplit(request.url).query)
            index = int(query.get("next_page_token", ["0"])[0])
            body = {
                "page_count": len(pages),
                "page_size": 300,
                "total_records": sum(len(page) for page in pages),
                "next_page_token": str(index + 1) if index + 1 < len(pages) else "",
                "participants": pages[index],
            }
            return 200, {}, json.dumps(body)

        self.callback("GET", f"/report/{resource}/{encode_uuid(uuid)}/participants", reply)

    def calls_to(self, method: str | None = None, contains: str = "") -> list:
        return [
            c
            for c in self.api_calls
            if (method is None or c.request.method == method) and contains in c.request.url
        ]

    @property
    def token_calls(self) -> list:
        return [c for c in self.mock.calls if c.request.url.startswith(OAUTH)]

    @property
    def api_calls(self) -> list:
        return [c for c in self.mock.calls if not c.request.url.startswith(OAUTH)]

    def bodies(self, method: str, contains: str = "") -> list[dict]:
        return [json.loads(c.request.body) for c in self.calls_to(method, contains)]

    def describe(self) -> list[str]:
        """``["POST /meetings/1/registrants", ...]`` for asserting call order."""
        out = []
        for c in self.api_calls:
            path = urlsplit(c.request.url).path.removeprefix(urlsplit(API).path)
            out.append(f"{c.request.method} {path}")
        return out


def timeout() -> Exception:
    return requests.ReadTimeout("read timed out")


class KeptRegistrants:
    """One meeting's registrants kept as Zoom keeps them, over ``responses`` callbacks.

    Zoom's documented behaviour: an add for an email it already has answers with that
    registrant unchanged (a cancelled one stays cancelled, no ``join_url``); manual
    approval (``approval_type`` 1) answers pending unless ``auto_approve`` (meetings);
    status updates change the status (at most 10 a day per registrant); ``GET
    .../registrants/{id}`` and the list read it back.

    ``faults`` is a list of ``(call, kind)`` used up in order: ``call`` is "add",
    "batch", "status", "get" or "list"; ``kind`` is "500" (nothing done), "429"
    (nothing done, ``Retry-After: retry_after``), "reset" (nothing done, connection
    reset), "401" (nothing done: the access token expired, Zoom code 124), "lost"
    (done, then the answer is lost: a read timeout) or "malformed" (done, then an
    answer that is not JSON, as a proxy in front of Zoom sends).
    """

    #: Faults after which Zoom has done nothing.
    NOTHING_DONE = ("500", "429", "reset", "401")

    def __init__(self, fake: FakeZoom, meeting_id: str = MEETING_ID, resource: str = "meetings"):
        self.fake = fake
        self.meeting_id = meeting_id
        self.resource = resource
        self.approval_type = 0
        #: email -> {"id", "status"} (Zoom's words: approved, pending, denied)
        self.people: dict[str, dict] = {}
        self.adds: dict[str, int] = {}
        self.status_updates: dict[str, int] = {}
        self.faults: list[tuple[str, str]] = []
        #: Seconds in the Retry-After of a "429".
        self.retry_after = 1
        base = f"/{resource}/{meeting_id}"
        fake.callback("POST", f"{base}/registrants", self._add)
        fake.callback("GET", f"{base}/registrants", self._list)
        fake.callback("POST", f"{base}/batch_registrants", self._batch)
        fake.callback("PUT", f"{base}/registrants/status", self._status)
        fake.mock.add_callback(
            "GET",
            re.compile(re.escape(fake.url(f"{base}/registrants/")) + r"[^/?]+$"),
            callback=self._get,
        )

    # -- what Zoom has -----------------------------------------------------------------
    def status_of(self, email: str) -> str:
        person = self.people.get(email.lower())
        return person["status"] if person else ""

    def join_url(self, rid: str) -> str:
        return f"https://zoom.test/w/{self.meeting_id}?tk={rid}"

    def _fault(self, call: str) -> str:
        for i, (name, kind) in enumerate(self.faults):
            if name == call:
                del self.faults[i]
                return kind
        return ""

    def _failed(self, kind: str):
        if kind == "500":
            return 500, {}, json.dumps({"message": "Internal error"})
        if kind == "429":
            headers = {"Retry-After": str(self.retry_after)}
            return 429, headers, json.dumps({"code": 429, "message": "Slow down"})
        if kind == "401":
            return 401, {}, json.dumps({"code": 124, "message": "Invalid access token."})
        raise requests.ConnectionError("connection reset by peer")

    def _answer(self, kind: str, status: int, body: str):
        if kind == "lost":
            raise requests.ReadTimeout("read timed out")
        if kind == "malformed":
            return 200, {"Content-Type": "text/html"}, "<html><body>502 Bad Gateway</body></html>"
        return status, {}, body

    def _take(self, email: str, first: str, auto_approve: bool) -> dict:
        email = email.lower()
        self.adds[email] = self.adds.get(email, 0) + 1
        if email not in self.people:
            approved = self.approval_type == 0 or (auto_approve and self.resource == "meetings")
            rid = f"kr{len(self.people) + 1:04d}"
            self.people[email] = {"id": rid, "status": "approved" if approved else "pending"}
        return self.people[email]

    def _add(self, request):
        kind = self._fault("add")
        if kind in self.NOTHING_DONE:
            return self._failed(kind)
        body = json.loads(request.body)
        person = self._take(body["email"], body["first_name"], body.get("auto_approve") is True)
        answer = registrant_payload(self.resource, self.meeting_id, person["id"], "")
        if person["status"] == "approved":
            answer["join_url"] = self.join_url(person["id"])
        else:
            answer.pop("join_url")
        return self._answer(kind, 201, json.dumps(answer))

    def _batch(self, request):
        kind = self._fault("batch")
        if kind in self.NOTHING_DONE:
            return self._failed(kind)
        body = json.loads(request.body)
        answered = []
        for item in body["registrants"]:
            person = self._take(item["email"], item["first_name"], body.get("auto_approve") is True)
            entry = {"email": item["email"], "registrant_id": person["id"]}
            if person["status"] == "approved":
                entry["join_url"] = self.join_url(person["id"])
            answered.append(entry)
        return self._answer(kind, 200, json.dumps({"registrants": answered}))

    def _status(self, request):
        kind = self._fault("status")
        if kind in self.NOTHING_DONE:
            return self._failed(kind)
        body = json.loads(request.body)
        new = {"approve": "approved", "cancel": "denied", "deny": "denied"}[body["action"]]
        for item in body["registrants"]:
            email = next((e for e, p in self.people.items() if p["id"] == item.get("id")), None)
            if email is None:
                return 400, {}, json.dumps({"code": 3000, "message": "Registrant not found."})
            self.status_updates[email] = self.status_updates.get(email, 0) + 1
            self.people[email]["status"] = new
        return self._answer(kind, 204, "")

    def _get(self, request):
        kind = self._fault("get")
        if kind in self.NOTHING_DONE:
            return self._failed(kind)
        rid = urlsplit(request.url).path.rsplit("/", 1)[1]
        for email, person in self.people.items():
            if person["id"] == rid:
                item = listed_registrant(email, rid, person["status"])
                item["join_url"] = self.join_url(rid) if person["status"] == "approved" else ""
                return self._answer(kind, 200, json.dumps(item))
        return 404, {}, json.dumps({"code": 3000, "message": f"Registrant {rid} was not found."})

    def _list(self, request):
        kind = self._fault("list")
        if kind in self.NOTHING_DONE:
            return self._failed(kind)
        status = parse_qs(urlsplit(request.url).query).get("status", ["approved"])[0]
        items = []
        for email, person in self.people.items():
            if person["status"] == status:
                item = listed_registrant(email, person["id"], status)
                item["join_url"] = self.join_url(person["id"]) if status == "approved" else ""
                items.append(item)
        return self._answer(kind, 200, json.dumps(list_payload(items)))
