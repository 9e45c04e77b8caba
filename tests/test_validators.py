"""Input rules shared by every entry point."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from wagtail_webinars.validators import (
    ANSWER_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    clean_answers,
    clean_email,
    clean_name,
    normalize_email,
)


def code_of(func, *args) -> str:
    with pytest.raises(ValidationError) as err:
        func(*args)
    return err.value.code


class TestEmail:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("Ada@Example.ORG", "ada@example.org"),
            ("  ada@example.org\n", "ada@example.org"),
            ("ada+events@example.org", "ada+events@example.org"),
            # One form of an internationalised domain (IDNA), however typed.
            ("ada@bücher.de", "ada@xn--bcher-kva.de"),
            ("ada@BÜCHER.de", "ada@xn--bcher-kva.de"),
        ],
    )
    def test_normalised(self, typed, stored):
        assert clean_email(typed) == stored

    def test_normalize_handles_none(self):
        assert normalize_email(None) == ""

    @pytest.mark.parametrize(
        ("typed", "code"),
        [
            ("", "required"),
            ("   ", "required"),
            (None, "required"),
            ("ada", "invalid"),
            ("ada@", "invalid"),
            ("@example.org", "invalid"),
            ("ada@example.org\r\nBcc: x@example.org", "invalid"),
            ("ada@exa\nmple.org", "invalid"),
            ("ada\x00@example.org", "invalid"),
            ("a@" + "b" * EMAIL_MAX_LENGTH + ".org", "max_length"),
        ],
    )
    def test_refused(self, typed, code):
        assert code_of(clean_email, typed) == code

    def test_messages_are_readable(self):
        with pytest.raises(ValidationError) as err:
            clean_email("a@" + "b" * 300 + ".org")
        assert err.value.messages == ["Email addresses can be at most 254 characters."]


class TestName:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("  Ada  ", "Ada"),
            ("Mary   Ann", "Mary Ann"),
            ("Mary\tAnn", "Mary Ann"),
            ("Zoë", "Zoë"),
            ("O’Brien-Núñez", "O’Brien-Núñez"),
            ("李", "李"),
            ("می\u200cخواهم", "می\u200cخواهم"),  # zero-width non-joiner belongs in Persian names
            ("A" * NAME_MAX_LENGTH, "A" * NAME_MAX_LENGTH),
        ],
    )
    def test_accepted(self, typed, stored):
        assert clean_name(typed, "first name") == stored

    @pytest.mark.parametrize(
        ("typed", "code"),
        [
            ("", "required"),
            ("   ", "required"),
            (None, "required"),
            ("Ada\nLovelace", "invalid"),
            ("Ad\ra", "invalid"),
            ("Ada\x00", "invalid"),
            ("Ada\x1b[31m", "invalid"),
            ("Ada\u202e", "invalid"),
            ("Ada\u2028Lovelace", "invalid"),
            ("A" * (NAME_MAX_LENGTH + 1), "max_length"),
        ],
    )
    def test_refused(self, typed, code):
        assert code_of(clean_name, typed, "first name") == code

    def test_message_names_the_field(self):
        with pytest.raises(ValidationError) as err:
            clean_name("Ada\nBcc: x", "last name")
        assert err.value.messages == [
            "Your last name cannot contain line breaks or control characters."
        ]
        with pytest.raises(ValidationError) as err:
            clean_name("", "first name")
        assert err.value.messages == ["Enter your first name."]


class TestAnswers:
    def test_accepted(self):
        answers = {
            "comments": "line one\nline two",
            "count": 3,
            "choices": ["a", "b"],
            "agree": True,
            "nothing": None,
            "exact": "x" * ANSWER_MAX_LENGTH,
        }
        assert clean_answers(answers) == answers

    def test_none_is_no_answers(self):
        assert clean_answers(None) == {}

    @pytest.mark.parametrize(
        ("answers", "code"),
        [
            ({"c": "x" * (ANSWER_MAX_LENGTH + 1)}, "max_length"),
            ({"c": "a\x00b"}, "null_characters"),
            ({"c": ["ok", "a\x00"]}, "null_characters"),
            ({"a\x00": "value"}, "null_characters"),
            ({"": "value"}, "invalid"),
            ({1: "value"}, "invalid"),
            ({"k" * 256: "value"}, "invalid"),
            (["not", "a", "mapping"], "invalid"),
        ],
    )
    def test_refused(self, answers, code):
        assert code_of(clean_answers, answers) == code
