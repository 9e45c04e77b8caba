"""Registrations in the Wagtail admin: add through the service, list, inspect, act, permissions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory, page_permission
from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration

pytestmark = pytest.mark.django_db

NS = "wagtail_webinars_registrations"
ADD_URL = f"{NS}:add"
INDEX_URL = f"{NS}:index"


def add(client, event, **data):
    return client.post(
        reverse(ADD_URL),
        {
            "page": event.pk,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.org",
            **data,
        },
    )


def form_errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


def messages_of(response) -> list[str]:
    # Wagtail appends buttons (markup) to a message; keep the words.
    return [str(m).split("<", 1)[0].strip() for m in response.context["messages"]]


def inspect_url(reg):
    return reverse("wagtail_webinars_registrations:inspect", args=(reg.pk,))


def action_url(reg, action):
    return reverse(f"{NS}:action", args=(reg.pk, action))


def cancel_confirm_url(reg):
    return reverse(f"{NS}:cancel_confirm", args=(reg.pk,))


class TestAdd:
    def test_form_offers_the_event_and_the_override(self, staff_client, make_event):
        event = make_event(kind="vimeo", title="Data Science 101")
        html = staff_client.get(reverse(ADD_URL)).content.decode()
        for name in ("page", "first_name", "last_name", "email", "ignore_limits"):
            assert f'name="{name}"' in html
        assert "Data Science 101" in html
        assert f'value="{event.pk}"' in html

    def test_goes_through_the_service(
        self, staff_client, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        with django_capture_on_commit_callbacks(execute=True):
            response = add(staff_client, event, email=" Ada@Example.ORG ", first_name=" Ada ")
        assert response.status_code == 302
        reg = Registration.objects.get()
        assert reg.email == "ada@example.org"
        assert reg.first_name == "Ada"
        assert reg.page_id == event.pk
        assert reg.source == Registration.Source.ADMIN
        assert reg.form_data["email"] == "ada@example.org"
        assert len(mail.outbox) == 1  # the same confirmation a visitor gets
        followed = staff_client.get(response["Location"])
        assert messages_of(followed) == ["Registered Ada Lovelace."]

    def test_managed_registration_will_sync(self, staff_client, make_event):
        event = make_event(kind="zoom_meeting")
        add(staff_client, event)
        assert Registration.objects.get().sync_status == Registration.SyncStatus.PENDING

    def test_duplicate_says_already_registered(
        self, staff_client, make_event, django_capture_on_commit_callbacks
    ):
        event = make_event(kind="vimeo")
        service.register(event, email="ada@example.org", first_name="Ada", last_name="L")
        with django_capture_on_commit_callbacks(execute=True):
            response = add(staff_client, event, email="ADA@example.org")
        assert response.status_code == 302, form_errors(response)
        assert Registration.objects.count() == 1
        assert len(mail.outbox) == 1  # confirmation sent again
        followed = staff_client.get(response["Location"])
        assert messages_of(followed) == [
            "ada@example.org was already registered; their confirmation was sent again."
        ]

    def test_cancelled_person_is_reactivated(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        reg = service.register(
            event, email="ada@example.org", first_name="Ada", last_name="L"
        ).registration
        service.cancel(reg)
        response = add(staff_client, event)
        assert response.status_code == 302
        assert Registration.objects.get().pk == reg.pk
        assert Registration.objects.get().status == Registration.Status.REGISTERED

    def test_full_event_is_refused(self, staff_client, make_event):
        event = make_event(kind="vimeo", capacity=1)
        service.register(event, email="first@example.org", first_name="F", last_name="L")
        response = add(staff_client, event)
        assert "Sorry, this event is full." in form_errors(response)["__all__"]
        assert Registration.objects.count() == 1

    def test_closed_event_is_refused(self, staff_client, make_event):
        event = make_event(kind="vimeo", registration_closes=timezone.now() - timedelta(hours=1))
        response = add(staff_client, event)
        assert "Registration for this event has closed." in form_errors(response)["__all__"]
        assert not Registration.objects.exists()

    def test_staff_may_ignore_limits(self, staff_client, make_event):
        event = make_event(kind="vimeo", capacity=1, start=timezone.now() - timedelta(hours=1))
        service.register(
            event, email="first@example.org", first_name="F", last_name="L", enforce_rules=False
        )
        response = add(staff_client, event, ignore_limits="on")
        assert response.status_code == 302
        assert Registration.objects.count() == 2

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"email": "nope"}, "email"),
            ({"email": ""}, "email"),
            ({"email": "a@" + "b" * 260 + ".org"}, "email"),
            ({"first_name": ""}, "first_name"),
            ({"last_name": "x" * 101}, "last_name"),
            ({"first_name": "Ada\nBcc: x@example.org"}, "first_name"),
            ({"last_name": "Love\x00lace"}, "last_name"),
            ({"page": ""}, "page"),
            ({"page": "999999"}, "page"),
            ({"page": "abc"}, "page"),
        ],
    )
    def test_bad_input(self, staff_client, make_event, data, field):
        event = make_event(kind="vimeo")
        response = add(staff_client, event, **data)
        assert field in form_errors(response)
        assert not Registration.objects.exists()

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"email": "nope"}, "email", "Enter a valid email address."),
            ({"email": ""}, "email", "This field is required."),
            ({"first_name": "x" * 101}, "first_name", None),
        ],
    )
    def test_one_message_per_problem(self, staff_client, make_event, data, field, message):
        event = make_event(kind="vimeo")
        errors = form_errors(add(staff_client, event, **data))[field]
        assert len(errors) == 1, errors
        if message:
            assert errors == [message]

    def test_page_that_is_not_an_event(self, staff_client, make_event, site):
        event = make_event(kind="vimeo")
        response = add(staff_client, event, page=site.root_page.pk)
        assert "page" in form_errors(response)
        assert not Registration.objects.exists()


class TestIndex:
    def make_rows(self, event, n):
        RegistrationFactory.create_batch(n, page=event)

    def test_lists_registrations(self, staff_client, make_event):
        event = make_event(kind="vimeo", title="Data Science 101")
        RegistrationFactory(page=event, email="ada@example.org", first_name="Ada")
        response = staff_client.get(reverse(INDEX_URL))
        html = response.content.decode()
        assert response.status_code == 200
        assert "ada@example.org" in html
        assert "Data Science 101" in html

    def test_query_count_does_not_grow_with_rows(
        self, staff_client, make_event, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        events = [make_event(kind="vimeo"), make_event(kind="zoom_meeting")]
        for event in events:
            self.make_rows(event, 5)
        pages = [{}, {"status": "registered"}, {"export": "csv"}]
        counts = []
        for params in pages:
            with CaptureQueriesContext(connection) as few:
                assert staff_client.get(reverse(INDEX_URL), params).status_code == 200
            counts.append(len(few))
        for event in events:
            self.make_rows(event, 45)
        for params, count in zip(pages, counts, strict=True):
            with django_assert_max_num_queries(count):
                response = staff_client.get(reverse(INDEX_URL), params)
            assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) == 1 + 100  # the export holds every row, still in constant queries

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "cancelled"},
            {"sync_status": "pending"},
            {"page": "EVENT"},
            {"q": "ada"},
        ],
    )
    def test_filters(self, staff_client, make_event, params):
        event = make_event(kind="vimeo")
        other = make_event(kind="vimeo")
        ada = RegistrationFactory(
            page=event,
            email="ada@example.org",
            first_name="Ada",
            status=Registration.Status.CANCELLED,
            sync_status=Registration.SyncStatus.PENDING,
        )
        RegistrationFactory(page=other, email="bob@example.org", first_name="Bob")
        params = {k: (str(event.pk) if v == "EVENT" else v) for k, v in params.items()}
        response = staff_client.get(reverse(INDEX_URL), params)
        assert response.status_code == 200
        html = response.content.decode()
        assert ada.email in html
        assert "bob@example.org" not in html

    def test_filter_rejects_nonsense(self, staff_client):
        response = staff_client.get(reverse(INDEX_URL), {"page": "x", "status": "zzz"})
        assert response.status_code == 200

    def test_csv_export(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        RegistrationFactory(page=event, email="ada@example.org", first_name="Ada")
        response = staff_client.get(reverse(INDEX_URL), {"export": "csv"})
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert "ada@example.org" in rows[1]


class TestInspectAndActions:
    @pytest.fixture
    def reg(self, make_event):
        event = make_event(kind="vimeo", capacity=1)
        return service.register(
            event, email="ada@example.org", first_name="Ada", last_name="Lovelace"
        ).registration

    def test_inspect_shows_the_person_and_the_right_action(self, staff_client, reg):
        html = staff_client.get(inspect_url(reg)).content.decode()
        assert "ada@example.org" in html
        # Cancelling asks first: the page links to the confirmation.
        assert cancel_confirm_url(reg) in html
        assert action_url(reg, "reregister") not in html

    def test_inspect_shows_times_in_campus_local_time(self, staff_client, reg):
        from wagtail_webinars.templatetags.webinars import campus_datetime

        html = staff_client.get(inspect_url(reg)).content.decode()
        expected = campus_datetime(reg.registered_at)
        assert expected.endswith(("EST", "EDT"))
        assert expected in html

    def test_cancel_action(self, staff_client, reg):
        response = staff_client.post(action_url(reg, "cancel"))
        assert response.status_code == 302
        assert response["Location"] == inspect_url(reg)
        reg.refresh_from_db()
        assert reg.status == Registration.Status.CANCELLED
        followed = staff_client.get(response["Location"])
        assert messages_of(followed) == ["Registration cancelled."]
        assert action_url(reg, "reregister") in followed.content.decode()

    def test_reregister_action_ignores_limits(self, staff_client, reg):
        service.cancel(reg)
        service.register(reg.page.specific, email="b@example.org", first_name="B", last_name="B")
        response = staff_client.post(action_url(reg, "reregister"))
        assert response.status_code == 302
        reg.refresh_from_db()
        assert reg.status == Registration.Status.REGISTERED
        assert reg.source == Registration.Source.ADMIN

    @pytest.mark.parametrize("action", ["cancel", "reregister"])
    def test_actions_are_post_only(self, staff_client, reg, action):
        if action == "reregister":
            service.cancel(reg)
        status_before = Registration.objects.get(pk=reg.pk).status
        assert staff_client.get(action_url(reg, action)).status_code == 405
        assert Registration.objects.get(pk=reg.pk).status == status_before

    def test_action_that_does_not_apply(self, staff_client, reg):
        response = staff_client.post(action_url(reg, "reregister"), follow=True)
        assert messages_of(response) == ["That action does not apply to this registration now."]
        reg.refresh_from_db()
        assert reg.is_active

    def test_unknown_action_and_registration(self, staff_client, reg):
        assert staff_client.post(action_url(reg, "explode")).status_code == 404
        missing = reverse("wagtail_webinars_registrations:action", args=(reg.pk + 1000, "cancel"))
        assert staff_client.post(missing).status_code == 404


class TestPermissions:
    @pytest.fixture
    def reg(self, make_event):
        event = make_event(kind="vimeo")
        return service.register(
            event, email="secret.person@example.org", first_name="Secret", last_name="Person"
        ).registration

    def make_user(self, django_user_model, *codenames):
        user = django_user_model.objects.create_user("editor", "editor@example.edu", "pw")
        group = Group.objects.create(name="Limited")
        perms = Permission.objects.filter(
            content_type__app_label__in=["wagtailadmin", "wagtail_webinars"],
            codename__in=["access_admin", *codenames],
        )
        assert perms.count() == 1 + len(codenames)
        group.permissions.set(perms)
        user.groups.add(group)
        return user

    def test_admin_user_without_registration_permissions_sees_nothing(
        self, client, django_user_model, reg
    ):
        client.force_login(self.make_user(django_user_model))
        urls = [
            reverse(INDEX_URL),
            reverse(INDEX_URL) + "?export=csv",
            reverse(ADD_URL),
            inspect_url(reg),
            reverse("wagtail_webinars_registrations:edit", args=(reg.pk,)),
            reverse("wagtailforms:list_submissions", args=(reg.page_id,)),
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code in (302, 403), url
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert b"secret.person" not in body, url
        response = client.post(action_url(reg, "cancel"))
        assert response.status_code in (302, 403)
        reg.refresh_from_db()
        assert reg.is_active
        response = client.post(
            reverse(ADD_URL),
            {"page": reg.page_id, "first_name": "A", "last_name": "B", "email": "x@example.org"},
        )
        assert response.status_code in (302, 403)
        assert Registration.objects.count() == 1

    def test_menu_item_hidden_without_permission(self, client, django_user_model, reg):
        client.force_login(self.make_user(django_user_model))
        html = client.get(reverse("wagtailadmin_home")).content.decode()
        assert reverse(INDEX_URL) not in html

    def test_view_only_user_can_look_but_not_act(self, client, django_user_model, reg):
        from wagtail.models import GroupPagePermission

        user = self.make_user(django_user_model, "view_registration")
        # The registration permission counts on the events whose page they may edit.
        GroupPagePermission.objects.create(
            group=user.groups.get(),
            page=reg.page,
            permission=page_permission("change"),
        )
        client.force_login(user)
        assert client.get(reverse(INDEX_URL)).status_code == 200
        html = client.get(inspect_url(reg)).content.decode()
        assert "secret.person@example.org" in html
        assert cancel_confirm_url(reg) not in html
        denied = client.post(action_url(reg, "cancel"))
        # Wagtail answers a PermissionDenied in the admin with a redirect home.
        assert denied.status_code == 403 or denied["Location"] == reverse("wagtailadmin_home")
        reg.refresh_from_db()
        assert reg.is_active


class TestEditNames:
    @pytest.fixture
    def reg(self, make_event):
        event = make_event(kind="vimeo")
        return service.register(
            event, email="ada@example.org", first_name="Ada", last_name="Lovlace"
        ).registration

    def edit(self, client, reg, **data):
        return client.post(reverse("wagtail_webinars_registrations:edit", args=(reg.pk,)), data)

    def test_staff_correct_a_name_and_the_answers_follow(self, staff_client, reg):
        response = self.edit(staff_client, reg, first_name=" Ada ", last_name="Lovelace")
        assert response.status_code == 302
        reg.refresh_from_db()
        assert (reg.first_name, reg.last_name) == ("Ada", "Lovelace")
        assert reg.form_data["last_name"] == "Lovelace"
        assert reg.email == "ada@example.org"

    @pytest.mark.parametrize("bad", ["Ada\nBcc: x@evil.test", "A" * 101, "", "\x00"])
    def test_bad_names_are_refused_and_nothing_changes(self, staff_client, reg, bad):
        response = self.edit(staff_client, reg, first_name=bad, last_name="Lovelace")
        assert response.status_code == 200
        assert form_errors(response).get("first_name")
        reg.refresh_from_db()
        assert (reg.first_name, reg.last_name) == ("Ada", "Lovlace")

    def test_the_email_cannot_be_changed_here(self, staff_client, reg):
        self.edit(staff_client, reg, first_name="Ada", last_name="L", email="other@example.org")
        reg.refresh_from_db()
        assert reg.email == "ada@example.org"


class TestListUsability:
    """Every row opens its registration and carries the staff actions in its menu."""

    def test_rows_link_to_the_registration_and_have_the_actions(self, staff_client, make_event):
        event = make_event(kind="zoom_meeting")
        active = RegistrationFactory(page=event, sync_status=Registration.SyncStatus.FAILED)
        cancelled = RegistrationFactory(page=event, status=Registration.Status.CANCELLED)
        html = staff_client.get(reverse(INDEX_URL)).content.decode()
        for reg in (active, cancelled):
            assert f'href="{inspect_url(reg)}"' in html
        assert action_url(active, "retry_sync") in html
        assert action_url(active, "resend_reminder") in html
        assert cancel_confirm_url(active) in html
        assert action_url(cancelled, "reregister") in html
        assert action_url(active, "reregister") not in html
        assert 'data-action="w-action#post"' in html

    def test_view_only_user_gets_no_actions(self, client, django_user_model, make_event):
        from wagtail.models import GroupPagePermission

        event = make_event(kind="vimeo")
        reg = RegistrationFactory(page=event)
        user = TestPermissions().make_user(django_user_model, "view_registration")
        GroupPagePermission.objects.create(
            group=user.groups.get(),
            page=event,
            permission=page_permission("change"),
        )
        client.force_login(user)
        html = client.get(reverse(INDEX_URL)).content.decode()
        assert f'href="{inspect_url(reg)}"' in html
        assert action_url(reg, "resend_reminder") not in html
        assert cancel_confirm_url(reg) not in html

    def test_edit_view_links_back_to_the_registration(self, staff_client, make_event):
        reg = RegistrationFactory(page=make_event(kind="vimeo"))
        html = staff_client.get(reverse(f"{NS}:edit", args=(reg.pk,))).content.decode()
        assert f'href="{inspect_url(reg)}"' in html

    def test_cancel_asks_first(self, staff_client, make_event):
        reg = RegistrationFactory(page=make_event(kind="vimeo", title="Data Science 101"))
        response = staff_client.get(cancel_confirm_url(reg), {"next": reverse(INDEX_URL)})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Data Science 101" in html and reg.email in html
        assert f'action="{action_url(reg, "cancel")}"' in html
        assert f'value="{reverse(INDEX_URL)}"' in html
        assert Registration.objects.get(pk=reg.pk).is_active  # asking changed nothing
        response = staff_client.post(action_url(reg, "cancel"), {"next": reverse(INDEX_URL)})
        assert response["Location"] == reverse(INDEX_URL)
        assert not Registration.objects.get(pk=reg.pk).is_active

    def test_next_must_be_on_this_site(self, staff_client, make_event):
        reg = RegistrationFactory(page=make_event(kind="vimeo"))
        response = staff_client.post(action_url(reg, "cancel"), {"next": "https://evil.example/"})
        assert response["Location"] == inspect_url(reg)


def status_tag(html: str, label: str) -> str:
    """The opening tag of the status tag that shows ``label``."""
    import re

    match = re.search(r'<span class="([^"]*w-status[^"]*)">\s*' + re.escape(label), html)
    assert match, label
    return match.group(1)


class TestSyncStatusTag:
    def test_failed_stands_out_not_applicable_does_not(self, staff_client, make_event):
        event = make_event(kind="zoom_meeting")
        RegistrationFactory(page=event, sync_status=Registration.SyncStatus.FAILED)
        html = staff_client.get(reverse(INDEX_URL)).content.decode()
        assert "w-bg-critical-200" in status_tag(html, "Sync failed")
        Registration.objects.update(sync_status=Registration.SyncStatus.NOT_APPLICABLE)
        html = staff_client.get(reverse(INDEX_URL)).content.decode()
        assert "critical" not in status_tag(html, "Not applicable")


class TestEventChoices:
    def test_newest_first_with_dates_and_drafts_marked(self, staff_client, make_event):
        from datetime import datetime as dt

        from wagtail_webinars.templatetags.webinars import campus_datetime

        old = make_event(kind="vimeo", title="Old talk", start=timezone.now() + timedelta(days=1))
        new = make_event(kind="vimeo", title="New talk", start=timezone.now() + timedelta(days=9))
        draft = make_event(
            kind="vimeo", title="Draft talk", start=timezone.now() + timedelta(days=5)
        )
        draft.unpublish()
        assert isinstance(new.start, dt)
        for url in (reverse(INDEX_URL), reverse(ADD_URL)):
            html = staff_client.get(url).content.decode()
            labels = [
                f"New talk — {campus_datetime(new.start)}",
                f"Draft talk — {campus_datetime(draft.start)} (draft)",
                f"Old talk — {campus_datetime(old.start)}",
            ]
            positions = [html.index(label) for label in labels]
            assert positions == sorted(positions), url


class TestAuditLog:
    def test_entries_name_the_registration_by_id_and_event_only(self, staff_client, make_event):
        from wagtail.models import ModelLogEntry

        event = make_event(kind="vimeo", title="Data Science 101")
        reg = service.register(
            event, email="secret.person@example.org", first_name="Secret", last_name="Person"
        ).registration
        staff_client.post(
            reverse(f"{NS}:edit", args=(reg.pk,)), {"first_name": "Secret", "last_name": "P"}
        )
        staff_client.post(reverse(f"{NS}:delete", args=(reg.pk,)))
        labels = list(ModelLogEntry.objects.values_list("label", flat=True))
        assert labels, "the edit and delete are logged"
        for label in labels:
            assert "secret" not in label.lower() and "Person" not in label
            assert str(reg.pk) in label and "Data Science 101" in label

    def test_the_deleted_message_names_the_registration_deleted(self, staff_client, make_event):
        event = make_event(kind="vimeo", title="Data Science 101")
        reg = RegistrationFactory(page=event)
        response = staff_client.post(reverse(f"{NS}:delete", args=(reg.pk,)), follow=True)
        assert not Registration.objects.filter(pk=reg.pk).exists()
        assert f"Registration deleted: Registration {reg.pk} for Data Science 101." in " ".join(
            messages_of(response)
        )
        assert "None" not in " ".join(messages_of(response))


class TestPersonExport:
    def test_one_persons_registrations_across_events(self, staff_client, make_event):
        import csv
        import io

        first, second = make_event(kind="vimeo", title="One"), make_event(kind="vimeo", title="Two")
        for event in (first, second):
            RegistrationFactory(
                page=event,
                email="ada@example.org",
                form_data={"email": "ada@example.org", "diet": "vegan"},
            )
        RegistrationFactory(page=first, email="bob@example.org")
        inspect = staff_client.get(inspect_url(Registration.objects.first())).content.decode()
        url = f"{reverse(INDEX_URL)}?email=ada%40example.org&amp;export=csv"
        assert url in inspect
        response = staff_client.get(
            reverse(INDEX_URL), {"email": "ADA@example.org", "export": "csv"}
        )
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert sorted(r["Event"] for r in rows) == ["One", "Two"]
        assert {r["Email"] for r in rows} == {"ada@example.org"}
        assert {r["Answers"] for r in rows} == {"diet: vegan"}
