"""What a commander still has to set up before the console can be trusted in an outage.

``setup_problems()`` lists each missing piece as ``{"what", "why", "link"}``: targets not ready,
contacts without a name or phone, no notification channel.  Other apps add theirs through
``settings.SETUP_PROBLEM_PROVIDERS``: dotted paths of functions returning such lists.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from incident_console.incidents.models import Contact
from incident_console.notifications.channels import configured_channels
from incident_console.targets.selectors import target_checks

TARGETS_LINK = "/targets/"
CONTACTS_LINK = "/contacts/"
NOTIFICATIONS_LINK = "/targets/#notifications"
# The seed runbook's contacts are "[ИМЯ] - [ТЕЛЕФОН]": a bracketed word is a placeholder.
PLACEHOLDER_MARK = "["
CHANNEL_SETTINGS = {
    "slack": ["SLACK_WEBHOOK_URL"],
    "telegram": ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"],
    "email": ["EMAIL_HOST", "ONCALL_EMAIL"],
}


def setup_problems() -> list[dict]:
    """Everything still missing, this module's checks first, then each provider's, in the
    active language."""
    problems = target_problems() + contact_problems() + channel_problems()
    for path in settings.SETUP_PROBLEM_PROVIDERS:
        problems += import_string(path)()
    return problems


def target_problems() -> list[dict]:
    checks = target_checks()
    unchecked = [row["target"].name for row in checks if row["check"] is None]
    failing = [row["check"] for row in checks if row["check"] and not row["check"].is_ready]
    problems = []
    if failing:
        problems.append(
            {
                "what": _("{failing} of {total} targets are not ready").format(
                    failing=len(failing), total=len(checks)
                ),
                "why": "; ".join(f"{c.name}: {c.get_state_display()}" for c in failing),
                "link": TARGETS_LINK,
            }
        )
    if unchecked:
        problems.append(
            {
                "what": _("Targets not checked yet"),
                "why": _("{targets}: open the Targets page to check them").format(
                    targets=", ".join(unchecked)
                ),
                "link": TARGETS_LINK,
            }
        )
    return problems


def contact_problems() -> list[dict]:
    contacts = list(Contact.objects.all())
    unfilled = [contact.role for contact in contacts if not _reachable(contact)]
    if contacts and not unfilled:
        return []
    if unfilled:
        why = _("no name or phone for {roles}").format(roles=", ".join(unfilled))
    else:
        why = _("nobody to call yet")
    return [{"what": _("Contacts not filled in"), "why": why, "link": CONTACTS_LINK}]


def _reachable(contact: Contact) -> bool:
    """A person has a real name and phone; a provider (support page) has its URL."""
    if contact.url:
        return True
    values = (contact.name, contact.phone)
    return all(value.strip() and PLACEHOLDER_MARK not in value for value in values)


def channel_problems() -> list[dict]:
    if configured_channels():
        return []
    return [
        {
            "what": _("No notification channel configured"),
            "why": _("set {settings} on the web and worker hosts").format(settings=_either()),
            "link": NOTIFICATIONS_LINK,
        }
    ]


def _either() -> str:
    """Each channel's settings, as "A and B, or C": any one channel will do."""
    both, either = " {} ".format(_("and")), ", {} ".format(_("or"))
    return either.join(both.join(names) for names in CHANNEL_SETTINGS.values())


def channel_status() -> list[dict]:
    """Each channel, whether it can send, and the settings it needs."""
    configured = configured_channels()
    return [
        {"channel": channel, "configured": channel in configured, "settings": names}
        for channel, names in CHANNEL_SETTINGS.items()
    ]
