"""The contacts pages and the undelivered banner speak the reader's language (Accept-Language):
Russian words, Russian plurals, validation errors in Russian words."""

import re

import pytest
from django.test import Client

from incident_console.incidents.models import Contact
from incident_console.notifications import services
from incident_console.notifications.escalation import escalate_by_hand

pytestmark = pytest.mark.django_db

ENGLISH_ON_THE_CONTACTS_PAGE = [
    "Contacts and escalation",
    "Escalation levels",
    "People and providers",
    "not filled in",
    "Notification channels",
    "not configured",
    "sends to",
    "is not set",
    ">Phone<",
    ">Edit<",
]


def get(user, path: str, language: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.fixture
def lead():
    return Contact.objects.get(role="Lead DevOps")


def test_the_contacts_page_in_russian_has_russian_headings_and_no_english_of_its_own(
    user, settings
):
    settings.SLACK_WEBHOOK_URL = ""
    html = get(user, "/contacts/", "ru")
    for russian in ("Контакты и эскалация", "Уровни эскалации", "Каналы уведомлений"):
        assert russian in html
    assert "не настроен</span> (не задан SLACK_WEBHOOK_URL)" in html
    assert "не заполнено" in html
    for english in ENGLISH_ON_THE_CONTACTS_PAGE:
        assert english not in html, english


def test_the_contacts_page_in_english_is_as_before(user, settings):
    settings.SLACK_WEBHOOK_URL = ""
    html = get(user, "/contacts/", "en")
    assert "Contacts and escalation" in html
    assert "not configured</span> (SLACK_WEBHOOK_URL is not set)" in html
    assert "Контакты и эскалация" not in html


def test_a_bad_phone_is_refused_in_russian_words(user, lead):
    client = Client()
    client.force_login(user)
    response = client.post(
        f"/contacts/{lead.pk}/edit/",
        {"name": "Иван", "phone": "позвоните мне", "email": "", "telegram": "", "slack": ""},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ничего не сохранено: исправьте отмеченные ниже поля." in html
    assert re.search(r'data-field="phone">Введите номер телефона: от 5 до 15 цифр', html)
    assert "<label>Телефон " in html


def test_a_viewer_refused_an_edit_is_told_why_in_russian(viewer, lead):
    html = get(viewer, f"/contacts/{lead.pk}/edit/", "ru")
    assert "Для правки контактов нужна роль командира." in html


@pytest.mark.parametrize(
    ("count", "banner"),
    [
        (1, "1 уведомление не доставлено"),
        (3, "3 уведомления не доставлены"),
    ],
)
def test_the_undelivered_banner_counts_in_russian_plurals(
    count, banner, settings, monkeypatch, incident, user
):
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    channels = None if count == 3 else ["slack"]
    services.notify(incident=incident, subject="s", body="b", reason="t", channels=channels)
    html = get(user, f"/incidents/{incident.pk}/", "ru")
    assert banner in html
    assert ">Повторить</button>" in html


def test_a_retry_is_announced_in_russian(settings, monkeypatch, incident, user):
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    escalate_by_hand(incident=incident, notify_names=["Lead DevOps"], message="", actor=user)
    client = Client()
    client.force_login(user)
    response = client.post(
        f"/incidents/{incident.pk}/notifications/retry/", HTTP_ACCEPT_LANGUAGE="ru", follow=True
    )
    assert "Повторная отправка 3 уведомлений" in response.content.decode()
