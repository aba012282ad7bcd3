"""The review search folds case in every alphabet, in SQLite as in PostgreSQL."""

import pytest

from incident_console.incidents.models import Incident
from incident_console.incidents.selectors import incidents_filtered
from incident_console.incidents.services import incident_note_add

pytestmark = pytest.mark.django_db


def found(words: str) -> list[str]:
    incidents = incidents_filtered(Incident.objects.order_by("pk"), {"q": words})
    return [incident.title for incident in incidents]


@pytest.fixture
def queue_incidents(make_incident):
    make_incident(title="Очередь заказов стоит")
    make_incident(title="очередь писем растёт")
    make_incident(title="Disk FULL on db1")


@pytest.mark.parametrize("words", ["очередь", "Очередь", "ОЧЕРЕДЬ", "оЧеРеДь"])
def test_cyrillic_words_find_titles_in_any_case(queue_incidents, words):
    assert found(words) == ["Очередь заказов стоит", "очередь писем растёт"]


def test_a_capitalised_word_finds_a_title_written_in_lower_case(queue_incidents):
    assert found("Писем") == ["очередь писем растёт"]


def test_latin_words_still_fold(queue_incidents):
    assert found("disk full") == ["Disk FULL on db1"]


def test_percent_and_underscore_are_searched_as_themselves(make_incident):
    make_incident(title="CPU 100% on web_1")
    make_incident(title="CPU 1000 on web11")
    assert found("100% on web_1") == ["CPU 100% on web_1"]


def test_notes_are_searched_in_any_case(make_incident, user):
    incident = make_incident(title="Платежи не проходят")
    incident_note_add(incident=incident, text="Перезапустили ОЧЕРЕДЬ в 03:10", actor=user)
    assert found("перезапустили очередь") == ["Платежи не проходят"]


def test_the_review_page_finds_cyrillic_in_another_case(queue_incidents, user, client):
    client.force_login(user)
    page = client.get("/incidents/", {"q": "ОЧЕРЕДЬ"}).content.decode()
    assert ("Очередь заказов стоит" in page, "очередь писем растёт" in page) == (True, True)
    assert "Disk FULL on db1" not in page


def test_the_api_finds_cyrillic_in_another_case(queue_incidents, api_client):
    titles = [row["title"] for row in api_client.get("/api/incidents/?q=Очередь").json()["results"]]
    assert sorted(titles) == ["Очередь заказов стоит", "очередь писем растёт"]
