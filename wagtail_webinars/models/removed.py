"""The provider registrant of a deleted registration, kept until the provider has it
cancelled (see :mod:`wagtail_webinars.sync.removed`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class RemovedRegistrant(models.Model):
    """A deleted registration's registrant, waiting to be cancelled at the provider.

    The registration row is gone once it is deleted, and with it everything a retry
    would need: this row keeps the registrant (and the address the provider wants
    beside its id) until the cancel is known to have landed, then it is deleted. The
    event is kept as a plain id, not a foreign key: the row is written while the
    event page itself may be being deleted.
    """

    event_id = models.BigIntegerField(_("event"), db_index=True)
    #: The deleted registration's key: its sync may still be at work (and holds its lock).
    registration_id = models.BigIntegerField(null=True, blank=True)
    #: "" when an add may have landed without our seeing the answer: looked up by email.
    registrant_id = models.CharField(max_length=128, blank=True)
    email = models.EmailField(_("email"), max_length=254)
    #: The meeting the registrant belongs to ("" for rows stored before we recorded it).
    meeting_id = models.CharField(max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: When the sweeper tries again (``None``: its task is queued or running).
    retry_at = models.DateTimeField(null=True, blank=True)
    #: Permanent failure, or too many attempts: not retried; ``error`` says why.
    given_up = models.BooleanField(default=False)
    #: A cancel was sent and its answer never came: read the provider before sending again.
    uncertain = models.BooleanField(default=False)
    error = models.TextField(_("problem"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cancel of a deleted registration")
        verbose_name_plural = _("cancels of deleted registrations")
        indexes = [models.Index(fields=["retry_at"], name="webinars_removed_retry")]

    def __str__(self) -> str:
        # Never the email.
        return gettext("Deleted registration's registrant %(id)s") % {"id": self.registrant_id}
