"""POST data for the Wagtail admin's EventPage add/edit views, as the editor's browser sends it."""

from __future__ import annotations

from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

#: What an editor types into each provider's block, by block name.
TYPED_LOCATIONS = {
    "zoom_meeting": {"meeting_id": "812 3456 7890", "join_url": "", "password": ""},
    "zoom_webinar": {"meeting_id": "912-3456-7890", "join_url": "", "password": ""},
    "zoom_meeting_link": {
        "meeting_id": "855 1234 5678",
        "join_url": "https://example.zoom.us/j/85512345678?pwd=abc",
        "password": "abc123",
    },
    "zoom_webinar_link": {
        "meeting_id": "966-1234-5678",
        "join_url": "https://example.zoom.us/w/96612345678",
        "password": "xyz789",
    },
    "vimeo": {"join_url": "https://vimeo.com/event/1234567"},
    "microsoft_teams": {
        "join_url": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_N2Q%40thread.v2/0"
    },
}


def event_page_data(
    kind: str = "vimeo",
    location: dict | None = None,
    questions: list[dict] | None = None,
    publish: bool = True,
    **fields,
) -> dict:
    """Form data for the EventPage editor; ``fields`` override the page fields."""
    data = {
        "title": "Data Science 101",
        "slug": "data-science-101",
        "start": "2030-01-15 14:00",
        "end": "2030-01-15 15:30",
        "description": rich_text("<p>About the event.</p>"),
        "location": streamfield(
            [(kind, location if location is not None else TYPED_LOCATIONS[kind])]
        ),
        "venue": "",
        "registration_opens": "",
        "registration_closes": "",
        "capacity": "",
        "reply_to": "organiser@example.edu",
        "reminder_lead_minutes": "",
        "form_fields": inline_formset(
            [
                {
                    "label": q["label"],
                    "field_type": q.get("field_type", "singleline"),
                    "required": "on" if q.get("required", True) else "",
                    "choices": q.get("choices", ""),
                    "default_value": "",
                    "help_text": "",
                    **({"id": str(q["id"])} if "id" in q else {}),
                }
                for q in (questions or [])
            ],
            initial=sum(1 for q in (questions or []) if "id" in q),
        ),
        **fields,
    }
    if publish:
        data["action-publish"] = "action-publish"
    return nested_form_data(data)


def add_url(parent) -> str:
    return reverse("wagtailadmin_pages:add", args=("wagtail_webinars", "eventpage", parent.pk))


def edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))
