"""The last connection test of each provider account ("Test Zoom connection")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectionTest(models.Model):
    """What the last test of one provider connection (``Provider.connection_name``) found:
    kept so a system check can report missing permissions without calling the provider.
    Holds words and permission names only, never a secret."""

    connection = models.CharField(_("connection"), max_length=50, unique=True)
    tested_at = models.DateTimeField(_("tested at"))
    connected = models.BooleanField(_("connected"), default=False)
    problem = models.TextField(_("problem"), blank=True)
    #: ``[{"label": "Add registrants to meetings", "needs": ["meeting:write:admin", ...]}]``
    missing = models.JSONField(_("missing"), default=list, blank=True)

    class Meta:
        verbose_name = _("provider connection test")
        verbose_name_plural = _("provider connection tests")

    def __str__(self) -> str:
        return f"{self.connection} tested {self.tested_at:%Y-%m-%d %H:%M}"
