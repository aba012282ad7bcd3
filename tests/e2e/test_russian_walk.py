"""A Russian team's whole incident, in a Russian browser against a console whose site speaks
Russian: log in, open, run a step, mark a manual step done, resolve, read the postmortem —
and no English interface string on any page on the way.

"English interface string" means a msgid of the console's catalogues whose Russian differs;
each page's visible text is searched for them, leaving out what is not interface: commands
and output (pre, code) and runbook text marked as shown in its other language (lang="en").
"""

from __future__ import annotations

import re

import polib
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, ROOT, console_running

pytestmark = pytest.mark.e2e

CATALOGUES = [ROOT / "locale" / "ru" / "LC_MESSAGES" / f"{d}.po" for d in ("django", "djangojs")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
RUSSIAN_RUNBOOKS = ROOT / "tests" / "fixtures" / "runbooks-ru"
USERNAME = "dezhurny"
# Not interface: commands and output, runbook text (which quotes English log lines), and text
# shown in its other language.
RUNBOOK_TEXT = "pre, code, [lang=en], .symptoms, .description, .instructions"
# The drill's command, which timeline entries quote.
COMMAND = 'for i in 1 2 3; do echo "ok $i"; done'


def english_phrases() -> set[str]:
    """The literal pieces of every catalogue msgid that Russian says differently."""
    phrases = set()
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            russian = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                for piece in PLACEHOLDER.split(msgid):
                    piece = piece.strip(" .,:;·—–-()«»“”\"'→/")
                    if re.search(r"[A-Za-z]{2,}", piece) and piece not in russian:
                        phrases.add(piece)
    return phrases


ENGLISH = english_phrases()


def visible_interface_text(page) -> str:
    text = page.locator("body").inner_text().replace(COMMAND, " ")
    for element in page.locator(RUNBOOK_TEXT).all():
        if element.is_visible():
            text = text.replace(element.inner_text(), " ")
    return text


def english_on(page) -> list[str]:
    """Each English phrase on the page, with the words around it and the page's path."""
    text = visible_interface_text(page)
    found = []
    for phrase in sorted(ENGLISH):
        match = re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text)
        if match:
            around = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
            found.append(f"{phrase!r} in …{around}… ({page.url})")
    return found


@pytest.fixture(scope="module")
def russian_console(console, tmp_path_factory):
    """A console of a Russian site (LANGUAGE_CODE=ru, Moscow time) with a bilingual drill."""
    var = tmp_path_factory.mktemp("russian-console")
    env = {
        **console["env"],
        "VAR_DIR": str(var),
        "RUNBOOK_DIRS": str(RUSSIAN_RUNBOOKS),
        "LANGUAGE_CODE": "ru",
        "TIME_ZONE": "Europe/Moscow",
    }
    with console_running(env, var, superuser=USERNAME) as url:
        yield url


@pytest.fixture
def russian_page(chromium, russian_console):
    context = chromium.new_context(
        locale="ru-RU",
        timezone_id="Europe/Moscow",
        viewport={"width": 1400, "height": 1000},
        base_url=russian_console,
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_the_catalogue_yields_english_phrases_to_look_for():
    assert {"Log out", "Open incident", "Next step"} <= ENGLISH


def test_a_russian_team_walks_an_incident_without_meeting_english(russian_page, screenshot):
    page = russian_page
    page.goto("/login/")
    assert english_on(page) == []
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert english_on(page) == []

    page.goto("/incidents/new/")
    assert english_on(page) == []
    page.click("text=Учебная тревога")
    page.fill("input[name=title]", "Учения: сервис молчит")
    page.click("main form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = page.url
    assert english_on(page) == []

    page.click("#step-check [data-action=run]")
    page.wait_for_selector("#step-check.run-succeeded", timeout=15000)
    expect(page.locator("#step-check [data-role=output]")).to_contain_text("ok 3")
    page.fill("#step-call-lead input[name=note]", "Lead в пути")
    page.click("#step-call-lead [data-action=done]")
    page.wait_for_selector("#step-call-lead.run-succeeded")
    assert english_on(page) == []

    page.click("[data-transition=acknowledged]")
    expect(page.locator("#incident-status")).not_to_have_text("открыт")
    page.click("[data-transition=resolved]")
    page.wait_for_selector("[data-transition=open], [data-transition=closed]")
    screenshot(page, "incident-ru")
    assert english_on(page) == []

    page.goto(incident + "timeline/")
    assert english_on(page) == []
    page.goto(incident + "postmortem/")
    expect(page.locator("body")).to_contain_text("Учения: сервис молчит")
    screenshot(page, "postmortem-ru")
    assert english_on(page) == []
    assert page.errors == []


def test_the_postmortem_download_is_russian_with_moscow_times(russian_page):
    page = russian_page
    page.goto("/login/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/incidents/new/")
    page.click("text=Учебная тревога")
    page.click("main form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    markdown = page.request.get(page.url.rstrip("/") + "/postmortem.md").text()
    assert "(UTC+03:00)" in markdown
    assert "Учебная тревога" in markdown
