"""The example site's Zoom stand-in: Zoom's HTTP contract, its quirks, and its failure switch."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from example_site.zoom_standin import seed
from example_site.zoom_standin.models import AccessToken, FailureMode, Meeting, Registrant

pytestmark = pytest.mark.django_db

MEETING = seed.DEMO_MEETING_ID
WEBINAR = seed.DEMO_WEBINAR_ID
BASIC = "Basic " + base64.b64encode(b"demo-client:demo-secret").decode()


def send(client, method, path, body=None):
    return client.generic(
        method, "/zoom-standin/v2" + path, json.dumps(body or {}), content_type="application/json"
    )


def add(client, email, resource="meetings", zoom_id=MEETING, **extra):
    body = {"email": email, "first_name": "Ada", "last_name": "Lovelace", **extra}
    return send(client, "POST", f"/{resource}/{zoom_id}/registrants", body)


def set_failure(client, **fields):
    response = client.post(reverse("zoom_standin:control_failure"), fields)
    assert response.status_code == 200, response.content


# -- OAuth ----------------------------------------------------------------------------------
def test_token_like_zoom(client):
    answer = client.post(
        "/zoom-standin/oauth/token?grant_type=account_credentials&account_id=demo-account",
        HTTP_AUTHORIZATION=BASIC,
    )
    data = answer.json()
    assert answer.status_code == 200
    assert data["token_type"] == "bearer" and data["expires_in"] == 3599
    assert data["api_url"] == "http://testserver/zoom-standin"  # bare, like Zoom's
    assert "meeting:write:admin" in data["scope"]


@pytest.mark.parametrize(
    "auth,form,status,error",
    [
        ("Basic " + base64.b64encode(b"demo-client:wrong").decode(), {}, 401, "invalid_client"),
        ("", {}, 401, "invalid_client"),
        (BASIC, {"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        (BASIC, {"account_id": "someone-else"}, 400, "invalid_request"),
    ],
)
def test_token_rejections(client, auth, form, status, error):
    data = {"grant_type": "account_credentials", "account_id": "demo-account", **form}
    answer = client.post("/zoom-standin/oauth/token", data, HTTP_AUTHORIZATION=auth)
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert "demo-secret" not in answer.content.decode()


def test_bad_and_expired_tokens_get_code_124(client):
    seed.seed_demo()
    assert client.get(f"/zoom-standin/v2/meetings/{MEETING}").json() == {
        "code": 124,
        "message": "Invalid access token.",
    }
    AccessToken.objects.create(token="old", expires_at=timezone.now() - timedelta(seconds=1))
    answer = client.get(f"/zoom-standin/v2/meetings/{MEETING}", HTTP_AUTHORIZATION="Bearer old")
    assert answer.status_code == 401
    assert answer.json() == {"code": 124, "message": "Access token is expired."}


# -- meetings and webinars ----------------------------------------------------------------------
def test_get_meeting_and_webinar(api):
    meeting = api.get(f"/zoom-standin/v2/meetings/{MEETING}").json()
    assert meeting["id"] == MEETING and meeting["type"] == 2
    assert meeting["settings"]["approval_type"] == 0
    assert meeting["join_url"].startswith(f"http://testserver/zoom-standin/j/{MEETING}?pwd=")
    webinar = api.get(f"/zoom-standin/v2/webinars/{WEBINAR}").json()
    assert webinar["type"] == 5 and webinar["topic"] == "Research showcase"


def test_webinar_id_on_meeting_path_is_3000(api):
    answer = api.get(f"/zoom-standin/v2/meetings/{WEBINAR}")
    assert (answer.status_code, answer.json()["code"]) == (400, 3000)


def test_unknown_meeting_is_3001(api):
    answer = api.get("/zoom-standin/v2/meetings/89999999999")
    assert (answer.status_code, answer.json()["code"]) == (404, 3001)
    answer = api.get(f"/zoom-standin/v2/webinars/{MEETING}")
    assert (answer.status_code, answer.json()["code"]) == (404, 3001)


# -- registrants -------------------------------------------------------------------------------
def test_add_registrant(api):
    answer = add(api, "Ada@Example.org", auto_approve=True)
    assert answer.status_code == 201
    data = answer.json()
    assert data["id"] == MEETING
    registrant = Registrant.objects.get(registrant_id=data["registrant_id"])
    assert registrant.email == "ada@example.org" and registrant.status == "approved"
    assert data["join_url"].endswith(f"?tk={registrant.join_token}")


def test_webinar_registrant_answer_has_string_id(api):
    answer = add(api, "ada@example.org", "webinars", WEBINAR)
    assert answer.status_code == 201 and answer.json()["id"] == str(WEBINAR)


def test_host_cannot_register(api):
    answer = add(api, seed.DEMO_HOST_EMAIL)
    assert answer.status_code == 400
    assert answer.json() == {"code": 3027, "message": "Host cannot register"}


def test_registration_not_enabled(api):
    Meeting.objects.update(approval_type=2)
    meeting = add(api, "a@example.org")
    assert (meeting.status_code, meeting.json()["code"]) == (404, 404)
    webinar = add(api, "a@example.org", "webinars", WEBINAR)
    assert (webinar.status_code, webinar.json()["code"]) == (400, 3000)


def test_repeated_add_returns_the_same_registrant_until_the_daily_limit(api):
    ids = {add(api, "ada@example.org").json()["registrant_id"] for _ in range(3)}
    assert len(ids) == 1
    fourth = add(api, "ada@example.org")
    assert fourth.status_code == 429
    assert "daily rate limit" in fourth.json()["message"]
    assert fourth["X-RateLimit-Type"] == "Daily-limit"
    assert fourth["Retry-After"].endswith("T00:00:00Z")
    assert Registrant.objects.count() == 1


def test_validation_failed(api):
    answer = add(api, "not-an-email")
    assert answer.status_code == 400
    assert answer.json()["code"] == 300
    assert answer.json()["errors"][0]["field"] == "email"


def test_list_registrants_pages_with_next_page_token(api):
    for n in range(5):
        add(api, f"p{n}@example.org")
    first = api.get(f"/zoom-standin/v2/meetings/{MEETING}/registrants?page_size=2").json()
    assert first["total_records"] == 5 and first["page_count"] == 3
    seen = [r["email"] for r in first["registrants"]]
    token = first["next_page_token"]
    while token:
        page = api.get(
            f"/zoom-standin/v2/meetings/{MEETING}/registrants?page_size=2&next_page_token={token}"
        ).json()
        seen += [r["email"] for r in page["registrants"]]
        token = page["next_page_token"]
    assert seen == [f"p{n}@example.org" for n in range(5)]
    bad = api.get(f"/zoom-standin/v2/meetings/{MEETING}/registrants?next_page_token=forged")
    assert (bad.status_code, bad.json()["code"]) == (400, 300)


def test_cancel_and_reapprove_the_same_registrant(api):
    rid = add(api, "ada@example.org").json()["registrant_id"]
    body = {"action": "cancel", "registrants": [{"id": rid, "email": "ada@example.org"}]}
    assert send(api, "PUT", f"/meetings/{MEETING}/registrants/status", body).status_code == 204
    assert Registrant.objects.get(registrant_id=rid).status == "cancelled"
    # Zoom's list has no "cancelled": they show up as denied.
    denied = api.get(f"/zoom-standin/v2/meetings/{MEETING}/registrants?status=denied").json()
    assert [(r["id"], r["status"]) for r in denied["registrants"]] == [(rid, "denied")]
    body["action"] = "approve"
    assert send(api, "PUT", f"/meetings/{MEETING}/registrants/status", body).status_code == 204
    assert Registrant.objects.get(registrant_id=rid).status == "approved"
    assert Registrant.objects.count() == 1


def test_status_update_limits(api):
    rid = add(api, "ada@example.org").json()["registrant_id"]
    too_many = {"action": "cancel", "registrants": [{"id": rid}] * 31}
    assert send(api, "PUT", f"/meetings/{MEETING}/registrants/status", too_many).status_code == 400
    unknown = {"action": "cancel", "registrants": [{"id": "nobody"}]}
    assert send(api, "PUT", f"/meetings/{MEETING}/registrants/status", unknown).status_code == 404
    one = {"action": "approve", "registrants": [{"id": rid}]}
    codes = [
        send(api, "PUT", f"/meetings/{MEETING}/registrants/status", one).status_code
        for _ in range(11)
    ]
    assert codes == [204] * 10 + [429]


def test_batch_registrants(api):
    people = [{"email": f"p{n}@example.org", "first_name": "Pat"} for n in range(29)]
    people.append({"email": seed.DEMO_HOST_EMAIL, "first_name": "Host"})
    answer = send(
        api,
        "POST",
        f"/meetings/{MEETING}/batch_registrants",
        {"auto_approve": True, "registrants": people},
    )
    assert answer.status_code == 200
    emails = [r["email"] for r in answer.json()["registrants"]]
    assert len(emails) == 29 and seed.DEMO_HOST_EMAIL not in emails
    again = send(api, "POST", f"/meetings/{MEETING}/batch_registrants", {"registrants": people[:2]})
    assert [r["registrant_id"] for r in again.json()["registrants"]] == [
        r["registrant_id"] for r in answer.json()["registrants"][:2]
    ]
    assert Registrant.objects.count() == 29


def test_batch_only_for_scheduled_meetings(api):
    Meeting.objects.filter(zoom_id=MEETING).update(type=8)
    answer = send(api, "POST", f"/meetings/{MEETING}/batch_registrants", {"registrants": []})
    assert (answer.status_code, answer.json()["code"]) == (400, 303)


# -- the participant report ------------------------------------------------------------------
def test_attendance_and_report(api):
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        add(api, email)
    answer = api.post(
        reverse("zoom_standin:control_attend", args=[MEETING]),
        {"emails": "a@example.org, b@example.org", "guests": "1"},
    )
    assert answer.json() == {"participants": 3}
    report = api.get(
        f"/zoom-standin/v2/report/meetings/{MEETING}/participants"
        "?page_size=2&include_fields=registrant_id"
    ).json()
    assert report["total_records"] == 3 and len(report["participants"]) == 2
    assert report["participants"][0]["registrant_id"]
    assert report["participants"][0]["duration"] == 3600
    rest = api.get(
        f"/zoom-standin/v2/report/meetings/{MEETING}/participants"
        f"?page_size=2&next_page_token={report['next_page_token']}"
    ).json()
    assert [p["name"] for p in rest["participants"]] == ["Guest 1"]
    assert rest["next_page_token"] == ""
    assert "registrant_id" not in rest["participants"][0]


def test_join_link_records_attendance_on_post_only(api, client):
    data = add(api, "ada@example.org").json()
    path = urlpath(data["join_url"])
    assert "Join (pretend to attend)" in client.get(path).content.decode()
    meeting = Meeting.objects.get(zoom_id=MEETING)
    assert meeting.participants.count() == 0  # a GET (mail scanner) records nothing
    assert "recorded you" in client.post(path).content.decode()
    assert meeting.participants.get().registrant_id == data["registrant_id"]


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# -- the failure switch ------------------------------------------------------------------------
def test_fails_with_500_for_the_next_n_requests(api):
    set_failure(api, mode="error_500", remaining="2")
    codes = [api.get(f"/zoom-standin/v2/meetings/{MEETING}").status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    assert FailureMode.objects.get().mode == ""


def test_rate_limit_with_retry_after(api):
    set_failure(api, mode="rate_limit", retry_after="9")
    answer = add(api, "ada@example.org")
    assert answer.status_code == 429
    assert answer["Retry-After"] == "9"
    assert Registrant.objects.count() == 0  # nothing happened
    api.post(reverse("zoom_standin:control_reset"))
    assert add(api, "ada@example.org").status_code == 201


def test_bad_token_mode(api):
    set_failure(api, mode="bad_token", remaining="1")
    assert api.get(f"/zoom-standin/v2/meetings/{MEETING}").json()["code"] == 124
    assert api.get(f"/zoom-standin/v2/meetings/{MEETING}").status_code == 200


def test_timeout_mode_does_the_work_then_answers_late(api, monkeypatch):
    slept = []
    monkeypatch.setattr("example_site.zoom_standin.views.time.sleep", slept.append)
    set_failure(api, mode="timeout", delay_seconds="40", path_contains="/registrants")
    assert add(api, "ada@example.org").status_code == 201
    assert slept == [40]
    assert Registrant.objects.count() == 1  # it landed, however late the answer


def test_failure_only_on_matching_paths(api):
    set_failure(api, mode="error_500", path_contains="batch_registrants")
    assert api.get(f"/zoom-standin/v2/meetings/{MEETING}").status_code == 200


def test_unknown_failure_mode(api):
    answer = api.post(reverse("zoom_standin:control_failure"), {"mode": "explode"})
    assert answer.status_code == 400


def test_control_meeting(api):
    answer = api.post(
        reverse("zoom_standin:control_meeting", args=[MEETING]),
        {"approval_type": "2", "start_time": "2030-01-15T19:00:00Z"},
    )
    assert answer.status_code == 200
    meeting = Meeting.objects.get(zoom_id=MEETING)
    assert meeting.approval_type == 2
    assert meeting.start_time.isoformat() == "2030-01-15T19:00:00+00:00"


# -- pages for people --------------------------------------------------------------------------
def test_dashboard_and_state_need_a_staff_login(api, client, django_user_model):
    add(api, "ada@example.org")
    for name in ("zoom_standin:dashboard", "zoom_standin:state"):
        anonymous = client.get(reverse(name))
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("wagtailadmin_login"))
        assert "ada@example.org" not in anonymous.content.decode()
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    assert client.get(reverse("zoom_standin:state")).status_code == 302  # not staff
    client.force_login(django_user_model.objects.create_user("host", password="pw", is_staff=True))
    page = client.get(reverse("zoom_standin:dashboard"))
    assert page.status_code == 200
    assert "ada@example.org" in page.content.decode()
    state = client.get(reverse("zoom_standin:state")).json()
    meeting = next(m for m in state["meetings"] if m["id"] == MEETING)
    assert meeting["registrants"][0]["email"] == "ada@example.org"
    assert "token" not in json.dumps(state)


def test_seed_is_idempotent():
    seed.seed_demo()
    assert seed.seed_demo() == 0
    assert set(Meeting.objects.values_list("zoom_id", flat=True)) >= {MEETING, WEBINAR}
    assert Meeting.objects.get(zoom_id=MEETING).host_email == seed.DEMO_HOST_EMAIL


# -- registrants who are not approved (as Zoom answers them) ------------------------------------
def cancel_in_standin(api, rid, email, resource="meetings", zoom_id=MEETING):
    body = {"action": "cancel", "registrants": [{"id": rid, "email": email}]}
    assert send(api, "PUT", f"/{resource}/{zoom_id}/registrants/status", body).status_code == 204


def test_re_adding_a_cancelled_email_returns_it_unchanged(api):
    rid = add(api, "ada@example.org", auto_approve=True).json()["registrant_id"]
    cancel_in_standin(api, rid, "ada@example.org")
    again = add(api, "ada@example.org", auto_approve=True)
    assert again.status_code == 201
    assert again.json()["registrant_id"] == rid
    assert "join_url" not in again.json()
    batch = send(
        api,
        "POST",
        f"/meetings/{MEETING}/batch_registrants",
        {"auto_approve": True, "registrants": [{"email": "ada@example.org", "first_name": "A"}]},
    )
    assert batch.json()["registrants"] == [{"email": "ada@example.org", "registrant_id": rid}]
    assert Registrant.objects.get(registrant_id=rid).status == "cancelled"
    one = api.get(f"/zoom-standin/v2/meetings/{MEETING}/registrants/{rid}").json()
    assert (one["status"], one["join_url"]) == ("denied", "")


def test_manual_approval_gives_pending(api):
    Meeting.objects.filter(zoom_id=WEBINAR).update(approval_type=1)
    answer = add(api, "ada@example.org", resource="webinars", zoom_id=WEBINAR)
    assert answer.status_code == 201 and "join_url" not in answer.json()
    rid = answer.json()["registrant_id"]
    one = api.get(f"/zoom-standin/v2/webinars/{WEBINAR}/registrants/{rid}").json()
    assert one["status"] == "pending"
    body = {"action": "approve", "registrants": [{"id": rid}]}
    assert send(api, "PUT", f"/webinars/{WEBINAR}/registrants/status", body).status_code == 204
    one = api.get(f"/zoom-standin/v2/webinars/{WEBINAR}/registrants/{rid}").json()
    assert one["status"] == "approved" and one["join_url"]


def test_unknown_registrant_is_not_found(api):
    answer = api.get(f"/zoom-standin/v2/meetings/{MEETING}/registrants/nobody")
    assert answer.status_code == 404 and answer.json()["code"] == 3000
