"""Every page by keyboard alone, clean under axe-core, and usable on a 390×844 phone."""

import re
from pathlib import Path
from pprint import pformat

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
PAGES = {
    "dashboard": "/",
    "new incident": "/incidents/new/",
    "review": "/incidents/",
    "SLA": "/sla/",
    "monthly SLA review": "/sla/review/",
    "maintenance": "/maintenance/",
    "contacts": "/contacts/",
    "targets": "/targets/",
    "import": "/runbooks/import/",
}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip("axe-core is not installed: `make install` runs npm ci")
    return AXE.read_text()


def open_drill(page, title: str) -> str:
    page.goto("/incidents/new/")
    page.click("text=Guide drill")
    page.fill("input[name=title]", title)
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    return page.url


def every_page(page, title: str) -> dict[str, str]:
    """The pages to check, with an incident open and another resolved (the dashboard lists it)."""
    open_drill(page, title + " (resolved)")
    page.click("[data-transition=acknowledged]")
    expect(page.locator("#incident-status")).to_have_text("acknowledged")
    page.click("[data-transition=resolved]")
    expect(page.locator("#incident-status")).to_have_text("resolved")
    incident = open_drill(page, title)
    return {
        **PAGES,
        "incident": incident,
        "timeline": incident + "timeline/",
        "postmortem": incident + "postmortem/",
    }


def serious_violations(page, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's CSP does not block the script.
    page.evaluate(axe_source)
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in violations
        if violation["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violation_on_any_page(new_page, axe_source):
    page = new_page()
    found = {}
    for name, url in every_page(page, "a11y: every page").items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if violations := serious_violations(page, axe_source):
            found[name] = violations
    assert not found, pformat(found)


def test_no_page_scrolls_sideways_on_a_phone(new_page):
    page = new_page()
    urls = every_page(page, "phone: every page")
    page.set_viewport_size(PHONE)
    widths = {}
    for name, url in urls.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
    assert {name: width for name, width in widths.items() if width > 390} == {}


def test_an_incident_opens_from_the_keyboard_alone(new_page):
    page = new_page()
    page.goto("/incidents/new/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    radio = page.locator("input[name=scenario]").first
    for _ in range(30):
        page.keyboard.press("Tab")
        if radio.evaluate("radio => radio === document.activeElement"):
            break
    expect(radio).to_be_focused()
    outline = radio.evaluate("radio => getComputedStyle(radio.nextElementSibling).outlineStyle")
    assert outline == "solid", "the focused scenario's card shows where the focus is"
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("input[name=title]")).to_be_focused()
    page.keyboard.type("keyboard: opened without a mouse")
    page.keyboard.press("Enter")
    # The skip link's #content stays on the URL through the redirect.
    page.wait_for_url(re.compile(r"/incidents/\d+/(#content)?$"))
    expect(page.locator("h1")).to_have_text("keyboard: opened without a mouse")
    assert page.errors == []


def test_submitting_without_a_scenario_says_what_is_missing(new_page):
    page = new_page()
    page.goto("/incidents/new/")
    page.fill("input[name=title]", "no scenario chosen")
    page.click("button:has-text('Open incident')")
    error = page.locator("[data-role=scenario-error]")
    expect(error).to_be_visible()
    expect(error).to_have_text("Choose what is happening: pick one of the scenarios below.")
    assert page.url.endswith("/incidents/new/")
    page.click("text=Guide drill")
    expect(error).to_be_hidden()


def test_the_escalate_reason_has_a_label(new_page):
    page = new_page()
    open_drill(page, "a11y: escalate label")
    why = page.get_by_label("Why")
    expect(why).to_have_attribute("name", "message")


def test_on_a_phone_the_top_bar_folds_into_a_menu_button(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto("/")
    menu = page.get_by_role("button", name="Menu")
    log_out = page.get_by_role("button", name="Log out")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(log_out).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(log_out).to_be_visible()
    expect(page.locator("#topnav").get_by_role("link", name="Open incident")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(log_out).to_be_hidden()


def test_on_a_phone_the_next_step_clock_and_timeline_come_before_the_steps(new_page, screenshot):
    page = new_page()
    incident = open_drill(page, "phone: what matters first")
    page.set_viewport_size(PHONE)
    page.goto(incident)
    first_step_top = page.locator(".checklist .step").first.bounding_box()["y"]
    for box in ("#rto-clock", "#guide", "#timeline"):
        assert page.locator(box).bounding_box()["y"] < first_step_top, box
    expect(page.locator("#guide")).to_be_in_viewport()
    expect(page.locator("#timeline li").last).to_be_visible()
    screenshot(page, "incident-phone")
    assert page.errors == []


def test_on_a_phone_the_review_table_scrolls_inside_itself(new_page):
    page = new_page()
    open_drill(page, "phone: review table")
    page.set_viewport_size(PHONE)
    page.goto("/incidents/")
    table = page.locator("table.list").first
    expect(table).to_contain_text("phone: review table")
    sizes = table.evaluate("table => [table.clientWidth, table.scrollWidth]")
    assert sizes[0] <= 390 < sizes[1], "the table is narrower than the phone, its rows wider"
    assert table.evaluate("table => getComputedStyle(table).overflowX") == "auto"
