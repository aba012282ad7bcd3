"""Cancelling a long run asks first; a run that has only just started cancels at once."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def open_drill(page, title: str) -> None:
    page.goto("/incidents/new/")
    page.click("text=Test drill")
    page.fill("input[name=title]", title)
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))


def start_slow_run(page) -> None:
    page.fill("#step-slow input[name=lines]", "600")
    page.click("#step-slow [data-action=run]")
    expect(page.locator("#step-slow [data-role=output]")).to_contain_text("tick 2\n")


def test_cancelling_a_run_past_a_minute_asks_first_and_a_young_one_does_not(new_page):
    page = new_page()
    page.clock.install()
    open_drill(page, "drill: cancel")
    dialogs = []
    answer = {"accept": False}

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    start_slow_run(page)
    page.click("#step-slow [data-action=cancel]")
    page.wait_for_selector("#step-slow.run-cancelled", timeout=10000)
    assert dialogs == [], "a run a few seconds old cancels without a question"

    start_slow_run(page)
    page.clock.fast_forward("01:10")
    page.click("#step-slow [data-action=cancel]")
    for _ in range(50):
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert len(dialogs) == 1 and "has been going for 1 min" in dialogs[0]
    assert page.inner_text("#step-slow [data-role=status]") == "running", "'No' keeps it running"

    answer["accept"] = True
    page.click("#step-slow [data-action=cancel]")
    page.wait_for_selector("#step-slow.run-cancelled", timeout=10000)
    assert len(dialogs) == 2
    assert page.errors == []
