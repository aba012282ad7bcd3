"""The Telegram bot's loop: read button presses by long polling getUpdates on TELEGRAM_API_URL
(no public address needed: it works behind NAT), acknowledge, answer the press."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext

from incident_console.i18n import in_site_language
from incident_console.notifications.channels import SendError, secret_free, telegram_call
from incident_console.oncall.acknowledge import page_acknowledge
from incident_console.oncall.links import AckRefused
from incident_console.oncall.models import PollCursor

log = logging.getLogger(__name__)
CURSOR = "telegram"


def telegram_poll_once(*, wait: int = 0) -> int:
    """One getUpdates (waiting up to ``wait`` seconds for one); the updates handled."""
    if not settings.TELEGRAM_BOT_TOKEN:
        return 0
    cursor, _ = PollCursor.objects.get_or_create(name=CURSOR)
    payload = {"offset": cursor.offset, "timeout": wait, "allowed_updates": ["callback_query"]}
    try:
        updates = telegram_call("getUpdates", payload, timeout=wait + 10) or []
    except SendError as error:
        log.warning("telegram getUpdates failed: %s", secret_free(str(error)))
        return 0
    for update in updates:
        query = update.get("callback_query")
        if query:
            _button_pressed(query)
        # Moved past each update as soon as it is handled: a crash re-reads only the rest.
        PollCursor.objects.filter(name=CURSOR).update(offset=int(update["update_id"]) + 1)
    return len(updates)


def _button_pressed(query: dict) -> None:
    data = str(query.get("data", ""))
    if not data.startswith("ack:"):
        return _answer(query, "")
    try:
        page = page_acknowledge(nonce=data[4:], via="telegram", who=_who(query.get("from", {})))
    except AckRefused as refused:
        return _answer(query, refused.message)
    text = gettext("Acknowledged: #%(number)d") % {"number": page.incident_id}
    return _answer(query, text)


def _who(sender: dict) -> str:
    name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))
    username = sender.get("username")
    if username:
        return f"{name} (@{username})" if name else f"@{username}"
    return name or f"Telegram user {sender.get('id', '?')}"


def _answer(query: dict, text: str) -> None:
    payload = {"callback_query_id": query.get("id"), "text": in_site_language(text)[:200]}
    try:
        telegram_call("answerCallbackQuery", payload)
    except SendError as error:
        log.warning("telegram answerCallbackQuery failed: %s", secret_free(str(error)))
