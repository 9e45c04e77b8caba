"""Property test of the public form (hypothesis): random answers for every field
type an editor can add, hidden fields included: never a server error, never a
half-saved registration."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.contrib.forms.models import FORM_FIELD_CHOICES

from wagtail_webinars.models import Registration, RegistrationFormField

pytestmark = pytest.mark.django_db

FIELD_TYPES = [name for name, _label in FORM_FIELD_CHOICES]
CHOICE_TYPES = {"dropdown", "multiselect", "radio", "checkboxes"}
MULTI_TYPES = {"multiselect", "checkboxes"}

# Any text at all (control characters, NUL, surrogates left out only because a
# browser cannot send them), short and very long.
text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=5000),
    st.sampled_from(["", " ", "red", "Red", "1", "-1e999", "2030-01-15", "2030-01-15 14:00"]),
    st.sampled_from(["https://example.org/x", "ada@example.org", "on", "true", "\x00", "a\r\nb"]),
)
email = st.one_of(st.emails(), text)
answer = st.one_of(text, st.lists(text, max_size=4))


@pytest.fixture
def event(make_event, settings):
    # The rate limits are not what is tested here.
    settings.WAGTAIL_WEBINARS = {
        "REGISTRATION_RATE_PER_MINUTE": 0,
        "REGISTRATION_RATE_PER_HOUR": 0,
    }
    event = make_event(kind="vimeo")
    for n, field_type in enumerate(FIELD_TYPES):
        RegistrationFormField.objects.create(
            page=event,
            sort_order=n,
            label=f"Question {field_type}",
            field_type=field_type,
            required=n % 2 == 0,
            choices="red,green,blue" if field_type in CHOICE_TYPES else "",
        )
    return event


def field_names(event) -> list[str]:
    return [f.clean_name for f in event.form_fields.all()]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_never_a_server_error_never_a_half_save(client, event, data):
    names = field_names(event)
    post = {
        "first_name": data.draw(text, "first_name"),
        "last_name": data.draw(text, "last_name"),
        "email": data.draw(email, "email"),
    }
    for name in names:
        if data.draw(st.booleans(), f"send {name}"):
            post[name] = data.draw(answer, name)
    if data.draw(st.booleans(), "extra keys"):
        post[data.draw(st.text(min_size=1, max_size=20), "extra key")] = data.draw(text)
    before = Registration.objects.count()

    response = client.post(event.url, post)

    assert response.status_code == 200
    after = Registration.objects.count()
    assert after in (before, before + 1)
    for reg in Registration.objects.all():
        # Whole rows only: the columns and the stored answers agree, nothing empty.
        assert reg.email and reg.first_name and reg.last_name
        assert reg.form_data["email"] == reg.email
        assert reg.form_data["first_name"] == reg.first_name
        assert reg.form_data["last_name"] == reg.last_name
        assert set(reg.form_data) <= {*names, "email", "first_name", "last_name"}
