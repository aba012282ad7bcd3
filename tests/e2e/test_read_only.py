"""A viewer in a real browser: the incident page is read-only, works, and still updates live."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.servers import manage

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def viewer_name(console):
    code = (
        "from django.contrib.auth import get_user_model as g; "
        "from incident_console.accounts.roles import role_assign; "
        "u, _ = g().objects.get_or_create(username='vivian'); "
        f"u.set_password('{PASSWORD}'); u.save(); role_assign(u, 'viewer')"
    )
    manage(console["env"], "shell", "-c", code)
    return "vivian"


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_a_viewer_reads_the_incident_live_with_nothing_to_press(new_page, viewer_name):
    commander = new_page()
    commander.goto("/incidents/new/")
    commander.click("text=Test drill")
    commander.fill("input[name=title]", "viewer watches")
    commander.click("button:has-text('Open incident')")
    commander.wait_for_url(re.compile(r"/incidents/\d+/$"))
    viewer = new_page(logged_in=False)
    log_in(viewer, viewer_name)
    viewer.goto(commander.url)
    expect(viewer.locator("[data-role=read-only]")).to_contain_text("read-only")
    enabled = viewer.locator("main :is(input, select, textarea, button):enabled:visible")
    expect(enabled).to_have_count(0)

    commander.fill("[data-form=note] [name=text]", "the viewer sees this")
    commander.click("[data-form=note] button")
    expect(viewer.locator("#timeline li", has_text="the viewer sees this")).to_have_count(1)
    assert viewer.errors == []
