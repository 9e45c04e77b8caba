"""The event page: a Wagtail form page with a time, a provider and a registration form.

The fields live on an abstract mixin (:class:`EventFieldsMixin`) so a site with its own
base page model can build its event page on it; :class:`EventPage` is the mixin on the
site's configured base page model.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

import swapper
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractFormField, FormMixin
from wagtail.fields import RichTextField
from wagtail.models import AbstractPage

from ..blocks import LocationField
from ..conf import campus_time_zone, get_setting
from ..fields import CampusDateTimeField
from ..forms import EventPageAdminForm, RegistrationFormBuilder


class AbstractRegistrationFormField(AbstractFormField):
    """An extra question an editor adds to an event's registration form.

    Each event page model has its own questions table; a host project's event page
    (built from :class:`AbstractEventPage` or :class:`EventFieldsMixin`) adds one::

        class CampusEventFormField(AbstractRegistrationFormField):
            page = ParentalKey(CampusEvent, on_delete=models.CASCADE, related_name="form_fields")

    (a system check, ``wagtail_webinars.E020``, names an event page without one).
    """

    class Meta(AbstractFormField.Meta):
        abstract = True


class RegistrationFormField(AbstractRegistrationFormField):
    """The extra questions of :class:`EventPage` (and pages extending it)."""

    page = ParentalKey(
        "wagtail_webinars.EventPage", on_delete=models.CASCADE, related_name="form_fields"
    )


class EventPageMixin:
    """Behaviour of an event page, kept apart from the fields so a host project
    with a swapped base Page model can build its own concrete page."""

    form_builder = RegistrationFormBuilder
    base_form_class = EventPageAdminForm

    # -- provider -------------------------------------------------------------------
    @property
    def location_block(self):
        """The one virtual-location block, or ``None`` while none is set."""
        return self.location[0] if self.location else None

    @property
    def location_kind(self) -> str:
        block = self.location_block
        return block.block_type if block else ""

    @cached_property
    def provider(self):
        from ..providers import get_provider_class

        block = self.location_block
        if block is None:
            return None
        return get_provider_class(block.block_type)(dict(block.value), event=self)

    @property
    def is_managed(self) -> bool:
        return bool(self.provider and self.provider.can_push_registrants)

    # -- time -----------------------------------------------------------------------
    @property
    def local_start(self) -> datetime:
        return timezone.localtime(self.start, campus_time_zone())

    @property
    def local_end(self) -> datetime:
        return timezone.localtime(self.end, campus_time_zone())

    @property
    def reminder_lead(self) -> timedelta:
        minutes = self.reminder_lead_minutes
        if minutes is None:
            minutes = get_setting("REMINDER_LEAD_MINUTES")
        return timedelta(minutes=minutes)

    @property
    def reminder_due_at(self) -> datetime:
        return self.start - self.reminder_lead

    @property
    def attendance_min_minutes(self) -> int:
        """Minutes online needed to count as attended (check-in from the report)."""
        minutes = getattr(self, "min_attended_minutes", None)
        if minutes is None:
            minutes = get_setting("ATTENDANCE_MIN_MINUTES")
        return int(minutes)

    # -- registration -----------------------------------------------------------------
    def get_submission_class(self):
        from .registration import Registration

        return Registration

    def get_data_fields(self):
        fields = [
            ("submit_time", _("Registered")),
            ("first_name", _("First name")),
            ("last_name", _("Last name")),
            ("email", _("Email")),
            ("status", _("Status")),
            ("checked_in_at", _("Checked in")),
        ]
        fields += [(f.clean_name, f.label) for f in self.get_form_fields()]
        return fields

    #: Wagtail's submissions list for this page. The admin sets its own view here
    #: (``wagtail_hooks.py``): registrations are personal data, so that view asks the
    #: registration policy, and its exports have safe cells in campus time.
    submissions_list_view_class = None

    def registration_closed_reason(self, now: datetime | None = None) -> str | None:
        """Why a visitor cannot register now, or ``None`` when they can (capacity aside)."""
        now = now or timezone.now()
        if self.registration_opens and now < self.registration_opens:
            opens = timezone.localtime(self.registration_opens, campus_time_zone())
            return _("Registration opens %(when)s.") % {"when": _format_local(opens)}
        if self.registration_closes and now >= self.registration_closes:
            return _("Registration for this event has closed.")
        if now >= self.start:
            return _("This event has already started, so registration is closed.")
        return None

    def active_registration_count(self) -> int:
        return self.get_submissions().filter(status="registered").count()

    def spots_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.active_registration_count(), 0)

    def process_form_submission(self, form):
        """Wagtail's hook: every form path goes through the registration service."""
        from .. import public_form

        return public_form.process_form_submission(self, form)

    def serve(self, request, *args, **kwargs):
        # The visitor's side of the form (one answer whatever the address's state,
        # rate limits, errors on the form): see public_form.py.
        from .. import public_form

        return public_form.serve(self, request)

    def clean(self):
        super().clean()
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("The event must end after it starts.")
        if (
            self.registration_opens
            and self.registration_closes
            and self.registration_closes <= self.registration_opens
        ):
            errors["registration_closes"] = _("Registration must close after it opens.")
        if self.registration_opens and self.start and self.registration_opens >= self.start:
            errors["registration_opens"] = _("Registration must open before the event starts.")
        if self.capacity is not None and self.capacity < 1:
            errors["capacity"] = _("Capacity must be at least 1, or empty for no limit.")
        if errors:
            raise ValidationError(errors)


def _format_local(value: datetime) -> str:
    from ..templatetags.webinars import campus_datetime

    return campus_datetime(value)


class EventFieldsMixin(EventPageMixin, FormMixin, models.Model):
    """The event fields and behaviour, for any base page model.

    A site that swapped Wagtail's base page model (``WAGTAIL_PAGE_MODEL``) builds its
    own event page from this and its base page::

        class CampusEvent(EventFieldsMixin, BasePage):
            content_panels = [*BasePage.content_panels, *EventFieldsMixin.event_panels]

    (plus a form-field model with ``related_name="form_fields"``, as for any Wagtail
    form page). Reminders, the admin and the registration service find it through
    :func:`~wagtail_webinars.models.event_page_models`.
    """

    start = CampusDateTimeField(_("starts"))
    end = CampusDateTimeField(_("ends"))
    description = RichTextField(_("description"), blank=True)
    reply_to = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_("Replies to the confirmation and reminder emails go here."),
    )
    location = LocationField(
        min_num=1,
        max_num=1,
        verbose_name=_("virtual location"),
        help_text=_("Pick the video provider. Set the meeting up in the provider first."),
    )
    venue = models.TextField(
        _("in-person venue"),
        blank=True,
        help_text=_("Optional, for hybrid events: where people can attend in person."),
    )
    registration_opens = CampusDateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = CampusDateTimeField(_("registration closes"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    reminder_lead_minutes = models.PositiveIntegerField(
        _("reminder lead time (minutes)"),
        null=True,
        blank=True,
        help_text=_("When to send the reminder before the start. Empty: the site default."),
    )
    min_attended_minutes = models.PositiveIntegerField(
        _("minimum minutes to count as attended"),
        null=True,
        blank=True,
        help_text=_(
            "Participants online for fewer minutes are listed as joined briefly, "
            "not checked in. Empty: the site default."
        ),
    )
    # What the managed provider last told us about the meeting (its settings).
    provider_config = models.JSONField(default=dict, blank=True, editable=False)
    provider_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    #: The editor's panels for the event fields: a host page built on its own base page
    #: adds them to its base page's panels (``[*BasePage.content_panels, *event_panels]``).
    event_panels = [
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("start"), FieldPanel("end")])], heading=_("When")
        ),
        FieldPanel("description"),
        FieldPanel("location"),
        FieldPanel("venue"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("registration_opens"), FieldPanel("registration_closes")]
                ),
                FieldPanel("capacity"),
                FieldPanel("reply_to"),
                FieldPanel("reminder_lead_minutes"),
            ],
            heading=_("Registration"),
        ),
        FieldPanel("min_attended_minutes"),
        InlinePanel("form_fields", label=_("Extra registration questions")),
    ]

    content_panels = [*AbstractPage.content_panels, *event_panels]

    template = "wagtail_webinars/event_page.html"
    landing_page_template = "wagtail_webinars/event_page_landing.html"

    class Meta:
        abstract = True


def configured_page_model():
    """The site's base page model class (Wagtail's ``Page`` or its ``WAGTAIL_PAGE_MODEL``),
    found while the models load (``swapper.load_model`` alone needs them loaded)."""
    app_label, _model_name = swapper.split(swapper.get_model_name("wagtailcore", "Page"))
    import_module(f"{apps.get_app_config(app_label).name}.models")
    return swapper.load_model("wagtailcore", "Page", require_ready=False)


SitePage = configured_page_model()


class AbstractEventPage(EventFieldsMixin, SitePage):
    """An event page on the site's base page model, to extend with fields of your own."""

    content_panels = [*SitePage.content_panels, *EventFieldsMixin.event_panels]

    class Meta:
        abstract = True


class EventPage(AbstractEventPage):  # noqa: DJ008 (the base page gives __str__: the title)
    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
