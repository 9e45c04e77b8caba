"""Property tests of the signed cancel, join and re-register links (links.py) through
their views: any token, forged, damaged, swapped between purposes or signed over
the wrong payload, is answered without a 500 and changes nothing."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import RegistrationFactory
from wagtail_webinars import links
from wagtail_webinars.models import Registration

VIEWS = ["cancel", "join", "reregister"]
PURPOSES = [links.CANCEL, links.JOIN, links.REREGISTER]
#: What a link may act on: none of it may change.
WATCHED = (
    "status",
    "cancelled_at",
    "join_opened_at",
    "join_clicked_at",
    "join_early_clicked_at",
    "join_click_count",
    "checked_in_at",
    "link_version",
)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Path-safe text (the URL's <str:token> takes anything but "/").
TOKEN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/"),
    min_size=1,
    max_size=120,
)


@pytest.fixture
def row(make_event):
    return RegistrationFactory(page=make_event(kind="zoom_meeting_link"))


def state(row) -> tuple:
    return tuple(Registration.objects.filter(pk=row.pk).values_list(*WATCHED).get())


def answer(client, view, token, method):
    url = reverse(f"wagtail_webinars:{view}", kwargs={"token": token})
    response = client.post(url) if method == "POST" else client.get(url)
    assert response.status_code < 500, (view, method, token, response.status_code)
    return response


@st.composite
def damaged(draw, valid: str):
    """A real token, damaged: one character changed, cut, lengthened or its parts swapped."""
    how = draw(st.sampled_from(["change", "cut", "append", "swap", "case"]))
    if how == "change":
        i = draw(st.integers(min_value=0, max_value=len(valid) - 1))
        char = draw(st.sampled_from("AZaz09-_:."))
        return valid[:i] + char + valid[i + 1 :]
    if how == "cut":
        return valid[: draw(st.integers(min_value=1, max_value=len(valid) - 1))]
    if how == "append":
        return valid + draw(st.text(alphabet="abc:=-_.0", min_size=1, max_size=5))
    if how == "swap":
        parts = valid.split(":")
        return ":".join(reversed(parts))
    return valid.swapcase()


@SETTINGS
@given(token=TOKEN_TEXT, view=st.sampled_from(VIEWS), method=st.sampled_from(["GET", "POST"]))
def test_any_token_is_answered_and_acts_on_nobody(client, row, token, view, method):
    before = state(row)
    answer(client, view, token, method)
    assert state(row) == before


@SETTINGS
@given(data=st.data(), view=st.sampled_from(VIEWS), purpose=st.sampled_from(PURPOSES))
def test_damaged_or_misused_real_tokens_act_on_nobody(client, row, data, view, purpose):
    valid = links.make_token(row, purpose)
    token = data.draw(damaged(valid))
    if token == valid and VIEWS.index(view) == PURPOSES.index(purpose):
        return  # undamaged and in its own view: that one may act
    before = state(row)
    answer(client, view, token, "POST")
    assert state(row) == before


@SETTINGS
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=6,
    ),
    view=st.sampled_from(VIEWS),
)
def test_our_signature_over_any_payload_acts_on_nobody(client, row, payload, view):
    purpose = PURPOSES[VIEWS.index(view)]
    token = signing.dumps(payload, salt=purpose, compress=False)
    before = state(row)
    answer(client, view, token, "POST")
    assert state(row) == before
