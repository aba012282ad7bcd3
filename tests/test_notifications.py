"""Slack, Telegram and email to real servers on loopback; retries with backoff; escalations."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incident_console.incidents.models import Contact
from incident_console.notifications import escalation, services
from incident_console.notifications.models import EscalationTimer, Notification
from tests.servers import start_recorder, start_smtp

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder():
    url, server = start_recorder()
    yield url, server
    server.shutdown()


@pytest.fixture
def smtp():
    controller, inbox = start_smtp()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def channels(settings, recorder, smtp, monkeypatch):
    url, server = recorder
    controller, inbox = smtp
    settings.SLACK_WEBHOOK_URL = f"{url}/services/T000/B000/slack-secret-part"
    settings.TELEGRAM_BOT_TOKEN = "123456:telegram-secret-token"
    settings.TELEGRAM_CHAT_ID = "-100200300"
    settings.TELEGRAM_API_URL = url
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.NOTIFY_RETRY_BASE = 60
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    Contact.objects.filter(role="Lead DevOps").update(
        name="Ivan",
        phone="+7 900 000-00-00",
        email="ivan@ringo.example.com",
        slack="ivan",
        telegram="ivan_ops",
    )
    return server, inbox


def send_all():
    return services.notifications_send_due()


def test_an_escalation_reaches_slack_telegram_and_email_and_is_recorded(channels, incident, user):
    server, inbox = channels
    assert send_all() == 3, "opening the incident was announced on all three channels"
    server.received.clear()
    inbox.messages.clear()
    escalation.escalate_by_hand(
        incident=incident, notify_names=["Lead DevOps"], message="Disk 99%", actor=user
    )
    assert send_all() == 4
    slack = next(r for r in server.received if r["path"] == "/services/T000/B000/slack-secret-part")
    payload = json.loads(slack["body"])
    assert payload["channel"] == "#ringo-alerts-critical"
    assert "escalated to Lead DevOps (Ivan)" in payload["text"] and "<@ivan>" in payload["text"]
    telegram = next(r for r in server.received if "sendMessage" in r["path"])
    assert telegram["path"] == "/bot123456:telegram-secret-token/sendMessage"
    assert json.loads(telegram["body"])["chat_id"] == "-100200300"
    assert "@ivan_ops" in json.loads(telegram["body"])["text"]
    recipients = sorted(message["To"] for message in inbox.messages)
    assert recipients == ["ivan@ringo.example.com", "oncall@ringo.example.com"]
    assert "Disk 99%" in inbox.messages[0].get_payload()
    sent = list(incident.timeline.filter(kind="notification").values_list("message", flat=True))
    assert len(sent) == 7 and all(m.startswith("Sent to ") for m in sent)
    assert incident.timeline.get(kind="escalated").actor == user


def test_a_failed_send_is_retried_with_backoff_then_recorded_as_failed(
    channels, incident, settings
):
    server, _ = channels
    send_all()
    settings.NOTIFY_MAX_ATTEMPTS = 3
    server.fail_next = [500, 500, 500]
    [slack] = services.notify(
        incident=incident, subject="s", body="b", reason="test", channels=["slack"]
    )
    services.notification_send(notification_id=slack.pk)
    slack.refresh_from_db()
    assert (slack.status, slack.attempts) == ("pending", 1)
    assert slack.next_attempt_at - timezone.now() > timedelta(seconds=50)
    assert send_all() == 0, "not due yet"
    for attempt in (2, 3):
        services.notifications_send_due(now=timezone.now() + timedelta(hours=1))
        slack.refresh_from_db()
        assert slack.attempts == attempt
    assert slack.status == "failed"
    assert "HTTP 500" in slack.last_error
    assert "slack-secret-part" not in slack.last_error
    failure = incident.timeline.get(kind="not_sent")
    assert failure.message.startswith(
        "s — not sent to slack #ringo-alerts-critical after 3 attempts: HTTP 500"
    )


def test_a_telegram_error_never_shows_the_bot_token(channels, incident, settings):
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9/unreachable"
    [telegram] = services.notify(
        incident=incident, subject="s", body="b", reason="t", channels=["telegram"]
    )
    services.notification_send(notification_id=telegram.pk)
    telegram.refresh_from_db()
    assert telegram.last_error and "telegram-secret-token" not in telegram.last_error


def test_an_escalation_with_no_channel_configured_is_not_sent_and_says_why(
    incident, user, settings, monkeypatch
):
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    escalation.escalate_by_hand(
        incident=incident, notify_names=["Tech Lead"], message="", actor=user
    )
    assert not incident.timeline.filter(kind="escalated").exists()
    assert incident.timeline.get(kind="not_sent").message == (
        "Escalation to Tech Lead — not sent: no notification channel is configured "
        "(slack: SLACK_WEBHOOK_URL is not set; "
        "telegram: TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set; "
        "email: EMAIL_HOST is not set)"
    )


def test_timers_are_armed_from_the_scenarios_rules(incident):
    [timer] = EscalationTimer.objects.filter(incident=incident)
    assert (timer.rule_id, timer.until, timer.notify) == (
        "unacknowledged-3s",
        "acknowledged",
        ["Lead DevOps"],
    )
    assert timer.due_at == incident.opened_at + timedelta(minutes=0.05)


def test_a_due_timer_fires_exactly_once(channels, incident):
    later = timezone.now() + timedelta(minutes=1)
    assert escalation.escalations_fire_due(now=later) == 1
    assert escalation.escalations_fire_due(now=later) == 0
    assert EscalationTimer.objects.get(incident=incident).status == "fired"
    entry = incident.timeline.get(kind="escalated")
    assert entry.message == "Escalated to Lead DevOps (Ivan): Nobody acknowledged the drill"


def test_acknowledging_stops_the_timer(channels, api_client, incident):
    api_client.post(
        f"/api/incidents/{incident.pk}/transition/", {"status": "acknowledged"}, format="json"
    )
    later = timezone.now() + timedelta(minutes=1)
    assert escalation.escalations_fire_due(now=later) == 0
    assert EscalationTimer.objects.get(incident=incident).status == "stopped"
    assert not incident.timeline.filter(kind="escalated").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_step_escalates_as_its_rule_says(channels, incident, user):
    from incident_console.runs.execution import step_run_execute
    from incident_console.runs.services import step_run_start

    run = step_run_start(
        incident=incident, step_id="mixed", actor=user, params={"code": 2}, dispatch=False
    )
    step_run_execute(run_id=run.pk, task_id=run.task_id)
    entry = incident.timeline.get(kind="escalated")
    assert entry.message == "Escalated to Tech Lead: The mixed step failed"
    assert entry.data["rule"] == "mixed-failed"


def test_manual_escalation_through_the_api(channels, api_client, incident):
    response = api_client.post(
        f"/api/incidents/{incident.pk}/escalate/",
        {"notify": ["level:2"], "message": "Need a developer"},
        format="json",
    )
    assert response.status_code == 202
    assert response.json()["notifications"] >= 3
    assert "Tech Lead" in incident.timeline.get(kind="escalated").message
    empty = api_client.post(
        f"/api/incidents/{incident.pk}/escalate/", {"notify": []}, format="json"
    )
    assert empty.status_code == 400


def test_a_notification_left_sending_by_a_dead_sender_is_sent_again(channels, incident, settings):
    settings.NOTIFY_SENDING_STALE = 60
    server, _ = channels
    [slack] = services.notify(
        incident=incident, subject="s", body="b", reason="t", channels=["slack"]
    )
    long_ago = timezone.now() - timedelta(minutes=5)
    Notification.objects.filter(pk=slack.pk).update(status="sending", claimed_at=long_ago)
    services.notifications_send_due()
    slack.refresh_from_db()
    assert slack.status == "sent"
