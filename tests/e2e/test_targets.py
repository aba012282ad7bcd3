"""The Targets page and the commanders' setup banner, in a real browser."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_banner_leads_a_commander_to_the_targets_page(new_page, screenshot):
    page = new_page()
    banner = page.locator("[data-role=setup-banner]")
    expect(banner).to_contain_text("Setup is not finished")
    expect(banner.locator("a[href='/contacts/']")).to_have_text("Contacts not filled in")
    banner.locator("a[href='/targets/']").first.click()
    page.wait_for_url("**/targets/")
    db = page.locator("#target-prod-db")
    expect(db.locator(".readiness")).to_have_text("not configured")
    expect(db).to_contain_text("set the environment variable IC_E2E_UNSET_DB_PASSWORD")
    expect(page.locator("#target-api-lb .readiness")).to_have_text("unreachable")
    expect(page.locator("#target-local .readiness")).to_have_text("ready")
    screenshot(page, "targets")
    assert page.errors == []


def test_check_again_checks_the_targets_and_shows_the_page_again(new_page):
    page = new_page()
    page.goto("/targets/")
    before = page.inner_text("#target-api-lb td:last-child")
    page.wait_for_timeout(1100)
    page.click("[data-action=check-targets]")
    page.wait_for_load_state()
    expect(page.locator("#target-api-lb td:last-child")).not_to_have_text(before)
    expect(page.locator("#target-api-lb .readiness")).to_have_text("unreachable")
    assert page.errors == []


def test_a_step_card_shows_its_target_host_and_readiness(new_page):
    page = new_page()
    page.goto("/targets/")
    page.goto("/incidents/new/")
    page.click("text=Targets drill")
    page.fill("input[name=title]", "drill: targets")
    page.click("button:has-text('Open incident')")
    page.wait_for_url("**/incidents/*/")
    card = page.locator("#step-check-db")
    expect(card.locator("[data-role=target]")).to_have_text(
        "postgres · prod-db (127.0.0.1/postgres)"
    )
    expect(card.locator(".readiness")).to_have_text("not configured")
    assert page.errors == []
