"""The acknowledgement link: signed, expiring, single-use; GET only shows a confirm button.
Slack's buttons: accepted only with the app's signature, within five minutes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from django.core import signing

from incident_console.oncall.links import SALT, ack_token
from incident_console.oncall.models import AckToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def paged(paging_channels, make_incident):
    incident = make_incident("test-drill")
    return incident, AckToken.objects.get(page__incident=incident, step=0)


def test_opening_the_link_shows_a_confirm_button_and_acknowledges_nothing(paged, client):
    incident, token = paged
    answer = client.get(f"/ack/{ack_token(token.nonce, 'email')}/")
    assert answer.status_code == 200
    assert b'data-role="ack-confirm"' in answer.content
    incident.page.refresh_from_db()
    assert incident.page.status == "paging"


def test_confirming_acknowledges_and_names_the_paged_person_and_the_channel(
    paged, client, django_capture_on_commit_callbacks
):
    incident, token = paged
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/ack/{ack_token(token.nonce, 'email')}/")
    assert answer.status_code == 200 and b'data-role="ack-done"' in answer.content
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.timeline.filter(kind="escalated").last().message == (
        "Page acknowledged by Lead DevOps (Ivan) through the link in the email"
    )


def test_a_signed_in_person_acknowledges_in_their_own_name(paged, client, responder):
    incident, token = paged
    client.force_login(responder)
    client.post(f"/ack/{ack_token(token.nonce, 'telegram')}/")
    entry = incident.timeline.filter(kind="escalated").last()
    assert (entry.message, entry.actor) == (
        "Page acknowledged by rita through the link in Telegram",
        responder,
    )


def test_a_used_link_is_refused_and_changes_nothing(paged, client):
    incident, token = paged
    link = f"/ack/{ack_token(token.nonce, 'email')}/"
    client.post(link)
    entries = incident.timeline.count()
    again = client.post(link)
    assert again.status_code == 410
    assert "This acknowledgement was used already." in again.content.decode()
    assert incident.timeline.count() == entries


def test_a_tampered_link_is_refused(paged, client):
    incident, token = paged
    genuine = ack_token(token.nonce, "email")
    forged = signing.dumps({"n": token.nonce, "c": "email"}, key="not-our-key", salt=SALT)
    for link in (genuine[:-2] + "xx", forged, "nonsense"):
        answer = client.post(f"/ack/{link}/")
        assert answer.status_code == 410
        assert "This acknowledgement link is not valid." in answer.content.decode()
    incident.page.refresh_from_db()
    assert incident.page.status == "paging"


def test_an_expired_link_is_refused(paged, client, settings):
    incident, token = paged

    class TwoHoursAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 7200)

    settings.ACK_LINK_MAX_AGE = 3600
    old = TwoHoursAgo(salt=SALT).sign_object({"n": token.nonce, "c": "email"})
    answer = client.post(f"/ack/{old}/")
    assert answer.status_code == 410
    assert "This acknowledgement link has expired." in answer.content.decode()
    incident.page.refresh_from_db()
    assert incident.page.status == "paging"


def slack_post(client, body: str, *, secret: str, at: int | None = None):
    at = at or int(time.time())
    base = f"v0:{at}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return client.post(
        "/oncall/slack/actions/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": str(at), "X-Slack-Signature": signature},
    )


def slack_press(token: AckToken) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "name": "ivan"},
        "actions": [{"action_id": "ack", "value": ack_token(token.nonce, "slack")}],
    }
    return urlencode({"payload": json.dumps(payload)})


def test_a_signed_slack_button_press_acknowledges(paged, client, settings):
    settings.SLACK_SIGNING_SECRET = "slack-signing-secret"
    incident, token = paged
    answer = slack_post(client, slack_press(token), secret="slack-signing-secret")
    assert answer.status_code == 200
    assert answer.json()["text"] == f"Acknowledged: #{incident.pk}"
    incident.page.refresh_from_db()
    assert (incident.page.acknowledged_by, incident.page.acknowledged_via) == (
        "ivan (Slack)",
        "slack",
    )


@pytest.mark.parametrize(
    "secret, age", [("someone-elses-secret", 0), ("slack-signing-secret", 301)]
)
def test_a_slack_request_with_a_wrong_signature_or_an_old_timestamp_is_refused(
    paged, client, settings, secret, age
):
    settings.SLACK_SIGNING_SECRET = "slack-signing-secret"
    incident, token = paged
    answer = slack_post(client, slack_press(token), secret=secret, at=int(time.time()) - age)
    assert answer.status_code == 401
    incident.page.refresh_from_db()
    assert incident.page.status == "paging"


def test_without_a_signing_secret_slack_requests_are_refused(paged, client, settings):
    settings.SLACK_SIGNING_SECRET = ""
    _, token = paged
    assert slack_post(client, slack_press(token), secret="").status_code == 401
