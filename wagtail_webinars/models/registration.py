"""One row per person per event: every step of the flow reads and writes it."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.models import AbstractFormSubmission

from ..templatetags.webinars import campus_datetime
from ..validators import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Registration.Status.REGISTERED)


class Registration(AbstractFormSubmission):
    """A registration, stored through Wagtail's form-submission machinery.

    ``form_data`` keeps the answers (standard fields and the editor's extra
    questions) so the admin's submissions list and export work unchanged; the
    columns below are what the rest of the flow queries.
    """

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        WEB = "web", _("Event page")
        ADMIN = "admin", _("Staff (admin)")
        API = "api", _("GraphQL API")

    class SyncStatus(models.TextChoices):
        NOT_APPLICABLE = "not_applicable", _("Not applicable")
        PENDING = "pending", _("Pending")
        SYNCED = "synced", _("Synced")
        FAILED = "failed", _("Sync failed")

    class CheckinSource(models.TextChoices):
        EMAIL_CLICK = "email_click", _("Reminder link click")
        PROVIDER_REPORT = "provider_report", _("Provider participant report")
        #: The provider said, live (a webhook), that they joined the meeting.
        PROVIDER_LIVE = "provider_live", _("Joined the meeting (live)")
        STAFF = "staff", _("Staff")

    class CheckinMatch(models.TextChoices):
        """How a participant-report row was tied to this registration."""

        REGISTRANT_ID = "registrant_id", _("Zoom registrant")
        EMAIL = "email", _("Email")
        NAME = "name", _("Name")
        #: Staff linked an unmatched participant to this registration.
        LINKED = "linked", _("Linked by staff")

    class Attendance(models.TextChoices):
        ONLINE = "online", _("Online")
        IN_PERSON = "in_person", _("In person")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email"), max_length=EMAIL_MAX_LENGTH)
    first_name = models.CharField(_("first name"), max_length=NAME_MAX_LENGTH)
    last_name = models.CharField(_("last name"), max_length=NAME_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default="web")
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why the confirmation has not gone out (the mail server failed) and whether it
    # will be tried again (registration_effects.py); empty once it is sent.
    confirmation_error = models.TextField(blank=True, editable=False)
    # A cancelled person asked, from the public form, to register again: what they
    # entered waits here until they confirm from their inbox (registration.py).
    # The names and answers above change only then.
    pending_form_data = models.JSONField(default=dict, blank=True, editable=False)

    # -- provider sync (managed providers) --------------------------------------------
    sync_status = models.CharField(
        _("sync status"),
        max_length=16,
        choices=SyncStatus.choices,
        default=SyncStatus.NOT_APPLICABLE,
    )
    sync_error = models.TextField(_("sync problem"), blank=True)
    sync_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    sync_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when an add-registrant call may have reached the provider without our
    # seeing the answer (timeout, reset): look the registrant up before adding again.
    sync_add_uncertain = models.BooleanField(default=False, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider_registrant_id = models.CharField(max_length=128, blank=True, editable=False)
    # The meeting or webinar ID the registrant ID belongs to: when the event points at
    # another meeting, the old registrant means nothing there and is pushed again.
    # Text, because Zoom's IDs are digits that can exceed 10 of them.
    provider_meeting_id = models.CharField(max_length=20, blank=True, editable=False)
    provider_join_url = models.URLField(max_length=1024, blank=True, editable=False)
    # What the provider has for this person now: "", "approved" or "cancelled".
    provider_status = models.CharField(max_length=16, blank=True, editable=False)

    # -- reminders ------------------------------------------------------------------
    # The event start the reminder was sent for: a moved event gets a new reminder.
    reminder_sent_for = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_claimed_for = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_error = models.TextField(blank=True, editable=False)
    reminder_resend_count = models.PositiveIntegerField(default=0, editable=False)
    reminder_resent_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Signed links carry this; raising it withdraws every link mailed so far.
    link_version = models.PositiveIntegerField(default=0, editable=False)

    # -- join link and check-in -----------------------------------------------------------
    join_opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    join_clicked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The first click before the attendance window: on record, but not attendance.
    join_early_clicked_at = models.DateTimeField(null=True, blank=True, editable=False)
    join_click_count = models.PositiveIntegerField(default=0, editable=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checkin_source = models.CharField(
        _("check-in source"), max_length=16, choices=CheckinSource.choices, blank=True
    )
    # -- attendance (written only by wagtail_webinars.checkin) --------------------------
    #: For report check-ins: which key tied the participant to this registration.
    checkin_matched_by = models.CharField(
        _("matched by"), max_length=16, choices=CheckinMatch.choices, blank=True
    )
    #: "Matched by name: please review" (names are not unique; staff confirm).
    checkin_needs_review = models.BooleanField(_("please review"), default=False)
    #: Online or in person (the door list of a hybrid event).
    attendance_mode = models.CharField(
        _("attended"), max_length=16, choices=Attendance.choices, blank=True
    )
    #: Minutes in the meeting per the provider's report (union of every join).
    attended_minutes = models.PositiveIntegerField(_("minutes attended"), null=True, blank=True)
    attended_first_join = models.DateTimeField(_("first joined"), null=True, blank=True)
    attended_last_leave = models.DateTimeField(_("last left"), null=True, blank=True)
    #: In the report, but for fewer minutes than the event's minimum: not checked in.
    joined_briefly = models.BooleanField(_("joined briefly"), default=False)
    #: Staff checked this person in or undid a check-in: pulls never change it again.
    checkin_by_staff = models.BooleanField(_("set by staff"), default=False)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = RegistrationQuerySet.as_manager()

    # Wagtail's reference index would record "this row points at its event page" on
    # every save (4-6 queries each: the registration POST, every sync and reminder
    # update). Nothing reads it: a page's registrations are its submissions, and they
    # go with the page. Keep it out of the index.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "email"], name="webinars_one_registration_per_email"
            ),
        ]
        indexes = [
            models.Index(fields=["page", "status"], name="webinars_reg_page_status"),
            models.Index(fields=["sync_status", "sync_retry_at"], name="webinars_reg_sync"),
        ]

    def get_join_clicked_at_display(self) -> str:
        """The first click as staff read it: in the window, else the early one, marked."""
        if self.join_clicked_at:
            return campus_datetime(self.join_clicked_at)
        if self.join_early_clicked_at:
            return _("%(when)s (before the window)") % {
                "when": campus_datetime(self.join_early_clicked_at)
            }
        return "—"

    def __str__(self) -> str:
        # Wagtail's audit log keeps this label after the row is deleted, and the admin
        # shows it in titles: the id and the event, never a name or an email.
        return gettext("Registration %(id)s for %(event)s") % {
            "id": self.pk,
            "event": self.page.title if self.page_id else "—",
        }

    def mark_sync_pending(self) -> list[str]:
        """Ask for a fresh sync with the provider (attempts start over).

        Returns the fields it changed, for ``save(update_fields=...)``.
        """
        self.sync_status = self.SyncStatus.PENDING
        self.sync_error = ""
        self.sync_attempts = 0
        self.sync_retry_at = None
        return ["sync_status", "sync_error", "sync_attempts", "sync_retry_at", "updated_at"]

    def mark_synced(self, now: datetime | None = None) -> list[str]:
        """The provider agrees with this registration now (attempts start over).

        Returns the fields it changed, for ``save(update_fields=...)``. Sets
        ``updated_at`` too, because ``bulk_update`` does not.
        """
        now = now or timezone.now()
        self.sync_status = self.SyncStatus.SYNCED
        self.synced_at = now
        self.sync_error = ""
        self.sync_attempts = 0
        self.sync_retry_at = None
        self.updated_at = now
        return [
            "sync_status",
            "synced_at",
            "sync_error",
            "sync_attempts",
            "sync_retry_at",
            "updated_at",
        ]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.REGISTERED

    def get_data(self) -> dict:
        # The submissions list and CSV export read this; include our columns.
        return {
            **self.form_data,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "status": self.get_status_display(),
            # One "registered at" everywhere: a re-registration moves registered_at.
            "submit_time": self.registered_at,
            "checked_in_at": self.checked_in_at,
        }

    @property
    def is_checked_in(self) -> bool:
        return self.checked_in_at is not None
