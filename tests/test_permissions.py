"""The one registration rule on every path: groups x events x paths.

A user acts on an event's registrations when they hold the registration permission
for that action and may edit that event's page; superusers always. Each path is
tried on an event the user may edit (A) and one they may not (B); a refused path
must show no personal data and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import responses
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission

from tests.factories import RegistrationFactory, page_permission
from wagtail_webinars.models import Registration
from wagtail_webinars.permissions import registration_policy

pytestmark = pytest.mark.django_db

URLS = {
    "index": "wagtail_webinars_registrations:index",
    "add": "wagtail_webinars_registrations:add",
    "inspect": "wagtail_webinars_registrations:inspect",
    "edit": "wagtail_webinars_registrations:edit",
    "delete": "wagtail_webinars_registrations:delete",
    "action": "wagtail_webinars_registrations:action",
    "cancel_confirm": "wagtail_webinars_registrations:cancel_confirm",
    "resend_all": "wagtail_webinars_events:resend_reminders",
    "zoom": "wagtail_webinars_events:zoom",
}


@dataclass(frozen=True)
class Persona:
    name: str
    #: Registration actions held (codename verbs).
    actions: tuple[str, ...]
    #: Which events' pages they may edit: "A", "all" or "".
    pages: str
    superuser: bool = False

    def allowed(self, action: str, event_name: str) -> bool:
        if self.superuser:
            return True
        edits = self.pages == "all" or self.pages == event_name
        return action in self.actions and edits


ALL = ("view", "add", "change", "delete")
PERSONAS = [
    Persona("superuser", (), "", superuser=True),
    Persona("registrar of A", ALL, "A"),
    Persona("viewer of A", ("view",), "A"),
    Persona("page editor (Wagtail Editors)", (), "all"),
    Persona("registrar without page rights", ALL, ""),
]


@pytest.fixture(autouse=True)
def no_network():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def events(make_event):
    return {
        "A": make_event(kind="zoom_meeting", title="Event A"),
        "B": make_event(kind="zoom_meeting", title="Event B"),
    }


def make_regs(events, tag):
    """A fresh registration on each event (each path starts from the same state)."""
    return {
        name: RegistrationFactory(
            page=event,
            email=f"person.{tag}.{name.lower()}@example.org",
            first_name="Pat",
            last_name=name,
            sync_status=Registration.SyncStatus.FAILED,
            sync_error="Host cannot register",
        )
        for name, event in events.items()
    }


def login(client, django_user_model, persona: Persona, events) -> None:
    if persona.superuser:
        user = django_user_model.objects.create_superuser("root", "root@example.edu", "pw")
        client.force_login(user)
        return
    user = django_user_model.objects.create_user("u", "u@example.edu", "pw")
    if persona.pages == "all":
        user.groups.add(Group.objects.get(name="Editors"))
    group = Group.objects.create(name="Persona")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="wagtail_webinars",
            codename__in=[f"{a}_registration" for a in persona.actions],
        ),
    )
    if persona.pages == "A":
        for action in ("add", "change", "publish"):
            GroupPagePermission.objects.create(
                group=group, page=events["A"], permission=page_permission(action)
            )
    user.groups.add(group)
    client.force_login(user)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def shown(response, reg) -> bool:
    return response.status_code == 200 and reg.email.encode() in body(response)


def row(reg):
    return Registration.objects.filter(pk=reg.pk).first()


#: A path's answer meaning "it happened when work was queued (after commit)".
QUEUED = "queued"


# Each path: (action it needs, function(client, reg, event, callbacks) -> whether it happened)
def _list(client, reg, event, cb):
    return shown(client.get(reverse(URLS["index"])), reg)


def _list_filter_choice(client, reg, event, cb):
    response = client.get(reverse(URLS["index"]))
    if response.status_code != 200:
        return False
    queryset = response.context["filters"].form.fields["page"].queryset
    return queryset.filter(pk=event.pk).exists()


def _list_export(fmt):
    def path(client, reg, event, cb):
        response = client.get(reverse(URLS["index"]), {"export": fmt})
        if fmt == "xlsx":
            return response.status_code == 200 and _xlsx_has(response, reg.email)
        return shown(response, reg)

    return path


def _xlsx_has(response, text) -> bool:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body(response)))
    return any(text in str(cell.value) for row in book.active.iter_rows() for cell in row)


def _add(client, reg, event, cb):
    email = f"new.{reg.pk}@example.org"
    client.post(
        reverse(URLS["add"]),
        {"page": event.pk, "first_name": "New", "last_name": "Person", "email": email},
    )
    return Registration.objects.filter(email=email, page=event).exists()


def _inspect(client, reg, event, cb):
    return shown(client.get(reverse(URLS["inspect"], args=(reg.pk,))), reg)


def _edit_form(client, reg, event, cb):
    return client.get(reverse(URLS["edit"], args=(reg.pk,))).status_code == 200


def _edit(client, reg, event, cb):
    client.post(reverse(URLS["edit"], args=(reg.pk,)), {"first_name": "Changed", "last_name": "X"})
    return row(reg).first_name == "Changed"


def _delete(client, reg, event, cb):
    client.post(reverse(URLS["delete"], args=(reg.pk,)))
    return row(reg) is None


def _action(name, check):
    def path(client, reg, event, cb):
        client.post(reverse(URLS["action"], args=(reg.pk, name)))
        return check(row(reg), cb)

    return path


def _cancel_confirm_page(client, reg, event, cb):
    return shown(client.get(reverse(URLS["cancel_confirm"], args=(reg.pk,))), reg)


def _submissions(fmt=None):
    def path(client, reg, event, cb):
        url = reverse("wagtailforms:list_submissions", args=(event.pk,))
        response = client.get(url, {"export": fmt} if fmt else {})
        if fmt == "xlsx":
            return response.status_code == 200 and _xlsx_has(response, reg.email)
        return shown(response, reg)

    return path


def _submissions_delete(client, reg, event, cb):
    url = reverse("wagtailforms:delete_submissions", args=(event.pk,))
    client.post(url + f"?selected-submissions={reg.pk}")
    return row(reg) is None


def _resend_all_page(client, reg, event, cb):
    return client.get(reverse(URLS["resend_all"], args=(event.pk,))).status_code == 200


def _resend_all(client, reg, event, cb):
    client.post(reverse(URLS["resend_all"], args=(event.pk,)))
    return QUEUED


def _zoom_page(client, reg, event, cb):
    return client.get(reverse(URLS["zoom"], args=(event.pk,))).status_code == 200


def _zoom_retry(client, reg, event, cb):
    client.post(reverse(URLS["zoom"], args=(event.pk,)), {"action": "retry_failed"})
    return row(reg).sync_status != Registration.SyncStatus.FAILED


PATHS = {
    "list": ("view", _list),
    "list filter's event choices": ("view", _list_filter_choice),
    "list CSV": ("view", _list_export("csv")),
    "list XLSX": ("view", _list_export("xlsx")),
    "inspect": ("view", _inspect),
    "add": ("add", _add),
    "edit form": ("change", _edit_form),
    "edit": ("change", _edit),
    "delete": ("delete", _delete),
    "cancel": (
        "change",
        _action("cancel", lambda r, cb: r.status == Registration.Status.CANCELLED),
    ),
    "cancel confirmation page": ("change", _cancel_confirm_page),
    "retry sync": (
        "change",
        _action("retry_sync", lambda r, cb: r.sync_status != Registration.SyncStatus.FAILED),
    ),
    "resend reminder": ("change", _action("resend_reminder", lambda r, cb: QUEUED)),
    "submissions list": ("view", _submissions()),
    "submissions CSV": ("view", _submissions("csv")),
    "submissions XLSX": ("view", _submissions("xlsx")),
    "submissions delete": ("delete", _submissions_delete),
    "resend to all (page)": ("change", _resend_all_page),
    "resend to all": ("change", _resend_all),
    "Zoom page": ("view", _zoom_page),
    "Zoom retry failed": ("change", _zoom_retry),
}


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.name)
def test_matrix(client, django_user_model, events, persona, django_capture_on_commit_callbacks):
    # One test per persona, every path inside it: the events are built once.
    login(client, django_user_model, persona, events)
    wrong = []
    for n, (path, (action, run)) in enumerate(PATHS.items()):
        regs = make_regs(events, n)
        for name in ("A", "B"):
            reg = regs[name]
            before = Registration.objects.filter(pk=reg.pk).values().first()
            with django_capture_on_commit_callbacks() as callbacks:
                happened = run(client, reg, events[name], callbacks)
            if happened == QUEUED:
                happened = bool(callbacks)
            expected = persona.allowed(action, name)
            if happened != expected:
                wrong.append(f"{path} on event {name}: {'done' if happened else 'refused'}")
            elif not expected:
                # Refused: nothing changed and nothing was queued.
                after = Registration.objects.filter(pk=reg.pk).values().first()
                if after != before or callbacks:
                    wrong.append(f"{path} on event {name}: refused but changed something")
    assert wrong == []


class TestPolicyApi:
    def test_registered_with_wagtail(self):
        from wagtail.permissions import policy_registry

        assert policy_registry.get_by_type(Registration) is registration_policy

    def test_api(self, client, django_user_model, events):
        regs = make_regs(events, "api")
        persona = PERSONAS[1]  # registrar of A
        login(client, django_user_model, persona, events)
        user = django_user_model.objects.get(username="u")
        assert registration_policy.user_has_permission(user, "view")
        assert set(registration_policy.events_for_user(user, "view")) == {events["A"].pk}
        assert list(registration_policy.instances_user_has_permission_for(user, "change")) == [
            regs["A"]
        ]
        assert registration_policy.user_can_for_event(user, "delete", events["A"])
        assert not registration_policy.user_can_for_event(user, "delete", events["B"])

    def test_inactive_users_may_do_nothing(self, django_user_model, events):
        user = django_user_model.objects.create_superuser("x", "x@example.edu", "pw")
        user.is_active = False
        assert not registration_policy.user_has_permission(user, "view")
        assert not registration_policy.user_can_for_event(user, "view", events["A"])
        assert not registration_policy.events_for_user(user, "view").exists()

    def test_unknown_action_is_a_programming_error(self, django_user_model):
        user = django_user_model.objects.create_superuser("x", "x@example.edu", "pw")
        with pytest.raises(ValueError):
            registration_policy.user_has_permission(user, "export")


def test_page_editors_do_not_see_event_pages_under_forms(client, django_user_model, events):
    from wagtail.contrib.forms.utils import get_forms_for_user

    login(client, django_user_model, PERSONAS[3], events)  # Wagtail Editors, no registrations
    user = django_user_model.objects.get(username="u")
    assert not get_forms_for_user(user).filter(pk__in=[e.pk for e in events.values()]).exists()
    html = client.get(reverse("wagtailforms:index")).content.decode()
    assert "Event A" not in html
