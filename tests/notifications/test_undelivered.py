"""A notification that was not delivered is loud: a banner on the incident page and the
dashboard, a red "not sent" timeline entry, the postmortem's "Not sent", and a Retry that sends
through the real channel code (a Slack stand-in on loopback) and clears the banner."""

import json
import re
import time

import pytest
from django.test import Client

from incident_console.incidents.models import Contact
from incident_console.incidents.services import incident_open
from incident_console.notifications import services
from incident_console.notifications.escalation import escalate_by_hand
from tests.servers import start_recorder

pytestmark = pytest.mark.django_db

NO_CHANNEL = (
    "no notification channel is configured (slack: SLACK_WEBHOOK_URL is not set; "
    "telegram: TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set; "
    "email: EMAIL_HOST is not set)"
)


@pytest.fixture
def no_channels(settings, monkeypatch):
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    settings.NOTIFY_MAX_ATTEMPTS = 1
    # Sends are run by the test itself, through notifications_send_due: no background pool.
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    Contact.objects.filter(role="Lead DevOps").update(name="Ivan", slack="ivan")


@pytest.fixture
def slack_stand_in():
    url, server = start_recorder()
    yield url, server
    server.shutdown()


@pytest.fixture
def unsent(no_channels, incident, user):
    escalate_by_hand(
        incident=incident, notify_names=["Lead DevOps"], message="Disk 99%", actor=user
    )
    return incident


def page(user, path: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(path).content.decode()


def banner(html: str) -> str:
    found = re.search(r'<div class="undelivered".*?</form>', html, re.DOTALL)
    return found.group(0) if found else ""


def retry(user, incident, next_page: str = ""):
    client = Client()
    client.force_login(user)
    return client.post(f"/incidents/{incident.pk}/notifications/retry/", {"next": next_page})


def test_an_escalation_with_no_channel_is_one_red_not_sent_entry_with_the_reason(unsent, user):
    assert not unsent.timeline.filter(kind="escalated").exists()
    entry = unsent.timeline.get(kind="not_sent")
    assert entry.message == f"Escalation to Lead DevOps (Ivan): Disk 99% — not sent: {NO_CHANNEL}"
    html = page(user, f"/incidents/{unsent.pk}/")
    assert re.search(r'<li class="kind-not_sent"[^>]*>.*Escalation to Lead DevOps', html)
    full = page(user, f"/incidents/{unsent.pk}/timeline/")
    assert '<tr class="kind-not_sent">' in full


def test_the_incident_page_shows_a_banner_with_each_reason(unsent, viewer):
    shown = banner(page(viewer, f"/incidents/{unsent.pk}/"))
    assert "3 notifications not delivered" in shown
    assert "slack #ringo-alerts-critical</span>: SLACK_WEBHOOK_URL is not set" in shown
    assert "TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set" in shown
    assert "EMAIL_HOST is not set" in shown
    assert 'data-action="retry-notifications" disabled' in shown, "a viewer may not retry"


def test_the_head_fragment_carries_the_banner_so_open_pages_swap_it_in(unsent, responder):
    shown = banner(page(responder, f"/incidents/{unsent.pk}/head/"))
    assert "3 notifications not delivered" in shown
    assert 'data-action="retry-notifications">Retry' in shown


def test_the_dashboard_shows_the_undelivered_notifications_of_open_incidents(unsent, viewer):
    shown = banner(page(viewer, "/"))
    assert "3 notifications not delivered" in shown
    assert f'href="/incidents/{unsent.pk}/"' in shown
    assert "SLACK_WEBHOOK_URL is not set" in shown


def test_the_postmortem_lists_it_as_not_sent_and_not_as_notified(unsent, api_client):
    text = api_client.get(f"/api/incidents/{unsent.pk}/postmortem/").content.decode()
    notified = text[text.index("## Contacts notified") : text.index("## Not sent")]
    assert "Lead DevOps" not in notified
    not_sent = text[text.index("## Not sent") : text.index("## Root cause")]
    assert f"Escalation to Lead DevOps (Ivan): Disk 99%: not sent ({NO_CHANNEL})" in not_sent


def test_retry_after_configuring_slack_delivers_and_clears_the_banner(
    unsent, responder, slack_stand_in, settings
):
    url, server = slack_stand_in
    settings.SLACK_WEBHOOK_URL = f"{url}/slack"
    response = retry(responder, unsent, next_page="/")
    assert response.status_code == 302 and response.url == "/"
    assert services.notifications_send_due() == 1
    [posted] = [json.loads(r["body"]) for r in server.received if r["path"] == "/slack"]
    assert "escalated to Lead DevOps (Ivan)" in posted["text"] and "<@ivan>" in posted["text"]
    statuses = dict(unsent.notifications.values_list("channel", "status"))
    assert statuses == {"slack": "sent", "telegram": "skipped", "email": "skipped"}
    assert banner(page(responder, f"/incidents/{unsent.pk}/")) == ""
    assert banner(page(responder, "/")) == ""
    messages = list(unsent.timeline.values_list("message", flat=True))
    assert "Retrying 1 undelivered notification(s)" in messages
    assert any(m.startswith("Sent to slack #ringo-alerts-critical") for m in messages)


def test_a_retry_while_still_unconfigured_fails_again_and_says_why(unsent, responder):
    retry(responder, unsent)
    services.notifications_send_due()
    assert set(unsent.notifications.values_list("status", flat=True)) == {"failed"}
    again = unsent.timeline.filter(kind="not_sent").order_by("pk")[1:]
    assert sorted(entry.data["reason"] for entry in again) == [
        "email oncall@ringo.example.com: EMAIL_HOST is not set",
        "slack #ringo-alerts-critical: SLACK_WEBHOOK_URL is not set",
        "telegram: TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set",
    ]
    assert "3 notifications not delivered" in banner(page(responder, f"/incidents/{unsent.pk}/"))


def test_a_viewer_may_not_retry(unsent, viewer):
    response = retry(viewer, unsent)
    assert response.status_code == 302
    assert unsent.notifications.filter(status="failed").count() == 3
    assert not unsent.timeline.filter(message__startswith="Retrying").exists()


def test_a_channel_error_on_the_last_attempt_is_as_loud(
    no_channels, slack_stand_in, settings, incident, user
):
    url, server = slack_stand_in
    settings.SLACK_WEBHOOK_URL = f"{url}/slack"
    server.fail_next = [500]
    escalate_by_hand(incident=incident, notify_names=["Lead DevOps"], message="", actor=user)
    assert incident.timeline.filter(kind="escalated").count() == 1
    services.notifications_send_due()
    entry = incident.timeline.get(kind="not_sent")
    assert entry.message == (
        f"[SEV3] #{incident.pk} drill: escalated to Lead DevOps (Ivan) — not sent to slack "
        '#ringo-alerts-critical: HTTP 500: {"ok": false}'
    )
    assert "1 notification not delivered" in banner(page(user, f"/incidents/{incident.pk}/"))


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_retry_is_sent_by_the_celery_worker(
    celery_worker, slack_recorder, scenarios, user, settings
):
    url, server = slack_recorder
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    incident = incident_open(scenario_slug="test-drill", title="unsent", severity=None, actor=user)
    escalate_by_hand(incident=incident, notify_names=["Tech Lead"], message="", actor=user)
    assert incident.notifications.filter(status="failed").count() == 3
    settings.SLACK_WEBHOOK_URL = f"{url}/slack"  # the worker was started with this one
    services.notifications_retry(incident=incident, actor=user)
    deadline = time.monotonic() + 20
    while not incident.notifications.filter(channel="slack", status="sent").exists():
        assert time.monotonic() < deadline, "the worker did not send the retried notification"
        time.sleep(0.2)
    sent = [r for r in server.received if f"#{incident.pk} unsent: escalated" in r["body"]]
    assert len(sent) == 1
    assert not incident.notifications.filter(status="failed").exists()
