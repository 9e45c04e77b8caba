from wagtail_webinars import registration as service


def test_register_on_page(client, make_event):
    event = make_event(kind="vimeo")
    response = client.post(
        event.url, {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org"}
    )
    assert response.status_code == 200
    registration = event.get_submissions().get()
    assert registration.email == "ada@example.org"
    assert registration.status == "registered"


def test_service_duplicate(make_event):
    event = make_event(kind="vimeo")
    first = service.register(event, email="a@example.org", first_name="A", last_name="B")
    second = service.register(event, email="A@example.org ", first_name="A", last_name="B")
    assert first.outcome == "created"
    assert second.outcome == "already_registered"
    assert second.registration.pk == first.registration.pk
