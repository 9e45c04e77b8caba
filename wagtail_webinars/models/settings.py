"""Site settings editors change without a deploy."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


@register_setting(icon="mail")
class EmailBrandingSettings(BaseSiteSetting):
    """The site's standard email wrapper around every message we send (its "confirmation
    template")."""

    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    header_colour = models.CharField(
        _("header colour"),
        max_length=7,
        default="#1d3557",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1d3557."))],
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )
    footer = models.TextField(_("footer text"), blank=True)

    panels = [
        FieldPanel("organisation_name"),
        FieldPanel("header_colour"),
        FieldPanel("logo"),
        FieldPanel("footer"),
    ]

    class Meta:
        verbose_name = _("event email branding")
