"""The dashboard updates itself: another browser's new incident and acknowledgement appear
without a reload, most severe first, then oldest; the incident page shows its newest entry."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SEVERITY_ORDER = ["sev1", "sev2", "sev3", "sev4"]


def open_incident(page, scenario: str, title: str, severity: str) -> None:
    page.goto("/incidents/new/")
    page.click(f"text={scenario}")
    page.fill("input[name=title]", title)
    page.select_option("select[name=severity]", severity)
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))


def dashboard_rows(page) -> list[tuple[int, str]]:
    """(severity rank, opened at) of each open incident, in the order shown."""
    return page.eval_on_selector_all(
        "#dashboard-open tr[data-incident]",
        """rows => rows.map(row => [
             row.querySelector('.sev').className.split(' ')[1],
             row.querySelector('td[title]').getAttribute('title')])""",
    )


def test_a_dashboard_shows_another_browsers_incident_and_acknowledgement_live(new_page):
    watcher = new_page()
    watcher.goto("/")
    opener = new_page()
    open_incident(opener, "Test drill", "live: minor thing", "sev3")
    open_incident(opener, "Test drill", "live: all down", "sev1")
    incident_id = opener.url.rstrip("/").rsplit("/", 1)[1]

    row = watcher.locator(f'#dashboard-open tr[data-incident="{incident_id}"]')
    expect(row).to_contain_text("live: all down", timeout=10000)
    expect(watcher.locator("#dashboard-open")).to_contain_text("live: minor thing")
    rows = dashboard_rows(watcher)
    ranks = [(SEVERITY_ORDER.index(severity), opened) for severity, opened in rows]
    assert ranks == sorted(ranks)

    opener.click("[data-transition=acknowledged]")
    expect(row.locator(".status")).to_have_text("acknowledged", timeout=10000)
    expect(watcher.locator("#dashboard-paused")).to_be_hidden()
    assert watcher.errors == []


def test_the_incident_page_shows_its_newest_timeline_entry_first(new_page):
    page = new_page()
    open_incident(page, "Test drill", "timeline order", "sev3")
    page.click("[data-transition=acknowledged]")  # so the drill's escalation cannot come later
    expect(page.locator("#incident-status")).to_have_text("acknowledged")
    page.fill("[data-form=note] [name=text]", "newest words")
    page.click("[data-form=note] button")
    newest = page.locator("#timeline li").first
    expect(newest).to_contain_text("newest words")
    expect(newest).to_be_in_viewport()
    page.reload()
    expect(page.locator("#timeline li").first).to_contain_text("newest words")
    assert page.errors == []
