"""Editing an imported runbook in the preview, on a phone, with labelled fields, then saving it:
the scenario the console loads has exactly those edits."""

import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.e2e.test_keyboard_and_phone import AXE, serious_violations

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DOCUMENT = """# E2E cache is stale

## Symptoms
- Pages show yesterday's prices

## Actions
```bash
# Count the cached pages
echo counted
# Clear the cache
echo cleared
# Warm it again
echo warmed
# Report the size
echo reported
```
"""


def step_fields(page, step_id: str):
    return page.locator("fieldset.import-step").filter(
        has=page.locator(f"legend >> text={step_id}")
    )


def test_a_commander_edits_the_steps_on_a_phone_and_saves_what_the_console_then_runs(
    new_page, console
):
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto("/runbooks/import/")
    page.get_by_label("…or paste it").fill(DOCUMENT)
    page.get_by_role("button", name="Preview").click()

    count = step_fields(page, "actions-count-the-cached-pages")
    count.get_by_label("Title").fill("Count and clear the cache")
    count.get_by_label("Merge with the next step").check()
    step_fields(page, "actions-warm-it-again").get_by_label("Destructive").check()
    report = step_fields(page, "actions-report-the-size")
    report.get_by_label("Drop this step").focus()
    page.keyboard.press("Space")
    expect(report.get_by_label("Drop this step")).to_be_checked()
    page.get_by_role("button", name="Apply changes").click()

    preview = page.locator(".card.preview").first
    expect(preview.locator("ol > li")).to_have_count(2)
    expect(preview).to_contain_text("Count and clear the cache")
    expect(page.locator("details pre.command")).to_contain_text("echo counted\n\n    echo cleared")
    expect(
        step_fields(page, "actions-report-the-size").get_by_label("Drop this step")
    ).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if AXE.exists():
        assert serious_violations(page, AXE.read_text()) == []

    page.get_by_role("button", name=re.compile(r"Save 1 runbook")).click()
    page.wait_for_url(re.compile(r"/(#content)?$"))
    saved = Path(console["env"]["VAR_DIR"]) / "runbooks" / "e2e-cache-is-stale.yaml"
    steps = yaml.safe_load(saved.read_text())["steps"]
    assert [(s["title"], s.get("destructive", False)) for s in steps] == [
        ("Count and clear the cache", False),
        ("Actions: Warm it again", True),
    ]

    page.goto("/incidents/new/")
    page.click("text=E2E cache is stale")
    page.fill("input[name=title]", "e2e: edited import")
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    cards = page.locator(".checklist .step")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("data-title", "Count and clear the cache")
    expect(cards.nth(1)).to_have_attribute("data-destructive", "true")
    assert page.errors == []
