"""A Russian site's postmortem is Russian, whoever downloads it, with every time in Moscow time
and its offset; an English site's stays English and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import translation

from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.postmortem import postmortem_markdown
from incident_console.notifications import services
from incident_console.notifications.escalation import escalate_by_hand

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 26, 22, 58, 7, tzinfo=UTC)


@pytest.fixture
def russian_site(settings):
    settings.LANGUAGE_CODE = "ru"
    settings.TIME_ZONE = "Europe/Moscow"


@pytest.fixture
def escalated_unsent(settings, monkeypatch, incident, user):
    """An incident opened at 22:58:07 UTC whose escalation could not be sent anywhere."""
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    escalate_by_hand(incident=incident, notify_names=["Tech Lead"], message="", actor=user)
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=OPENED, resolved_at=OPENED + timedelta(minutes=70), status="resolved"
    )
    TimelineEntry.objects.filter(incident=incident).update(at=OPENED + timedelta(minutes=2))
    return Incident.objects.get(pk=incident.pk)


def test_a_russian_sites_postmortem_has_russian_headings(russian_site, escalated_unsent):
    with translation.override("en"):
        text = postmortem_markdown(escalated_unsent)
    for heading in (
        "Кратко",
        "Влияние",
        "Хронология",
        "Выполненные шаги",
        "Кого оповестили",
        "Не отправлено",
        "Первопричина",
        "Задачи по итогам",
    ):
        assert f"\n## {heading}\n" in text, heading
    for english in ("Timeline", "Contacts notified", "Not sent", "Summary", "not sent"):
        assert english not in text, english


def test_a_russian_sites_postmortem_shows_moscow_times_with_the_offset(
    russian_site, escalated_unsent
):
    text = postmortem_markdown(escalated_unsent)
    assert "- Открыт: 27.11.2026 01:58:07 (UTC+03:00), открыл alice\n" in text
    assert "- Устранён через: 1 ч 10 мин\n" in text
    assert "| время (UTC+03:00) | кто | что |\n" in text
    assert "| 02:00:07 | alice | Эскалация — Tech Lead — не отправлено: " in text
    assert "- 02:00:07 Эскалация — Tech Lead: не отправлено (не настроен ни один канал" in text


def test_the_postmortem_page_in_russian_shows_russian_sections_and_record(
    russian_site, escalated_unsent, responder
):
    client = Client()
    client.force_login(responder)
    html = client.get(
        f"/incidents/{escalated_unsent.pk}/postmortem/", HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    for russian in ("Первопричина", "Задачи по итогам", "Сохранить постмортем", "Хронология"):
        assert russian in html, russian
    for english in (
        "Root cause",
        "Action items",
        "Save postmortem",
        "Timeline",
        "Contacts notified",
    ):
        assert english not in html, english


def test_an_english_sites_postmortem_stays_english_and_in_utc(escalated_unsent):
    text = postmortem_markdown(escalated_unsent)
    assert "- Opened: 2026-11-26 22:58:07 UTC by alice\n" in text
    assert "| time (UTC) | who | what |\n" in text
    assert "\n## Not sent\n" in text
    assert "- 23:00:07 Escalation to Tech Lead: not sent (no notification channel" in text
