"""The event's virtual-location field, and the blocks providers build theirs from.

Each provider class brings its own block (``Provider.block_class``); the location
field offers one block per registered provider, so a site's
``WAGTAIL_WEBINARS["PROVIDERS"]`` can add a provider as well as replace one. The
blocks are built when the field is first used (not at import), from the registry
as the settings say then.

Blocks own their value and its validation; network calls (filling the
auto-populated fields from a provider's API) belong to the provider layer.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.fields import StreamField

from .conf import get_setting
from .providers import get_provider_class, provider_classes
from .providers.base import BLANK, REQUIRED

#: How read-only fields look: like Wagtail's inactive fields, and said to be read-only.
READ_ONLY_ATTRS = {
    "readonly": "readonly",
    "aria-readonly": "true",
    "style": "background-color: var(--w-color-surface-field-inactive); "
    "border-color: var(--w-color-border-field-inactive); cursor: default;",
}


class HttpsURLBlock(blocks.URLBlock):
    def clean(self, value):
        value = super().clean(value)
        if value and urlsplit(value).scheme != "https":
            raise ValidationError(_("The link must start with https://"), code="https")
        return value


class AutoPopulatedBlock(blocks.FieldBlock):
    """Filled from the provider's API; shown read-only so editors do not type over it."""

    def __init__(self, help_text=None, **kwargs):
        self.field = forms.CharField(
            required=False,
            widget=forms.TextInput(attrs=READ_ONLY_ATTRS),
            help_text=help_text or _("Filled in from the provider when the page is published."),
        )
        super().__init__(**kwargs)


#: The admin view a :class:`ProviderChoiceBlock`'s button asks (wagtail_hooks.py).
CHOICES_URL_NAME = "wagtail_webinars_provider_choices"


class ProviderChoiceInput(forms.TextInput):
    """A text input whose suggestions the provider gives on request: a button asks the
    admin's choices view (with the block's ``sends`` fields) and fills a datalist. The
    value can still be typed; the provider checks it on publish."""

    template_name = "wagtail_webinars/widgets/provider_choice_input.html"

    def __init__(self, field_name: str, sends: tuple[str, ...], button_label, attrs=None):
        super().__init__(attrs)
        self.field_name = field_name
        self.sends = sends
        self.button_label = button_label
        #: The provider's block name, set by the location block that holds this input.
        self.kind = ""

    def get_context(self, name, value, attrs):
        from django.urls import reverse

        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}-choices"
        widget["attrs"]["autocomplete"] = "off"
        widget.update(
            field_name=self.field_name,
            sends=" ".join(self.sends),
            button_label=self.button_label,
            choices_url=reverse(CHOICES_URL_NAME, args=[self.kind or "-", self.field_name]),
            loading_text=_("Asking the provider…"),
            failed_text=_("The provider could not be asked just now; type the value instead."),
        )
        return context

    class Media:
        js = ["wagtail_webinars/js/provider-choices.js"]


class ProviderChoiceBlock(blocks.FieldBlock):
    """An optional value picked from a list the provider gives (see ProviderChoiceInput)."""

    def __init__(self, field_name, sends=(), button_label="", help_text=None, **kwargs):
        self.field = forms.CharField(
            required=False,
            max_length=40,
            help_text=help_text,
            widget=ProviderChoiceInput(field_name, tuple(sends), button_label),
        )
        super().__init__(**kwargs)


def host_matches(host: str, allowed: str) -> bool:
    """``allowed`` itself or any of its subdomains (``example.zoom.us`` for ``zoom.us``)."""
    allowed = allowed.lower().strip(".")
    return host == allowed or host.endswith("." + allowed)


def is_provider_link(url: str, provider_class, block_name: str) -> bool:
    """Whether ``url`` may be this provider's join link: on one of its hosts with one
    of its paths, or on a host the site allowed for this block (any path)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    extra_hosts = (get_setting("JOIN_LINK_HOSTS") or {}).get(block_name, ())
    if any(host_matches(host, allowed) for allowed in extra_hosts):
        return True
    if not any(host_matches(host, allowed) for allowed in provider_class.join_link_hosts):
        return False
    return not provider_class.join_link_path or bool(
        re.match(provider_class.join_link_path, parts.path or "/")
    )


class LocationBlock(blocks.StructBlock):
    """Base: applies the provider's field rules with messages an editor understands.

    Built by :meth:`Provider.build_block`, which passes the provider class: required
    fields are then marked required in the editor (with the message below).
    """

    #: Message per child block when a required value is missing.
    required_messages: dict = {}

    def __init__(self, local_blocks=None, provider_class=None, **kwargs):
        super().__init__(local_blocks, **kwargs)
        if provider_class is not None:
            self.provider_class = provider_class
            self._mark_required()
            for child in self.child_blocks.values():
                if isinstance(child, ProviderChoiceBlock):
                    child.field.widget.kind = provider_class.kind

    @cached_property
    def provider_class(self):
        return get_provider_class(self.name)

    def _mark_required(self) -> None:
        for child_name, rule in self.provider_class.field_rules.items():
            child = self.child_blocks.get(child_name)
            if rule != REQUIRED or not isinstance(child, blocks.FieldBlock):
                continue
            child.field.required = True
            child.field.error_messages = {
                **child.field.error_messages,
                "required": self.required_messages.get(child_name, _("This field is required.")),
            }

    def clean(self, value):
        errors = {}
        try:
            value = super().clean(value)
        except StructBlockValidationError as err:
            errors.update(err.block_errors)
        provider_class = self.provider_class
        for child_name, rule in provider_class.field_rules.items():
            if child_name in errors or child_name not in self.child_blocks:
                continue
            present = bool(value.get(child_name))
            if rule == REQUIRED and not present:
                errors[child_name] = ValidationError(
                    self.required_messages.get(child_name, _("This field is required.")),
                    code="required",
                )
            elif rule == BLANK and present:
                errors[child_name] = ValidationError(
                    _("Leave this blank for this provider."), code="blank"
                )
        link = value.get("join_url")
        if (
            link
            and "join_url" not in errors
            and provider_class.join_link_hosts
            and not is_provider_link(link, provider_class, self.name)
        ):
            errors["join_url"] = ValidationError(provider_class.join_link_error, code="host")
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "globe"


class LinkBlock(LocationBlock):
    """A location that is only the provider's https link (``join_url``)."""

    #: The field's label in the editor.
    link_label = _("Join link")

    def __init__(self, **kwargs):
        super().__init__(
            [("join_url", HttpsURLBlock(required=False, label=self.link_label))], **kwargs
        )

    class Meta:
        icon = "link"


def location_blocks():
    """The block types a location field offers: one per registered provider."""
    return [
        (kind, provider_class.build_block()) for kind, provider_class in provider_classes().items()
    ]


class LocationField(StreamField):
    """An event's virtual location: one block, of the kind of one registered provider.

    The blocks come from the provider registry when the field is first used, so
    adding a provider in settings needs no migration: the field's definition in
    migrations carries no blocks.
    """

    def __init__(self, *args, **kwargs):
        kwargs.pop("block_lookup", None)
        super().__init__(None, **kwargs)

    @cached_property
    def stream_block(self):
        block = blocks.StreamBlock(location_blocks())
        block.set_meta_options(self.block_opts)
        return block

    def deconstruct(self):
        name, path, _args, kwargs = models.Field.deconstruct(self)
        return name, path, [], kwargs


@receiver(setting_changed)
def _rebuild_location_blocks(setting, **kwargs):
    """Tests (and sites reloading settings) see the providers the settings name now."""
    if setting != "WAGTAIL_WEBINARS" or not apps.ready:
        return
    for model in apps.get_models():
        fields = [f for f in model._meta.fields if isinstance(f, LocationField)]
        for field in fields:
            field.__dict__.pop("stream_block", None)
        if fields and hasattr(model, "get_edit_handler"):
            model.get_edit_handler.cache_clear()
