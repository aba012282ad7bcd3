"""In a real browser: the contacts page, the escalation preview, and a notification that was not
delivered (a Slack stand-in on loopback answering 500) shown loudly and retried."""

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, PASSWORD, ROOT, console_running
from tests.servers import start_recorder

pytestmark = pytest.mark.e2e

UNSET = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TELEGRAM_BOT_TOKEN", "EMAIL_HOST")


@pytest.fixture(scope="module")
def slack():
    url, server = start_recorder()
    yield url, server
    server.shutdown()


@pytest.fixture(scope="module")
def console_with_slack(slack, tmp_path_factory):
    """A console of its own: the site's contacts loaded, Slack posting to the stand-in, and a
    failed send given up after one attempt so the test need not wait for backoff."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    var = tmp_path_factory.mktemp("console-contacts-var")
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(
        VAR_DIR=str(var),
        RUNBOOK_DIRS=str(ROOT / "tests" / "fixtures" / "runbooks"),
        INCIDENT_CONSOLE_SERVER="1",
        SLACK_WEBHOOK_URL=f"{slack[0]}/slack",
        NOTIFY_MAX_ATTEMPTS="1",
    )
    with console_running(env, var, superuser="lead", load_site=True) as url:
        yield url


@pytest.fixture
def page(chromium, console_with_slack):
    context = chromium.new_context(
        viewport={"width": 1400, "height": 1000}, base_url=console_with_slack
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.goto("/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    yield page
    context.close()


def wait_until(predicate, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_a_commander_fills_in_a_contact_from_the_contacts_page(page):
    page.click("nav >> text=Contacts")
    page.wait_for_url("**/contacts/")
    row = page.locator("tr[data-contact='Lead DevOps']")
    expect(row).to_contain_text(re.compile("not filled in", re.IGNORECASE))
    expect(page.locator("[data-level='1']")).to_contain_text("Lead DevOps")
    row.locator("text=Edit").click()
    page.fill("input[name=name]", "Ivan Petrov")
    page.fill("input[name=phone]", "call me maybe")
    page.click("button:has-text('Save')")
    expect(page.locator("[data-field=phone]")).to_contain_text("Enter a phone number")
    expect(page.locator(".flash.error")).to_contain_text("Nothing was saved")
    page.errors.clear()  # the browser logs the refused form's 400 answer as an error
    page.fill("input[name=phone]", "+7 900 123-45-67")
    page.fill("input[name=email]", "ivan@example.com")
    page.fill("input[name=telegram]", "@ivan_ops")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/contacts/")
    expect(page.locator(".flash")).to_contain_text("Lead DevOps: saved")
    expect(row.locator("a[href='tel:+7900123-45-67']")).to_have_text("+7 900 123-45-67")
    expect(row).not_to_contain_text(re.compile("not filled in", re.IGNORECASE))
    expect(page.locator("[data-level='1']")).to_contain_text("Lead DevOps: Ivan Petrov")
    assert page.errors == []


def test_an_undelivered_escalation_is_loud_and_a_retry_delivers_it(page, slack):
    _, server = slack
    page.goto("/incidents/new/")
    page.click("text=Approval drill")
    page.fill("input[name=title]", "drill: slack is down")
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    wait_until(lambda: any("drill: slack is down" in r["body"] for r in server.received))

    preview = page.locator("[data-role=escalate-preview]")
    page.select_option("form[data-form=escalate] select[name=notify]", "Tech Lead")
    expect(preview).to_contain_text("slack: #")
    expect(preview).to_contain_text("telegram: will not be sent: TELEGRAM_BOT_TOKEN")
    expect(preview.locator("[data-contact='Tech Lead']")).to_contain_text("not filled in")

    server.fail_next = [500]
    page.fill("form[data-form=escalate] input[name=message]", "Restore failed")
    page.click("form[data-form=escalate] button:has-text('Escalate')")
    banner = page.locator("[data-role=undelivered]")
    expect(banner).to_contain_text("1 notification not delivered")
    expect(banner).to_contain_text("HTTP 500")
    red = page.locator("#timeline .kind-not_sent")
    expect(red).to_contain_text("not sent to slack")
    assert red.evaluate("e => getComputedStyle(e).color") == "rgb(198, 40, 40)"

    page.click("[data-action=retry-notifications]")
    expect(page.locator(".flash")).to_contain_text("Retrying 1 notification(s)")
    expect(page.locator("#timeline")).to_contain_text("Sent to slack")
    expect(banner).to_have_count(0)
    escalations = [r for r in server.received if "Restore failed" in r["body"]]
    assert len(escalations) == 2, "the failed post, then the retried one"
    page.goto("/")
    expect(page.locator("[data-role=undelivered]")).to_have_count(0)
    assert page.errors == []
