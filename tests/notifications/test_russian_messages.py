"""A Russian site's notifications are Russian whoever caused them: Slack, Telegram and email
(subject and body) each carry the incident's link and its times in Moscow time, with the
offset; the timeline entries they leave are Russian too."""

import json
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from django.utils import translation

from incident_console.incidents.models import Contact, Incident
from incident_console.notifications import escalation, services
from tests.servers import start_recorder, start_smtp

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 26, 22, 58, tzinfo=UTC)
IN_MOSCOW = "27.11.2026 01:58 (UTC+03:00)"


@pytest.fixture
def russian_site(settings):
    settings.LANGUAGE_CODE = "ru"
    settings.TIME_ZONE = "Europe/Moscow"
    settings.CONSOLE_URL = "https://console.ringo.example.com/"


@pytest.fixture
def channels(settings, monkeypatch):
    url, server = start_recorder()
    controller, inbox = start_smtp()
    settings.SLACK_WEBHOOK_URL = f"{url}/services/T000/B000/slack-secret-part"
    settings.TELEGRAM_BOT_TOKEN = "123456:telegram-secret-token"
    settings.TELEGRAM_CHAT_ID = "-100200300"
    settings.TELEGRAM_API_URL = url
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    Contact.objects.filter(role="Lead DevOps").update(name="Иван", telegram="ivan_ops")
    yield server, inbox
    server.shutdown()
    controller.stop()


@pytest.fixture
def escalated(channels, incident, user):
    """An escalation pressed by someone whose browser speaks English."""
    server, inbox = channels
    Incident.objects.filter(pk=incident.pk).update(opened_at=OPENED)
    incident.refresh_from_db()
    services.notifications_send_due()
    server.received.clear()
    inbox.messages.clear()
    with translation.override("en"):
        escalation.escalate_by_hand(
            incident=incident, notify_names=["Lead DevOps"], message="Диск 99%", actor=user
        )
    services.notifications_send_due()
    return incident, server, inbox


def sent_text(server, path_part: str) -> str:
    request = next(r for r in server.received if path_part in r["path"])
    return json.loads(request["body"])["text"]


def test_a_russian_sites_telegram_escalation_is_russian_with_the_link_and_moscow_time(
    russian_site, escalated
):
    incident, server, _ = escalated
    text = sent_text(server, "sendMessage")
    assert f"#{incident.pk} drill: эскалация — Lead DevOps (Иван)" in text
    assert "Диск 99%\nСтатус: открыт\n" in text
    assert f"Открыт: {IN_MOSCOW}" in text
    assert f"https://console.ringo.example.com/incidents/{incident.pk}/" in text
    assert "escalated" not in text and "Status" not in text


def test_a_russian_sites_slack_escalation_is_russian_with_the_link_and_moscow_time(
    russian_site, escalated
):
    incident, server, _ = escalated
    text = sent_text(server, "/services/T000/B000/")
    assert text.startswith(f"*[SEV3] #{incident.pk} drill: эскалация — Lead DevOps (Иван)*\n")
    assert f"Открыт: {IN_MOSCOW}" in text
    assert f"https://console.ringo.example.com/incidents/{incident.pk}/" in text


def test_a_russian_sites_escalation_email_has_a_russian_subject_and_body(russian_site, escalated):
    incident, _, inbox = escalated
    [message, *_] = inbox.messages
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == f"[SEV3] #{incident.pk} drill: эскалация — Lead DevOps (Иван)"
    body = message.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert f"Статус: открыт\nОткрыт: {IN_MOSCOW}\n" in body
    assert f"https://console.ringo.example.com/incidents/{incident.pk}/" in body


def test_a_russian_sites_escalation_leaves_russian_timeline_entries(russian_site, escalated):
    incident, _, _ = escalated
    entry = incident.timeline.get(kind="escalated")
    assert entry.message == "Эскалация — Lead DevOps (Иван): Диск 99%"
    sent = incident.timeline.filter(kind="notification", message__contains="эскалация")
    assert sent.count() == 3, "Slack, Telegram and the on-call email"
    assert all(entry.message.startswith("Отправлено в ") for entry in sent)


def test_a_russian_sites_escalation_with_no_channel_says_not_sent_in_russian(
    russian_site, settings, incident, user, monkeypatch
):
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    escalation.escalate_by_hand(
        incident=incident, notify_names=["Tech Lead"], message="", actor=user
    )
    assert incident.timeline.get(kind="not_sent").message == (
        "Эскалация — Tech Lead — не отправлено: не настроен ни один канал уведомлений "
        "(slack: не задан SLACK_WEBHOOK_URL; "
        "telegram: не заданы TELEGRAM_BOT_TOKEN и TELEGRAM_CHAT_ID; "
        "email: не задан EMAIL_HOST)"
    )


def test_an_english_sites_escalation_stays_english_with_the_time_in_utc(escalated):
    incident, server, _ = escalated
    text = sent_text(server, "sendMessage")
    assert f"#{incident.pk} drill: escalated to Lead DevOps (Иван)" in text
    assert "Диск 99%\nStatus: open\nOpened: 2026-11-26 22:58 UTC\n" in text
    assert f"/incidents/{incident.pk}/" in text
