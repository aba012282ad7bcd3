"""``{% setup_banner %}``: the commanders' list of what is still to set up, on the pages where
an outage is handled."""

from django import template

from incident_console.accounts.roles import role_of
from incident_console.setup_status import setup_problems

register = template.Library()
PAGES = {"dashboard", "incident-detail"}


@register.inclusion_tag("targets/_setup_banner.html", takes_context=True)
def setup_banner(context) -> dict:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    shown = (
        request is not None
        and request.user.is_authenticated
        and match is not None
        and match.url_name in PAGES
        and role_of(request.user) == "commander"
    )
    return {"problems": setup_problems() if shown else []}
