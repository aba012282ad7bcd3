"""The maintenance page speaks the reader's language; what a duty found is written in the
site's language, since it becomes incident titles, notifications and the setup banner."""

import pytest
from django.test import Client

from incident_console.errors import InvalidInput
from incident_console.maintenance.services import (
    checklist_complete,
    maintenance_run,
    setup_problems,
)

pytestmark = pytest.mark.django_db

ENGLISH_ON_THE_MAINTENANCE_PAGE = [
    "Scheduled maintenance",
    "Last result",
    "Run now",
    "Checklists done",
    "never done",
    "Record as done",
    "Nothing has run yet",
]


@pytest.fixture
def russian_site(settings):
    settings.LANGUAGE_CODE = "ru"
    settings.TIME_ZONE = "Europe/Moscow"


def page(user, language: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/maintenance/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_maintenance_page_in_russian_has_no_english_of_its_own(user):
    html = page(user, "ru")
    for russian in ("Плановое обслуживание", "Чек-листы", "ни разу не выполнялся", "каждую неделю"):
        assert russian in html, russian
    for english in ENGLISH_ON_THE_MAINTENANCE_PAGE:
        assert english not in html, english


def test_the_maintenance_page_in_english_is_as_before(user):
    html = page(user, "en")
    assert "Scheduled maintenance" in html and "never done" in html
    assert "Плановое обслуживание" not in html


def test_a_duty_not_checked_on_a_russian_site_says_why_in_russian(russian_site, settings):
    settings.ALERTMANAGER_URL = ""
    alerts = maintenance_run(task="alerts")
    assert alerts.status == "not_checked"
    assert alerts.headline == "Алерты: не проверено: не задан ALERTMANAGER_URL"
    assert "0 alerts received in the last 24 h" in alerts.output, "output stays as printed"
    assert setup_problems() == [
        {
            "what": "Обслуживание: Алерты",
            "why": "не задан ALERTMANAGER_URL",
            "link": "/maintenance/#settings",
        }
    ]


def test_the_page_names_a_not_checked_result_in_russian(russian_site, settings, user):
    settings.ALERTMANAGER_URL = ""
    maintenance_run(task="alerts")
    html = page(user, "ru")
    assert '<span class="not_checked">не проверена</span>' in html


def test_a_checklist_with_items_left_is_refused_in_russian_words(responder, settings):
    from django.utils import translation

    with translation.override("ru"), pytest.raises(InvalidInput) as refused:
        checklist_complete(checklist="security_logs", actor=responder, ticked=[], note="")
    assert refused.value.message.startswith("сначала отметьте все пункты: не отмечены ")


def test_a_checklist_done_shows_when_in_the_readers_zone_with_the_offset(russian_site, responder):
    from datetime import UTC, datetime

    from incident_console.maintenance.models import ChecklistCompletion
    from incident_console.site import current_site

    items = list(current_site().maintenance.checklists["security_logs"].items)
    checklist_complete(checklist="security_logs", actor=responder, ticked=items, note="ok")
    ChecklistCompletion.objects.update(completed_at=datetime(2026, 11, 26, 22, 58, tzinfo=UTC))
    html = page(responder, "ru")
    assert "последний раз 2026-11-27 01:58 (UTC+03:00), выполнил <strong>rita</strong>" in html
    assert "<td>2026-11-27 01:58 (UTC+03:00)</td>" in html


def test_a_checklist_reads_in_the_readers_language_and_is_ticked_by_its_items(user, responder):
    russian, english = page(user, "ru"), page(user, "en")
    assert "Анализ логов безопасности" in russian and "Security log review" not in russian
    assert "Входы по SSH на prod-host (/var/log/auth.log)" in russian
    assert "Security log review" in english and "Анализ логов безопасности" not in english
    assert 'value="SSH logins on prod-host (/var/log/auth.log)' in russian

    from incident_console.site import current_site

    items = [str(item) for item in current_site().maintenance.checklists["security_logs"].items]
    completion = checklist_complete(
        checklist="security_logs", actor=responder, ticked=items, note="чисто"
    )
    assert completion.note == "чисто"
