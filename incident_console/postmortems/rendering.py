"""Markdown written by people, as HTML safe to put in a page."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# The parser escapes raw HTML already; nh3 still cleans its output so that a link such as
# javascript:… (or a parser option turned on later) never reaches the page.
_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> SafeString:
    """``text`` rendered from Markdown and sanitised."""
    return mark_safe(nh3.clean(_PARSER.render(text or "")))
