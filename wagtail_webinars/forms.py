"""The visitor's registration form: fixed name and email fields, then the editor's questions."""

from __future__ import annotations

from collections import OrderedDict

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import BaseForm, FormBuilder, WagtailAdminFormPageForm

from . import validators

#: Names the fixed fields use; an editor's question may not take them.
STANDARD_FIELDS = ("first_name", "last_name", "email")
#: A field hidden from people; bots fill it in.
HONEYPOT_FIELD = "website"
RESERVED_FIELD_NAMES = (*STANDARD_FIELDS, HONEYPOT_FIELD)
ANSWER_MAX_LENGTH = validators.ANSWER_MAX_LENGTH


class RegistrationFormBase(BaseForm):
    """Validation shared with every other entry point (through :mod:`validators`)."""

    def clean_first_name(self):
        return validators.clean_name(self.cleaned_data.get("first_name", ""), _("first name"))

    def clean_last_name(self):
        return validators.clean_name(self.cleaned_data.get("last_name", ""), _("last name"))

    def clean_email(self):
        return validators.clean_email(self.cleaned_data.get("email", ""))

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))

    def custom_answers(self) -> dict:
        skip = set(RESERVED_FIELD_NAMES)
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


#: Digits a Number answer may have: far more than any real answer, and a bound on
#: what a crafted post can make us parse and store.
NUMBER_MAX_DIGITS = 30
#: Longest URL answer (what browsers and servers reliably handle).
URL_MAX_LENGTH = 2000


class RegistrationFormBuilder(FormBuilder):
    """Every field an editor can add gets a limit here, in the form, so a too-long
    answer is a clear form error (the service refuses it too, for other callers)."""

    def create_multiline_field(self, field, options):
        options.setdefault("max_length", ANSWER_MAX_LENGTH)
        return super().create_multiline_field(field, options)

    def create_hidden_field(self, field, options):
        options.setdefault("max_length", ANSWER_MAX_LENGTH)
        return super().create_hidden_field(field, options)

    def create_email_field(self, field, options):
        options.setdefault("max_length", validators.EMAIL_MAX_LENGTH)
        return super().create_email_field(field, options)

    def create_url_field(self, field, options):
        options.setdefault("max_length", URL_MAX_LENGTH)
        return super().create_url_field(field, options)

    def create_number_field(self, field, options):
        options.setdefault("max_digits", NUMBER_MAX_DIGITS)
        return super().create_number_field(field, options)

    @property
    def formfields(self):
        fields = OrderedDict()
        # No max_length here: the validators give one clear message for every entry point.
        fields["first_name"] = forms.CharField(
            label=_("First name"), widget=forms.TextInput(attrs={"autocomplete": "given-name"})
        )
        fields["last_name"] = forms.CharField(
            label=_("Last name"), widget=forms.TextInput(attrs={"autocomplete": "family-name"})
        )
        fields["email"] = forms.CharField(
            label=_("Email"),
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        )
        for name, field in super().formfields.items():
            if name not in RESERVED_FIELD_NAMES:
                fields[name] = field
        fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label=_("Leave this field empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        return fields

    def get_form_class(self):
        return type("RegistrationForm", (RegistrationFormBase,), self.formfields)


class EventPageAdminForm(WagtailAdminFormPageForm):
    """Keeps editors' extra questions from shadowing the fixed fields, and asks the
    provider about the location before a publish (:mod:`.publishing`)."""

    def clean(self):
        cleaned_data = super().clean()
        from . import publishing  # the provider registry loads the blocks

        publishing.check_location(self)
        formset = self.formsets.get("form_fields")
        if formset is None:
            return cleaned_data
        for form in formset.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            instance = form.instance
            label = form.cleaned_data.get("label") or ""
            instance.label = label
            name = instance.clean_name or instance.get_field_clean_name()
            if name in RESERVED_FIELD_NAMES:
                form.add_error(
                    "label",
                    _("“%(label)s” is already on every registration form; choose another question.")
                    % {"label": label},
                )
        return cleaned_data
