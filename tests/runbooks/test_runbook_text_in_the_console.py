"""Runbook text as the console shows it: the reader's language on pages (the other one marked
when missing) and every language in the API, the requested one first."""

import pytest
from django.test import Client
from django.utils import translation

from incident_console.incidents.models import Scenario
from incident_console.incidents.runbook_text import parameter_error_text
from runbooks.schema import Parameter, ParameterValueError

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


def page(browser, path, language):
    return browser.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_incident_page_in_russian_shows_the_seeds_step_titles(browser, make_incident):
    incident = make_incident("database-down")
    html = page(browser, f"/incidents/{incident.pk}/", "ru")
    for step in incident.scenario.steps:
        assert step["title"].languages["ru"] in html
        assert f"<strong>{step['title']}</strong>" not in html
    assert "Проверка статуса БД — Проверка подключения" in html
    assert "API возвращает 500 ошибки" in html
    assert "untranslated" not in html


def test_the_incident_page_in_english_shows_the_english_titles(browser, make_incident):
    incident = make_incident("database-down")
    html = page(browser, f"/incidents/{incident.pk}/", "en")
    assert "<strong>Check the database connection (SELECT 1)</strong>" in html
    assert "Проверка статуса БД — Проверка подключения" not in html
    assert "The API answers with 500 errors" in html


def test_a_step_missing_the_readers_language_shows_the_other_with_a_marker(browser, make_incident):
    incident = make_incident("database-down")
    scenario = incident.scenario
    definition = scenario.definition
    definition["steps"][0]["title"] = {"en": "Only in English"}
    Scenario.objects.filter(pk=scenario.pk).update(definition=definition)
    html = page(browser, f"/incidents/{incident.pk}/", "ru")
    assert "<strong>Only in English</strong>" in html
    assert '<span class="badge untranslated" lang="en" title="' in html
    assert html.count('class="badge untranslated"') == 1


def test_the_new_incident_form_names_each_scenario_in_the_readers_language(browser, scenarios):
    html = page(browser, "/incidents/new/", "ru")
    assert "<strong>Переполнение диска</strong>" in html
    assert "<strong>Disk full</strong>" not in html


def test_the_api_gives_the_requested_language_first(make_api_client, user, scenarios):
    client = make_api_client(user)
    russian = client.get("/api/scenarios/disk-full/", HTTP_ACCEPT_LANGUAGE="ru").json()
    english = client.get("/api/scenarios/disk-full/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (russian["title"], list(russian["titles"])) == ("Переполнение диска", ["ru", "en"])
    assert (english["title"], list(english["titles"])) == ("Disk full", ["en", "ru"])
    assert russian["steps"][0]["title"] == "Проверка использования диска — df -h"
    assert list(russian["steps"][0]["titles"]) == ["ru", "en"]
    assert list(english["translations"]) == ["en", "ru"]
    assert russian["translations"]["en"]["symptoms"][0] == "Write errors in the database or files"
    assert russian["symptoms"][0] == "Ошибки записи в БД/файлы"


def test_the_api_gives_parameter_labels_in_the_requested_language(make_api_client, user, scenarios):
    client = make_api_client(user)
    scenario = client.get("/api/scenarios/disk-full/", HTTP_ACCEPT_LANGUAGE="ru").json()
    du = next(step for step in scenario["steps"] if step["id"] == "du-postgres-data")
    assert du["params"][0]["label"] == "Каталог данных PostgreSQL"


def test_a_parameter_error_is_said_in_the_readers_language():
    param = Parameter(
        name="day", pattern="20[0-9]{6}", expect={"en": "a date like 20240115", "ru": "дата"}
    )
    with pytest.raises(ParameterValueError) as refused:
        param.validate_value("15.01.2024")
    with translation.override("en"):
        assert parameter_error_text(refused.value) == "must be a date like 20240115"
    with translation.override("ru"):
        assert parameter_error_text(refused.value) == "ожидается дата"


def test_a_refused_parameter_is_explained_in_the_requested_language(api_client, make_incident):
    incident = make_incident("data-loss")
    response = api_client.post(
        f"/api/incidents/{incident.pk}/steps/find-backup-for-date/run/",
        {"params": {"day": "15.01.2024"}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["day"] == "ожидается дата вида 20240115"
