"""Signed, expiring acknowledgement links: ``/ack/<token>/`` names one page step and the channel
its message went through.  The signature stops tampering and the timestamp in it expiry; that
each is used once is the database's business (oncall.AckToken)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext

SALT = "incident_console.oncall.ack"


class AckRefused(Exception):
    """An acknowledgement that cannot be taken; ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ack_token(nonce: str, channel: str) -> str:
    return signing.dumps({"n": nonce, "c": channel}, salt=SALT, compress=False)


def ack_url(nonce: str, channel: str) -> str:
    path = reverse("ack", args=[ack_token(nonce, channel)])
    return f"{settings.CONSOLE_URL.rstrip('/')}{path}"


def ack_token_read(token: str) -> tuple[str, str]:
    """The nonce and channel a token names; AckRefused if it expired or is not ours."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.ACK_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise AckRefused(gettext("This acknowledgement link has expired.")) from None
    except signing.BadSignature:
        raise AckRefused(gettext("This acknowledgement link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise AckRefused(gettext("This acknowledgement link is not valid."))
    return data["n"], str(data.get("c", ""))
