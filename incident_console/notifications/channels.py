"""The three ways the team is reached: a Slack incoming webhook, a Telegram bot, email."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext, ngettext, pgettext

from executors.masking import SecretMasker

TIMEOUT = 10


class SendError(Exception):
    pass


# What each channel needs before it can send, and the setting that names its recipient.
REQUIRED_SETTINGS = {
    "slack": ["SLACK_WEBHOOK_URL"],
    "telegram": ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"],
    "email": ["EMAIL_HOST", "ONCALL_EMAIL"],
}
RECIPIENT_SETTING = {
    "slack": "SLACK_CHANNEL",
    "telegram": "TELEGRAM_CHAT_ID",
    "email": "ONCALL_EMAIL",
}


def channel_problems() -> dict[str, str]:
    """Channel → why it cannot send ("SLACK_WEBHOOK_URL is not set"), for each one that cannot,
    in the active language."""
    problems = {}
    for channel, names in REQUIRED_SETTINGS.items():
        unset = [name for name in names if not getattr(settings, name)]
        if unset:
            and_ = pgettext("between two setting names", "and")
            listed = f" {and_} ".join(unset)
            problems[channel] = ngettext(
                "%(settings)s is not set", "%(settings)s are not set", len(unset)
            ) % {"settings": listed}
    return problems


def configured_channels() -> dict[str, str]:
    """Channel → recipient, for each channel that has what it needs to send."""
    problems = channel_problems()
    return {
        channel: getattr(settings, setting)
        for channel, setting in RECIPIENT_SETTING.items()
        if channel not in problems
    }


def channel_states() -> list[dict[str, str]]:
    """Each channel with whom it sends to, or why it cannot ("why"), for pages and previews."""
    problems = channel_problems()
    configured = configured_channels()
    return [
        {"channel": channel, "to": configured.get(channel, ""), "why": problems.get(channel, "")}
        for channel in RECIPIENT_SETTING
    ]


@dataclass(frozen=True)
class Ack:
    """What a page's message offers to acknowledge it: the one-use ``nonce`` a Telegram button
    calls back with, and the signed ``token`` a Slack button carries."""

    nonce: str
    token: str


def _post_json(url: str, payload: dict, timeout: float = TIMEOUT) -> bytes:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise SendError(
            f"HTTP {error.code}: {error.read(300).decode('utf-8', 'replace')}"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        raise SendError(str(getattr(error, "reason", error))) from None


def telegram_call(method: str, payload: dict, timeout: float = TIMEOUT):
    """One Bot API method on TELEGRAM_API_URL; its ``result``, or SendError with Telegram's
    description."""
    url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"
    raw = _post_json(url, payload, timeout=timeout)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise SendError(f"Telegram answered {method} with no JSON") from None
    if not isinstance(answer, dict) or not answer.get("ok"):
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        raise SendError(f"Telegram refused {method}: {description or 'no reason given'}")
    return answer.get("result")


# Each sender returns whether the channel said the message reached its chat (a receipt of
# delivery), beyond having taken it.
def send_slack(recipient: str, subject: str, body: str, ack: Ack | None = None) -> bool:
    text = f"*{subject}*\n{body}"
    payload: dict = {"channel": recipient, "text": text}
    if ack is not None and settings.SLACK_SIGNING_SECRET:
        payload["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
            {"type": "actions", "elements": [_slack_button(ack)]},
        ]
    _post_json(settings.SLACK_WEBHOOK_URL, payload)
    # An incoming webhook answers "ok" once Slack took the message, not once anyone got it.
    return False


def _slack_button(ack: Ack) -> dict:
    return {
        "type": "button",
        "action_id": "ack",
        "style": "primary",
        "text": {"type": "plain_text", "text": gettext("Acknowledge")},
        "value": ack.token,
    }


def send_telegram(recipient: str, subject: str, body: str, ack: Ack | None = None) -> bool:
    payload: dict = {
        "chat_id": recipient,
        "text": f"{subject}\n{body}",
        "disable_web_page_preview": True,
    }
    if ack is not None:
        button = {"text": gettext("Acknowledge"), "callback_data": f"ack:{ack.nonce}"}
        payload["reply_markup"] = {"inline_keyboard": [[button]]}
    telegram_call("sendMessage", payload)
    # Telegram answers with the message it has put in the chat.
    return True


def send_email(recipient: str, subject: str, body: str, ack: Ack | None = None) -> bool:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], fail_silently=False)
    except OSError as error:
        raise SendError(f"SMTP: {error}") from None
    return False


SENDERS = {"slack": send_slack, "telegram": send_telegram, "email": send_email}


def secret_free(text: str) -> str:
    """Error texts can quote a URL with the bot token or the webhook secret in it."""
    secrets = [
        settings.SLACK_WEBHOOK_URL,
        settings.TELEGRAM_BOT_TOKEN,
        settings.EMAIL_HOST_PASSWORD,
        settings.SLACK_SIGNING_SECRET,
    ]
    return SecretMasker(lambda stream, text: None, [s for s in secrets if s]).mask(text)
