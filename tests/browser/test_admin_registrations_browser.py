"""Staff cancel a registration from the Registrations list's row menu, in a real
browser: open the row menu, choose Cancel, confirm, land back on the list.

Uses Debian's Chromium (``/usr/bin/chromium``); skips, saying why, when it or the
``playwright`` package is missing. Never ``playwright install``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import RegistrationFactory
from wagtail_webinars.models import Registration

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_cancel_from_the_row_menu(live_server, make_event, page, django_user_model):
    django_user_model.objects.create_superuser("staff", "staff@example.edu", "pw")
    event = make_event(kind="vimeo", title="Data Science 101")
    reg = RegistrationFactory(page=event, first_name="Ada", last_name="Lovelace")

    page.goto(live_server.url + reverse("wagtailadmin_login"))
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw")
    with page.expect_navigation():
        page.click("button[type=submit]")

    index = live_server.url + reverse("wagtail_webinars_registrations:index")
    page.goto(index)
    row = page.locator("tr", has_text="Ada Lovelace")
    # The name opens the registration.
    assert row.get_by_role("link", name="Ada Lovelace").get_attribute("href") == reverse(
        "wagtail_webinars_registrations:inspect", args=(reg.pk,)
    )
    row.get_by_role("button", name="More options").click()
    with page.expect_navigation():
        row.get_by_role("link", name="Cancel registration").click()

    # Asked first: nothing happened yet.
    page.get_by_text("Cancel the registration of Ada Lovelace").wait_for()
    assert Registration.objects.get(pk=reg.pk).is_active
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, cancel the registration").click()

    assert page.url.startswith(index)
    page.get_by_text("Registration cancelled.").wait_for()
    assert not Registration.objects.get(pk=reg.pk).is_active
