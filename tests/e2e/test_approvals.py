"""Approvals across two browsers, break-glass, and commanders changing the incident."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import login_as, open_incident

pytestmark = pytest.mark.e2e

BREAK_GLASS_REASON = "no second commander answers the phone at 3 am"


def test_commander_a_requests_commander_b_sees_it_on_the_dashboard_and_approves(
    new_page, chromium, console
):
    first = new_page()
    open_incident(first, "Approval drill", "drill: pending approvals")
    context, second = login_as(chromium, console, "bea", "commander")
    try:
        second.goto("/")
        first.click("#step-guarded [data-action=run]")
        guarded = first.locator("#step-guarded")
        expect(guarded.locator("[data-role=waiting-for-approval]")).to_have_text(
            "Waiting for approval by another commander"
        )
        expect(guarded.locator("[data-action=approve]")).to_have_count(0)
        pending = second.locator("[data-swap=pending-approvals] tr", has_text="drill: pending")
        expect(pending).to_contain_text("Echo once a second commander approves", timeout=15000)
        expect(pending).to_contain_text("oncall")
        pending.get_by_role("link", name="Review and approve").click()
        expect(second.locator("#timeline")).to_contain_text("Asked for approval to run")
        second.click("#step-guarded [data-action=approve]")
        second.click("#step-guarded [data-action=approve-confirm]")
        expect(guarded.locator("[data-role=status]")).to_have_text("succeeded", timeout=15000)
        expect(first.locator("#timeline")).to_contain_text("Approved “Echo once")
        assert first.errors == []
    finally:
        context.close()


def test_a_lone_commander_breaks_glass_with_a_reason_and_it_stands_out(new_page):
    page = new_page()
    open_incident(page, "Approval drill", "drill: break glass")
    page.click("#step-guarded [data-action=run]")
    card = page.locator("#step-guarded")
    card.locator("summary", has_text="Break glass").click()
    card.locator("[data-role=break-glass-reason]").fill("urgent")
    card.locator("[data-action=break-glass]").click()
    expect(card.locator("[data-role=error]")).to_contain_text("at least 10 characters")
    page.errors.clear()  # the refused request's 400, logged by the browser
    card.locator("[data-role=break-glass-reason]").fill(BREAK_GLASS_REASON)
    card.locator("[data-action=break-glass]").click()
    expect(card.locator("[data-role=status]")).to_have_text("succeeded", timeout=15000)
    entry = page.locator("#timeline li.kind-break_glass")
    expect(entry).to_contain_text(f"without a second commander's approval — {BREAK_GLASS_REASON}")
    colour = entry.evaluate("element => getComputedStyle(element).borderLeftColor")
    assert colour == "rgb(180, 35, 24)"
    page.goto(page.url + "timeline/")
    expect(page.locator("tr.kind-break_glass")).to_contain_text(BREAK_GLASS_REASON)
    assert page.errors == []


def test_a_commander_changes_severity_title_commander_and_comms_lead_on_the_page(
    new_page, chromium, console
):
    page = new_page()
    open_incident(page, "Test drill", "drill: edit me")
    for name, role in (("cora", "commander"), ("remy", "responder")):
        context, _ = login_as(chromium, console, name, role)
        context.close()
    page.reload()
    page.click("summary:has-text('Change title, severity')")
    form = page.locator("[data-form=incident-edit]")
    form.locator("input[name=title]").fill("drill: edited")
    form.locator("select[name=severity]").select_option("sev1")
    form.locator("select[name=commander]").select_option("cora")
    form.locator("select[name=comms_lead]").select_option("remy")
    form.locator("button", has_text="Save changes").click()
    expect(page.locator("h1")).to_have_text("drill: edited")
    expect(page.locator(".incident-head .sev")).to_have_text("SEV1")
    expect(page.locator("[data-role=commander]")).to_have_text("cora")
    expect(page.locator("[data-role=comms-lead]")).to_have_text("remy")
    expect(page.locator("#timeline")).to_contain_text(
        "Changed commander oncall → cora; communications lead — → remy; severity sev3 → sev1; "
        "title “drill: edit me” → “drill: edited”"
    )
    assert page.errors == []


def test_a_responder_sees_no_controls_to_change_the_incident(new_page, chromium, console):
    page = new_page()
    open_incident(page, "Test drill", "drill: responder looks")
    context, responder = login_as(chromium, console, "rhea", "responder")
    try:
        responder.goto(page.url)
        expect(responder.locator("[data-form=incident-edit]")).to_have_count(0)
        expect(responder.locator("[data-role=comms-lead]")).to_have_text("—")
    finally:
        context.close()
