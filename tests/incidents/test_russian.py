"""The incident pages in Russian: a browser that asks for Russian reads no English word of the
interface, plural counts agree with their numbers, and times are shown in the active time zone.

The English wording is the catalogue's: every msgid whose only occurrences are the incident
pages' templates and modules.  What the pages print from the runbooks (titles, descriptions,
commands) and from the people (incident titles) is another matter and is taken out first.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import polib
import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from incident_console.incidents.models import Incident, Scenario
from incident_console.incidents.services import incident_transition

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
OURS = ("templates/incidents/", "incident_console/incidents/")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}|%s")
# Shorter pieces of English ("To", "or:") would be found inside any English the pages print
# from the runbooks; longer ones are the interface's own.
SHORTEST = 3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _russian_site(settings):
    """The shipped site: Russian, so what the console writes down (the timeline) is Russian too."""
    settings.LANGUAGE_CODE = "ru"


def english_pieces() -> set[str]:
    """The fixed words of every English msgid the incident pages own, placeholders removed;
    words the Russian keeps as they are (RTO, MTTR, SEV1) are not English to look for."""
    pieces = set()
    for entry in polib.pofile(str(CATALOGUE)):
        if not all(path.startswith(OURS) for path, _line in entry.occurrences):
            continue
        russian = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            text = re.sub(r"<[^>]+>", " ", msgid)
            for piece in PLACEHOLDER.split(text):
                piece = piece.strip(" .:;,()“”")
                if len(piece) >= SHORTEST and re.search("[A-Za-z]", piece) and piece not in russian:
                    pieces.add(piece)
    return pieces


def runbook_texts(value) -> list[str]:
    """Every string of a runbook's definition: what the runbook says, not the interface."""
    if isinstance(value, str):
        return [value] if len(value.strip()) >= SHORTEST else []
    if isinstance(value, dict):
        return [text for item in value.values() for text in runbook_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in runbook_texts(item)]
    return []


# Parts of the pages that other areas render (and test): the setup banner, the action items,
# a target's readiness and a run's status; and the target names of a step's badge.
OTHER_AREAS = [
    r'<section class="setup-banner".*?</section>',
    r'<section id="action-items-review">.*?</section>',
    r'<a class="readiness .*?</a>',
    r'<span class="status run-status.*?</span>',
    r'<span class="badge" data-role="target">.*?</span>',
]


def visible_text(page: str) -> str:
    """The page's main content as a person reads it: no tags, scripts, other areas' parts,
    runbook text or incident titles."""
    main = page[page.index("<main") : page.index("</main>")]
    for part in [r"<(script|style)\b.*?</\1>", *OTHER_AREAS]:
        main = re.sub(part, " ", main, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", main))
    definitions = [scenario.definition for scenario in Scenario.objects.all()]
    titles = list(Incident.objects.values_list("title", flat=True))
    for string in sorted(runbook_texts(definitions) + titles, key=len, reverse=True):
        text = text.replace(string, " ")
    return text


def english_in(text: str) -> list[str]:
    return sorted(
        piece
        for piece in english_pieces()
        if re.search(rf"(?<![\w-]){re.escape(piece)}(?![\w-])", text)
    )


def russian_page(user, path: str) -> str:
    client = Client(headers={"accept-language": "ru"})
    client.force_login(user)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def outage(make_incident):
    """An incident of a shipped scenario, with destructive steps, parameters and on-failure."""
    return make_incident("database-down", title="База недоступна")


@pytest.fixture
def drill(make_incident):
    return make_incident("guide-drill", title="Учения")


def test_the_english_catalogue_names_the_incident_pages_wording():
    pieces = english_pieces()
    assert {
        "Open incidents",
        "Next step",
        "destructive",
        "No open incidents. Quiet night",
    } <= pieces


def test_the_incident_page_in_russian_has_no_english_interface_word(user, outage):
    page = russian_page(user, f"/incidents/{outage.pk}/")
    assert english_in(visible_text(page)) == []
    assert "Хронология" in page and "Симптомы" in page and "Шаги" in page
    assert 'class="status open"' in page and ">открыт</span>" in page
    assert f"<title>#{outage.pk} База недоступна · Консоль инцидентов</title>" in page


def test_the_step_cards_say_destructive_and_on_failure_in_russian(user, outage):
    page = russian_page(user, f"/incidents/{outage.pk}/")
    assert '<span class="badge danger">опасный</span>' in page
    assert "при сбое →" in page
    assert 'data-destructive="true"' in page


def test_the_guide_counts_steps_in_russian_and_names_the_next_one(user, drill):
    page = russian_page(user, f"/incidents/{drill.pk}/")
    assert "0 из 6 шагов выполнено" in page
    assert '<span class="badge next">Следующий шаг</span>' in page
    assert english_in(visible_text(page)) == []


@pytest.mark.parametrize(
    ("done", "total", "said"),
    [
        (1, 1, "1 из 1 шага выполнено"),
        (2, 3, "2 из 3 шагов выполнено"),
        (3, 9, "3 из 9 шагов выполнено"),
        (11, 11, "11 из 11 шагов выполнено"),
        (1, 21, "1 из 21 шага выполнено"),
    ],
)
def test_the_progress_agrees_with_the_number_of_steps(done, total, said):
    guide = SimpleNamespace(done=done, total=total, next_step=None, steps={}, after_failure_of="")
    with translation.override("ru"):
        fragment = render_to_string("incidents/_guide.html", {"guide": guide})
    assert said in fragment


def test_the_progress_in_english_is_unchanged():
    guide = SimpleNamespace(done=3, total=9, next_step=None, steps={}, after_failure_of="")
    with translation.override("en"):
        fragment = render_to_string("incidents/_guide.html", {"guide": guide})
    assert "3 of 9 done" in fragment


def test_the_dashboard_in_russian(user, outage):
    page = russian_page(user, "/")
    assert "Открытые инциденты" in page and "Открыть инцидент" in page
    assert english_in(visible_text(page)) == []


def test_the_quiet_dashboard_in_russian(user):
    page = russian_page(user, "/")
    assert "Открытых инцидентов нет." in page
    assert english_in(visible_text(page)) == []


def test_the_review_list_in_russian_shows_status_words_and_keeps_the_values(user, outage):
    incident_transition(incident=outage, to="acknowledged", actor=user)
    page = russian_page(user, "/incidents/")
    assert "Прошедшие инциденты" in page
    assert '<span class="status acknowledged">принят</span>' in page
    assert '<option value="sev1" >SEV1 — критический</option>' in page
    assert english_in(visible_text(page)) == []


def test_the_new_incident_page_in_russian(user, scenarios):
    page = russian_page(user, "/incidents/new/")
    assert "Что происходит?" in page and "Как в сценарии" in page
    assert english_in(visible_text(page)) == []


def test_the_timeline_page_in_russian(user, outage):
    page = russian_page(user, f"/incidents/{outage.pk}/timeline/")
    assert "Хронология: База недоступна" in page
    assert "Открыт инцидент SEV1 «База недоступна»" in page
    assert english_in(visible_text(page)) == []


def test_the_sla_page_in_russian(user, outage, make_run):
    incident_transition(incident=outage, to="resolved", actor=user)
    page = russian_page(user, "/sla/")
    assert "RTO, RPO и MTTR" in page and "MTTR по месяцам" in page
    assert "Учтён 1 инцидент;" in page
    assert english_in(visible_text(page)) == []


def test_the_monthly_sla_review_in_russian(user, outage):
    month = f"{outage.opened_at:%Y-%m}"
    page = russian_page(user, f"/sla/review/?month={month}")
    assert "Ежемесячная проверка SLA" in page
    assert english_in(visible_text(page)) == []


def test_an_error_of_the_review_filters_is_in_russian(user):
    client = Client()
    client.force_login(user)
    response = client.get("/incidents/?opened_after=yesterday", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "должна быть дата в виде ГГГГ-ММ-ДД" in response.content.decode()


def test_the_pages_in_english_keep_the_english_wording(user, outage):
    client = Client()
    client.force_login(user)
    page = client.get(f"/incidents/{outage.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="badge danger">destructive</span>' in page
    assert "Move to:" in page and ">open</span>" in page


def test_the_incident_page_shows_the_opening_time_in_the_active_time_zone(settings, user, outage):
    settings.TIME_ZONE = "Europe/Moscow"
    Incident.objects.filter(pk=outage.pk).update(
        opened_at=datetime(2026, 11, 26, 22, 58, tzinfo=UTC)
    )
    page = russian_page(user, f"/incidents/{outage.pk}/")
    assert "открыт 2026-11-27 01:58 MSK" in page


def test_the_review_filters_dates_by_the_active_time_zone(settings, user, outage):
    settings.TIME_ZONE = "Europe/Moscow"
    Incident.objects.filter(pk=outage.pk).update(
        opened_at=datetime(2026, 11, 26, 22, 58, tzinfo=UTC)
    )
    after = russian_page(user, "/incidents/?opened_after=2026-11-27")
    before = russian_page(user, "/incidents/?opened_before=2026-11-26")
    assert "База недоступна" in after
    assert "База недоступна" not in before


def test_the_import_page_in_russian(user):
    page = russian_page(user, "/runbooks/import/")
    assert "Импорт ранбука из Markdown" in page and "Предпросмотр" in page
    assert english_in(visible_text(page)) == []


def test_a_refused_opening_says_why_in_russian(user, scenarios):
    client = Client()
    client.force_login(user)
    response = client.post(
        "/incidents/new/",
        {"scenario": "database-down", "title": "", "severity": "sev9"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    assert "недопустимая критичность" in response.content.decode()


def test_the_postmortem_is_written_in_the_site_language(outage):
    from incident_console.incidents.postmortem import postmortem_markdown

    with translation.override("en"):
        text = postmortem_markdown(outage)
    assert "## Хронология" in text and "## Выполненные шаги" in text
    assert "- RTO 4 ч: ещё идёт (пока не устранён)" in text
    assert "- Сценарий: Недоступность базы данных (Database unavailable)" in text
    assert "- Статус: открыт" in text


def test_an_incident_opened_without_a_title_on_a_russian_site_takes_the_russian_one(
    make_incident, settings
):
    settings.LANGUAGE_CODE = "ru"
    incident = make_incident("database-down", title="")
    assert incident.title == "Недоступность базы данных"
