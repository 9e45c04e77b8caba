"""The swapped base page (test-only)."""

from __future__ import annotations

from django.db import models
from wagtail.models import AbstractPage, DefaultBasePageMixin


class BasePage(DefaultBasePageMixin, AbstractPage):
    """The site's base page: every page has an audience."""

    audience = models.CharField(max_length=100, blank=True)

    search_fields = AbstractPage.search_fields + DefaultBasePageMixin.search_fields
    promote_panels = DefaultBasePageMixin.promote_panels
