"""Plain-text rendering of rich text for the text part of emails."""

from __future__ import annotations

import html
import re

from django import template
from wagtail.rich_text import expand_db_html

register = template.Library()

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|div|blockquote)>|<br\s*/?>", re.I)
_LINK = re.compile(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


@register.filter
def richtext_as_text(value: str | None) -> str:
    """Readable text from rich text: paragraphs kept, links as "text (url)", tags gone."""
    if not value:
        return ""
    markup = expand_db_html(str(value))
    markup = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", markup)
    markup = re.sub(r"<li[^>]*>", "- ", markup, flags=re.I)
    markup = _BLOCK_END.sub("\n", markup)
    text = html.unescape(_TAG.sub("", markup))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
