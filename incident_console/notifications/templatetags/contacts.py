"""Template filters for pointing people at the contacts page."""

from __future__ import annotations

import re

from django import template

register = template.Library()

# A manual step that says to call someone, or to see the contacts page, links to it.
NAMES_A_CONTACT = re.compile(r"contacts? page|\bcall\b|позвон|контакт", re.IGNORECASE)


@register.filter
def names_a_contact(step: dict) -> bool:
    """Whether a step card (as ``step_cards`` makes it) is a manual step about calling someone."""
    if step.get("executor") != "manual":
        return False
    text = " ".join(
        filter(None, [step.get(key) for key in ("title", "description", "instructions")])
    )
    return bool(NAMES_A_CONTACT.search(text))
