"""In a real browser: a person completes a maintenance checklist, and a commander edits the
customer notice of a data-loss incident and sends it to a real SMTP server on loopback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.servers import manage, start_console, start_smtp

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "it@customer.example"


def test_a_person_completes_the_security_log_review_checklist(new_page):
    page = new_page()
    page.goto("/maintenance/")
    card = page.locator("#checklist-security_logs")
    expect(card.locator("[data-role=checklist-state]")).to_have_text("due")
    for box in card.locator("input[type=checkbox]").all():
        box.check()
    card.locator("textarea[name=note]").fill("auth.log: two brute-force IPs, already blocked")
    card.locator("button:has-text('Record as done')").click()
    page.wait_for_url(re.compile(r"/maintenance/#checklist-security_logs$"))
    card = page.locator("#checklist-security_logs")
    expect(card.locator("[data-role=checklist-state]")).to_have_text("done")
    expect(card).to_contain_text("by oncall")
    expect(page.locator("table.list").last).to_contain_text(
        "auth.log: two brute-force IPs, already blocked"
    )
    assert page.errors == []


@pytest.fixture(scope="module")
def notice_console(console, tmp_path_factory):
    """A console of the shipped site's runbooks whose mail goes to an SMTP server on loopback
    and whose customer contact has an email."""
    controller, inbox = start_smtp()
    var = tmp_path_factory.mktemp("notice-console-var")
    env = {
        **console["env"],
        "VAR_DIR": str(var),
        "RUNBOOK_DIRS": str(ROOT / "runbooks" / "sites" / "ringo" / "runbooks"),
        "EMAIL_HOST": controller.hostname,
        "EMAIL_PORT": str(controller.port),
    }
    manage(env, "migrate", "--noinput")
    manage(env, "sync_runbooks")
    manage(env, "load_site")
    code = (
        "from django.contrib.auth import get_user_model as g; "
        "from incident_console.incidents.models import Contact; "
        f"g().objects.create_superuser('oncall', '', '{PASSWORD}'); "
        f"Contact.objects.filter(role='Customer').update(email='{CUSTOMER}')"
    )
    manage(env, "shell", "-c", code)
    server, url = start_console(env, var / "server.log")
    yield {"url": url, "inbox": inbox}
    server.terminate()
    server.wait(timeout=10)
    server.log.close()
    controller.stop()


def test_a_commander_edits_the_customer_notice_and_sends_it(chromium, notice_console):
    context = chromium.new_context(base_url=notice_console["url"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login/")
    page.fill("input[name=username]", "oncall")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/incidents/new/")
    page.click("text=Data loss in the database")
    page.fill("input[name=title]", "Orders of 26 November deleted")
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))

    card = page.locator("#step-notify-customer")
    expect(card.locator("[data-role=notice-to]")).to_have_text(CUSTOMER)
    expect(card.locator("[data-role=notice-body]")).to_contain_text(
        "What happened: Orders of 26 November deleted."
    )
    card.locator("[data-role=notice-subject]").fill("Ringo Uchet: orders of 26 November lost")
    body = "Dear customer,\n\nOrders created on 26 November were lost. Next update at 12:00 UTC."
    card.locator("[data-role=notice-body]").fill(body)
    card.locator("[data-action=send-notice]").click()

    page.wait_for_selector("#step-notify-customer.run-succeeded", timeout=15000)
    expect(page.locator("#timeline")).to_contain_text(f"Customer notice sent to {CUSTOMER}")
    sent = [m for m in notice_console["inbox"].messages if m["To"] == CUSTOMER]
    assert len(sent) == 1
    assert sent[0]["Subject"] == "Ringo Uchet: orders of 26 November lost"
    text = sent[0].get_payload(decode=True).decode()
    assert text.replace("\r\n", "\n") == body + "\n"
    assert errors == []
    context.close()
