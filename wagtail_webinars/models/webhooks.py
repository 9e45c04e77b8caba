"""What providers tell us through webhooks (see :mod:`wagtail_webinars.webhooks`).

* :class:`WebhookDelivery`: one row per delivery (event, when, outcome, a short
  message without personal data), kept ``WEBHOOK_DELIVERY_DAYS`` for staff. The
  delivery's content waits in ``payload`` only until the task has handled it.
* :class:`MeetingNotice`: per event, what the provider said about its meeting
  (deleted, the newest change applied, ended), so late or repeated deliveries
  change nothing.
* :class:`ProviderRegistrant`: someone who registered at the provider directly
  (not through the site), listed for staff to adopt as a registration.
"""

from __future__ import annotations

import swapper
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookDelivery(models.Model):
    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Nothing to do")
        DUPLICATE = "duplicate", _("Repeated delivery")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    provider = models.CharField(_("provider"), max_length=32)
    event_type = models.CharField(_("event"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    #: When the provider says it happened.
    occurred_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    #: Idempotency key: the same delivery again (the provider's retries) has the same key.
    #: Empty for refused deliveries, which are never processed.
    key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    meeting_id = models.CharField(_("meeting ID"), max_length=20, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.QUEUED
    )
    #: For staff: what happened, in words (never names, emails or secrets).
    message = models.CharField(_("message"), max_length=300, blank=True)
    #: The delivery in our words, until the task handled it (then emptied).
    payload = models.JSONField(default=dict, blank=True, editable=False)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"webhook delivery {self.pk} ({self.event_type or '-'}): {self.outcome}"


class MeetingNotice(models.Model):
    """What the provider's webhooks said about one event's meeting."""

    page = models.OneToOneField(
        swapper.get_model_name("wagtailcore", "Page"),
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("event"),
    )
    meeting_id = models.CharField(_("meeting ID"), max_length=20, blank=True)
    #: The provider says the meeting was deleted (cleared when the event points at
    #: another meeting, or the provider shows it again).
    deleted_at = models.DateTimeField(_("deleted at the provider"), null=True, blank=True)
    #: The newest "meeting changed" applied: an older one arriving late is ignored.
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting notice")
        verbose_name_plural = _("meeting notices")

    def __str__(self) -> str:
        return f"meeting notice of event {self.page_id}"


class ProviderRegistrant(models.Model):
    """Someone who registered at the provider directly (Zoom's own registration link)."""

    class State(models.TextChoices):
        OPEN = "open", _("To adopt")
        ADOPTED = "adopted", _("Adopted as a registration")
        CANCELLED = "cancelled", _("Cancelled at the provider")
        DISMISSED = "dismissed", _("Dismissed")

    page = models.ForeignKey(
        swapper.get_model_name("wagtailcore", "Page"),
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("event"),
    )
    meeting_id = models.CharField(max_length=20, blank=True, editable=False)
    registrant_id = models.CharField(max_length=128, editable=False)
    email = models.EmailField(_("email"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    join_url = models.URLField(max_length=1024, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="open")
    registration = models.ForeignKey(
        "wagtail_webinars.Registration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: When the provider said the newest thing about them (out-of-order deliveries).
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("registrant at the provider")
        verbose_name_plural = _("registrants at the provider")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "registrant_id"], name="webinars_provider_registrant_once"
            )
        ]

    def __str__(self) -> str:
        # No name or email: these strings end up in logs and audit labels.
        return f"registrant at the provider {self.pk} of event {self.page_id}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
