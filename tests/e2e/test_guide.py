"""The guided flow in a real browser: progress, the next step, needs, override and one_of."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def open_drill(page, title: str) -> None:
    page.goto("/incidents/new/")
    page.click("text=Guide drill")
    page.fill("input[name=title]", title)
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))


def run(page, step_id: str) -> None:
    page.click(f"#step-{step_id} .actions [data-action=run]")
    page.wait_for_selector(f"#step-{step_id}.run-succeeded", timeout=15000)


def test_the_next_step_moves_on_as_steps_succeed(new_page):
    page = new_page()
    open_drill(page, "guide: next step")
    expect(page.locator("#guide")).to_contain_text("0 of 6 done")
    expect(page.locator("#guide [data-role=guide-next]")).to_contain_text(
        "Next step 1. Check the service"
    )
    expect(page.locator("#step-check .step-guide")).to_have_text("Next step")
    run(page, "check")
    expect(page.locator("#guide")).to_contain_text("1 of 6 done")
    expect(page.locator("#step-download")).to_have_class(re.compile(r"\bguide-next\b"))
    expect(page.locator("#step-download .step-guide")).to_have_text("Next step")
    expect(page.locator("#step-check .step-guide")).to_have_text("Done")
    assert page.errors == []


def test_a_step_stays_disabled_until_what_it_needs_succeeded(new_page):
    page = new_page()
    open_drill(page, "guide: needs")
    restore_run = page.locator("#step-restore .actions [data-action=run]")
    expect(restore_run).to_be_disabled()
    expect(page.locator("#step-restore .step-guide")).to_have_text(
        "Blocked: needs Download the backup"
    )
    run(page, "download")
    expect(restore_run).to_be_enabled()
    expect(page.locator("#step-restore .step-guide")).not_to_contain_text("Blocked")
    run(page, "restore")
    expect(page.locator("#step-confirm [data-action=done]").first).to_be_enabled()
    assert page.errors == []


def test_a_commander_overrides_a_need_with_a_reason_the_timeline_keeps(new_page):
    page = new_page()
    open_drill(page, "guide: override")
    override = page.locator("#step-restore [data-role=needs-override]")
    expect(override).to_be_visible()
    page.get_by_label("Reason to go ahead before what it needs has succeeded").first.fill(
        "backup copied by hand from the old host"
    )
    override.locator("[data-action=run]").click()
    page.wait_for_selector("#step-restore.run-succeeded", timeout=15000)
    expect(page.locator("#timeline")).to_contain_text(
        "Overrode the needs of “Restore the backup”: ran it before “Download the backup” "
        "succeeded, because: backup copied by hand from the old host"
    )
    expect(override).to_be_hidden()
    expect(page.locator("#step-confirm .step-guide")).not_to_contain_text("Blocked")
    assert page.errors == []


def test_one_way_of_a_group_marks_the_other_done_another_way_and_counts_once(new_page):
    page = new_page()
    open_drill(page, "guide: one_of")
    expect(page.locator("#step-restart-compose .step-guide")).to_contain_text(
        "or: on the production host"
    )
    expect(page.locator("#step-restart-host .step-guide")).to_contain_text("or: with compose")
    run(page, "restart-compose")
    expect(page.locator("#step-restart-host .step-guide")).to_contain_text(
        "Done another way (with compose)"
    )
    expect(page.locator("#guide")).to_contain_text("1 of 6 done")
    run(page, "restart-host")
    expect(page.locator("#guide")).to_contain_text("1 of 6 done")
    assert page.errors == []
