"""Registration forms: fixed fields editors cannot remove, and the admin form guarding them."""

from __future__ import annotations

import pytest
from django import forms

from tests.page_forms import add_url, edit_url, event_page_data
from wagtail_webinars.forms import (
    ANSWER_MAX_LENGTH,
    HONEYPOT_FIELD,
    RESERVED_FIELD_NAMES,
    RegistrationFormBuilder,
)
from wagtail_webinars.models import EventPage, RegistrationFormField

pytestmark = pytest.mark.django_db


def question_errors(response) -> list[str]:
    assert response.status_code == 200
    formset = response.context["form"].formsets["form_fields"]
    return [msg for form in formset.forms for msg in form.errors.get("label", [])]


@pytest.mark.parametrize(
    "label", ["Email", "email", "First name", "first_name", "Last Name", "Website"]
)
def test_question_named_like_a_fixed_field_is_refused(staff_client, event_index, label):
    data = event_page_data("vimeo", questions=[{"label": "Dietary needs"}, {"label": label}])
    response = staff_client.post(add_url(event_index), data)
    assert question_errors(response) == [
        f"“{label}” is already on every registration form; choose another question."
    ]
    assert not EventPage.objects.exists()
    assert not RegistrationFormField.objects.exists()


def test_refused_on_edit_too(staff_client, event_index):
    staff_client.post(add_url(event_index), event_page_data("vimeo"))
    page = EventPage.objects.get()
    data = event_page_data("vimeo", questions=[{"label": "E-mail"}, {"label": "Email"}])
    response = staff_client.post(edit_url(page), data)
    assert len(question_errors(response)) == 1
    assert not page.form_fields.exists()


def test_deleted_question_with_a_fixed_name_is_ignored(staff_client, event_index):
    data = event_page_data("vimeo", questions=[{"label": "Email"}, {"label": "Dietary needs"}])
    data["form_fields-0-DELETE"] = "on"
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 302
    assert [f.label for f in EventPage.objects.get().form_fields.all()] == ["Dietary needs"]


def test_duplicate_questions_are_refused(staff_client, event_index):
    data = event_page_data("vimeo", questions=[{"label": "Diet"}, {"label": "Diet"}])
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 200
    assert not EventPage.objects.exists()


class TestFormBuilder:
    def fields(self, event):
        return event.get_form_class().base_fields

    def test_fixed_fields_come_first_and_honeypot_last(self, make_event):
        event = make_event(kind="vimeo")
        RegistrationFormField.objects.create(page=event, label="Diet", field_type="singleline")
        assert list(self.fields(event)) == ["first_name", "last_name", "email", "diet", "website"]

    def test_fixed_fields_are_required_and_honeypot_is_not(self, make_event):
        fields = self.fields(make_event(kind="vimeo"))
        assert all(fields[name].required for name in ("first_name", "last_name", "email"))
        assert not fields[HONEYPOT_FIELD].required
        assert isinstance(fields["email"].widget, forms.EmailInput)
        assert fields["email"].widget.attrs["autocomplete"] == "email"

    def test_a_stored_question_cannot_replace_a_fixed_field(self, make_event):
        # Even if one slipped in (data from before the check, or created in code).
        event = make_event(kind="vimeo")
        for label in ("Email", "Website"):
            field = RegistrationFormField(page=event, label=label, field_type="checkbox")
            field.save()
            assert field.clean_name in RESERVED_FIELD_NAMES
        fields = self.fields(event)
        assert isinstance(fields["email"].widget, forms.EmailInput)
        assert fields["email"].required
        assert not isinstance(fields["website"], forms.BooleanField)

    def test_multiline_answers_are_limited(self, make_event):
        event = make_event(kind="vimeo")
        RegistrationFormField.objects.create(page=event, label="Notes", field_type="multiline")
        assert self.fields(event)["notes"].max_length == ANSWER_MAX_LENGTH

    def test_builder_alone(self):
        form_class = RegistrationFormBuilder([]).get_form_class()
        form = form_class(
            {"first_name": " Ada ", "last_name": "Lovelace", "email": "ADA@example.org"}
        )
        assert form.is_valid()
        assert form.cleaned_data["email"] == "ada@example.org"
        assert form.custom_answers() == {}
        assert not form.is_bot

    def test_honeypot_marks_bots(self):
        form_class = RegistrationFormBuilder([]).get_form_class()
        form = form_class(
            {"first_name": "A", "last_name": "B", "email": "a@example.org", "website": "x"}
        )
        assert form.is_valid()
        assert form.is_bot
        assert HONEYPOT_FIELD not in form.custom_answers()
