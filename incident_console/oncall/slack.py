"""Slack's interactive buttons: requests verified with the app's signing secret (v0 HMAC over
the timestamp and body, the timestamp within five minutes), then acknowledged."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.utils.translation import gettext

from incident_console.oncall.acknowledge import page_acknowledge
from incident_console.oncall.links import AckRefused, ack_token_read

WINDOW = 300


def slack_request_verified(*, body: bytes, timestamp: str, signature: str, now=None) -> bool:
    secret = settings.SLACK_SIGNING_SECRET
    if not secret or not timestamp.isdigit():
        return False
    if abs((now or time.time()) - int(timestamp)) > WINDOW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def slack_action(payload_text: str) -> str:
    """Acknowledge the page a button press names; the text to show the person."""
    try:
        payload = json.loads(payload_text)
        action = payload["actions"][0]
        user = payload.get("user", {})
    except (ValueError, KeyError, IndexError, TypeError):
        return gettext("This acknowledgement link is not valid.")
    try:
        nonce, _channel = ack_token_read(str(action.get("value", "")))
        who = user.get("name") or user.get("username") or user.get("id") or "Slack"
        page = page_acknowledge(nonce=nonce, via="slack", who=f"{who} (Slack)")
    except AckRefused as refused:
        return refused.message
    return gettext("Acknowledged: #%(number)d") % {"number": page.incident_id}
