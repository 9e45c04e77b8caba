"""After the event: participant pulls and the participants that matched nobody.

The check-in itself lives on :class:`~wagtail_webinars.models.Registration`
(``checked_in_at``, ``checkin_source``, ``checkin_matched_by``, minutes, first
join / last leave...); only :mod:`wagtail_webinars.checkin` writes it.

* :class:`ParticipantPull`: one row per run of "check in webinar attendees"
  (staff's button, the management command, the automatic pulls after the end),
  with its state, when it ran, what it found and a message for staff.
* :class:`UnmatchedParticipant`: someone in the provider's report who matched
  no active registration of the event (one row per person per event, kept up to
  date by later pulls), until staff link, register or dismiss them.
"""

from __future__ import annotations

import swapper
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipantPull(models.Model):
    """One pull of an event's participant report, with what it found."""

    class State(models.TextChoices):
        #: Queued: a worker will run it (also while it waits for a retry after a 429).
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        #: The provider has no report yet (just-ended meeting): tried again later.
        WAITING = "waiting", _("Waiting for Zoom")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        STAFF = "staff", _("Staff")
        AUTOMATIC = "automatic", _("Automatic after the event")
        COMMAND = "command", _("Management command")

    page = models.ForeignKey(
        swapper.get_model_name("wagtailcore", "Page"),
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("event"),
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    trigger = models.CharField(
        _("started by"), max_length=16, choices=Trigger.choices, default=Trigger.STAFF
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    #: When a waiting or rate-limited pull runs again (``None``: it does not).
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)

    # What it found (filled when done).
    instances = models.PositiveIntegerField(_("meeting instances"), default=0)
    rows = models.PositiveIntegerField(_("report rows"), default=0)
    people = models.PositiveIntegerField(_("people"), default=0)
    checked_in = models.PositiveIntegerField(_("newly checked in"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    matched_by_name = models.PositiveIntegerField(_("matched by name"), default=0)
    joined_briefly = models.PositiveIntegerField(_("joined briefly"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    #: For staff: what happened, in words (never names, emails or secrets).
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("participant pull")
        verbose_name_plural = _("participant pulls")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["page", "-requested_at"], name="webinars_pull_page")]

    def __str__(self) -> str:
        return f"pull {self.pk} of event {self.page_id}: {self.state}"

    @property
    def is_active(self) -> bool:
        """Queued, running or waiting: another press would only start a duplicate."""
        return self.state in (self.State.QUEUED, self.State.RUNNING, self.State.WAITING)


class UnmatchedParticipant(models.Model):
    """Someone in the participant report that matched no active registration."""

    class State(models.TextChoices):
        OPEN = "open", _("To review")
        LINKED = "linked", _("Linked to a registration")
        REGISTERED = "registered", _("Registered from the report")
        DISMISSED = "dismissed", _("Dismissed")

    page = models.ForeignKey(
        swapper.get_model_name("wagtailcore", "Page"),
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("event"),
    )
    #: Who this is across pulls ("rid:...", "email:...", "name:..."): a later pull
    #: updates the same row instead of adding another.
    key = models.CharField(max_length=300, editable=False)
    name = models.CharField(_("name"), max_length=300, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    registrant_id = models.CharField(max_length=128, blank=True, editable=False)
    minutes = models.PositiveIntegerField(_("minutes attended"), default=0)
    first_join = models.DateTimeField(_("first joined"), null=True, blank=True)
    last_leave = models.DateTimeField(_("last left"), null=True, blank=True)
    joined_briefly = models.BooleanField(_("joined briefly"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="open")
    registration = models.ForeignKey(
        "wagtail_webinars.Registration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("registration"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    last_pull = models.ForeignKey(
        ParticipantPull, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("unmatched participant")
        verbose_name_plural = _("unmatched participants")
        ordering = ["first_join", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["page", "key"], name="webinars_unmatched_one_per_key")
        ]
        indexes = [models.Index(fields=["page", "state"], name="webinars_unmatched_state")]

    def __str__(self) -> str:
        # No name or email: these strings end up in logs and audit labels.
        return f"unmatched participant {self.pk} of event {self.page_id}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN
