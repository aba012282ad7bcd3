"""Text that outlives the request it was written in: timeline entries, notifications and
postmortems are written once, in the site's language (settings.LANGUAGE_CODE), whoever's
browser caused them.  Callers pass lazy text (``gettext_lazy``, ``format_lazy``)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def in_site_language(text) -> str:
    """``text`` (a lazy translation, or a plain string) in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
