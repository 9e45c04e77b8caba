import pytest

from tests.webhooks.deliveries import WEBHOOK_SECRET


@pytest.fixture
def webhook_secret(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET,
    }
    return WEBHOOK_SECRET


@pytest.fixture
def post_delivery(client, webhook_secret):
    """POST a body to the Zoom webhook, signed unless told otherwise."""
    from tests.webhooks.deliveries import URL, signed_headers

    def post(body: bytes, headers: dict | None = None):
        return client.generic(
            "POST",
            URL,
            body,
            content_type="application/json",
            **(signed_headers(body) if headers is None else headers),
        )

    return post
