"""The example site's contact form: a plain Wagtail form page the demo content creates
(and the registration benchmark compares a registration with)."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from wagtail.contrib.forms.models import FormSubmission

from example_site.home.models import ContactPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    call_command("load_demo", stdout=io.StringIO())
    return ContactPage.objects.get()


def test_demo_content_creates_one_contact_page(contact):
    call_command("load_demo", stdout=io.StringIO())  # again: nothing added
    assert ContactPage.objects.count() == 1
    assert contact.live
    assert [f.clean_name for f in contact.form_fields.all()] == [
        "your_name",
        "your_email",
        "message",
    ]


def test_a_visitor_sends_a_message(client, contact):
    page = client.get(contact.url)
    assert page.status_code == 200
    assert b'name="your_email"' in page.content
    answer = client.post(
        contact.url,
        {"your_name": "Ada", "your_email": "ada@example.org", "message": "Which room?"},
    )
    assert answer.status_code == 200
    assert b"Thank you" in answer.content
    submission = FormSubmission.objects.get(page=contact)
    assert submission.get_data()["message"] == "Which room?"
    assert [m.to for m in mail.outbox] == [["events@example.edu"]]


def test_a_bad_email_is_refused_on_the_form(client, contact):
    answer = client.post(
        contact.url, {"your_name": "Ada", "your_email": "not an email", "message": "Hi"}
    )
    assert answer.status_code == 200
    assert b'class="errorlist' in answer.content
    assert not FormSubmission.objects.filter(page=contact).exists()
