"""The stand-in's state: meetings, registrants, report rows, tokens and a failure switch."""

from __future__ import annotations

from django.db import models


class Meeting(models.Model):
    """A Zoom meeting (types 2, 8) or webinar (types 5, 9) as Zoom would describe it."""

    MEETING = "meeting"
    WEBINAR = "webinar"

    zoom_id = models.BigIntegerField(unique=True)  # Zoom ids exceed 32 bits
    kind = models.CharField(max_length=8, choices=[(MEETING, "meeting"), (WEBINAR, "webinar")])
    type = models.PositiveSmallIntegerField(default=2)
    topic = models.CharField(max_length=200)
    start_time = models.DateTimeField()
    duration = models.PositiveIntegerField(default=60)
    timezone = models.CharField(max_length=64, default="America/New_York")
    password = models.CharField(max_length=10, blank=True)
    encrypted_password = models.CharField(max_length=64, blank=True)
    host_email = models.EmailField()
    host_id = models.CharField(max_length=32, default="standinHost0000001")
    #: 0 automatic, 1 manual, 2 no registration (Zoom's default).
    approval_type = models.PositiveSmallIntegerField(default=0)
    registrants_confirmation_email = models.BooleanField(default=False)
    #: Types 8/9 (recurring at fixed times): this many occurrences, ``repeat_days``
    #: apart, from ``start_time`` (see recurring.py).
    occurrence_count = models.PositiveSmallIntegerField(default=0)
    repeat_days = models.PositiveSmallIntegerField(default=7)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["zoom_id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.zoom_id}: {self.topic}"


class Registrant(models.Model):
    APPROVED = "approved"
    PENDING = "pending"
    DENIED = "denied"
    CANCELLED = "cancelled"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrants")
    registrant_id = models.CharField(max_length=32, unique=True)
    email = models.EmailField(max_length=128)
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64, blank=True)
    #: Shown as "cancelled" here; Zoom's API lists cancelled registrants as "denied".
    status = models.CharField(max_length=16, default=APPROVED)
    join_token = models.CharField(max_length=48)
    #: The occurrences of a recurring meeting they registered for (comma-separated
    #: ``occurrence_id``\ s; blank: all of them, or not recurring).
    occurrence_ids = models.CharField(max_length=1000, blank=True)
    create_time = models.DateTimeField(auto_now_add=True)
    # Zoom's per-registrant daily limits: ~3 adds and 10 status updates per UTC day.
    add_requests_day = models.DateField(null=True, blank=True)
    add_requests = models.PositiveIntegerField(default=0)
    status_updates_day = models.DateField(null=True, blank=True)
    status_updates = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "email"], name="standin_one_per_email")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"

    @property
    def api_status(self) -> str:
        return self.DENIED if self.status == self.CANCELLED else self.status


class Participant(models.Model):
    """One row of the participant report (someone joined, and later left)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(max_length=200)
    user_email = models.CharField(max_length=128, blank=True)
    registrant_id = models.CharField(max_length=32, blank=True)
    join_time = models.DateTimeField()
    leave_time = models.DateTimeField()

    class Meta:
        ordering = ["join_time", "pk"]

    def __str__(self) -> str:
        return f"{self.name} in {self.meeting_id}"

    @property
    def duration(self) -> int:
        return int((self.leave_time - self.join_time).total_seconds())


class AccessToken(models.Model):
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        # Never the token itself.
        return f"token expiring {self.expires_at:%Y-%m-%d %H:%M}"


class FailureMode(models.Model):
    """Tell the stand-in to misbehave (one row; see ``control`` in views.py).

    ``error_500``: answer 500. ``rate_limit``: 429 with Retry-After. ``timeout``:
    do the work, then answer only after ``delay_seconds`` (the "did my add land?"
    case). ``bad_token``: 401 code 124, as for a revoked token.
    """

    NONE = ""
    ERROR_500 = "error_500"
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    BAD_TOKEN = "bad_token"
    MODES = [
        (NONE, "behave"),
        (ERROR_500, "HTTP 500"),
        (RATE_LIMIT, "HTTP 429 with Retry-After"),
        (TIMEOUT, "answer late (after doing the work)"),
        (BAD_TOKEN, "HTTP 401 code 124"),
    ]

    mode = models.CharField(max_length=16, choices=MODES, blank=True)
    #: How many API requests fail before it behaves again (0: until switched off).
    remaining = models.PositiveIntegerField(default=0)
    retry_after = models.PositiveIntegerField(default=5)
    delay_seconds = models.PositiveIntegerField(default=35)
    #: Only requests whose path contains this fail (blank: every API request).
    path_contains = models.CharField(max_length=100, blank=True)
    #: The scopes the token endpoint grants (space-separated; blank: all of them), to
    #: show the admin's connection test naming a missing one.
    granted_scopes = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.get_mode_display()
