"""The postmortem of a resolved incident, written in the browser, listed on the review page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import open_incident

pytestmark = pytest.mark.e2e


def test_the_commander_writes_the_postmortem_adds_an_action_item_and_downloads_it(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: postmortem")
    page.click("[data-transition=resolved]")
    expect(page.locator("#incident-status")).to_have_text("resolved")
    page.click("a:has-text('Postmortem')")
    page.wait_for_url(re.compile(r"/incidents/\d+/postmortem/$"))
    expect(page.locator("#recorded")).to_contain_text("RTO 4 h: met: recovered in 0 min")

    page.fill("#pm-root_cause", "The **WAL volume** filled up")
    expect(page.locator("#preview-root_cause strong")).to_have_text("WAL volume")
    page.click("[data-action=save-postmortem]")
    expect(page.locator(".flash")).to_have_text("Postmortem saved")
    expect(page.locator("#pm-root_cause")).to_have_value("The **WAL volume** filled up")

    form = page.locator(".action-item-form")
    form.locator("input[name=text]").fill("Alert on the WAL volume at 80%")
    form.locator("select[name=owner]").select_option("oncall")
    form.locator("input[name=due]").fill("2020-03-01")
    form.locator("[data-action=add-action-item]").click()
    row = page.locator("#action-items tbody tr").first
    expect(row).to_contain_text("Alert on the WAL volume at 80%")
    expect(row).to_contain_text("oncall")
    expect(row).to_have_class("overdue")

    with page.expect_download() as download_info:
        page.click("[data-action=download-postmortem]")
    download = download_info.value
    assert re.fullmatch(r"postmortem-\d+\.md", download.suggested_filename)
    text = Path(download.path()).read_text()
    assert "## Root cause\n\nThe **WAL volume** filled up\n" in text
    assert "- [ ] Alert on the WAL volume at 80% (oncall, due 2020-03-01)" in text
    assert "- RTO 4 h: met: recovered in 0 min" in text

    page.goto("/incidents/")
    review = page.locator("#action-items-review tbody tr", has_text="Alert on the WAL volume")
    expect(review).to_contain_text("oncall")
    expect(review).to_contain_text("overdue")
    assert page.errors == []
