"""In a real browser on a 390 px phone: the page's acknowledgement link (a confirm button, then
done) and the on-call page.  A console of its own, Slack and Telegram stand-ins on loopback."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, PASSWORD, ROOT, console_running
from tests.servers import FakeTelegram, manage, start_recorder

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
UNSET = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "EMAIL_HOST")
OPEN_AND_LINK = (
    "from django.contrib.auth import get_user_model as g\n"
    "from incident_console.incidents.services import incident_open\n"
    "from incident_console.oncall.links import ack_url\n"
    "i = incident_open(scenario_slug='test-drill', title='Disk full', severity='sev1',"
    " actor=g().objects.get(username='lead'))\n"
    "print(ack_url(i.page.tokens.get(step=0).nonce, 'telegram'))\n"
)


@pytest.fixture(scope="module")
def console_paging(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    slack_url, slack = start_recorder()
    telegram = FakeTelegram("4242:e2e-bot-token")
    var = tmp_path_factory.mktemp("console-oncall-var")
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(
        VAR_DIR=str(var),
        RUNBOOK_DIRS=str(ROOT / "tests" / "fixtures" / "runbooks"),
        INCIDENT_CONSOLE_SERVER="1",
        SLACK_WEBHOOK_URL=f"{slack_url}/slack",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_CHAT_ID="-100200300",
        TELEGRAM_API_URL=telegram.url,
    )
    with console_running(env, var, superuser="lead", load_site=True) as url:
        env["CONSOLE_URL"] = url
        yield {"url": url, "env": env}
    slack.shutdown()
    telegram.stop()


@pytest.fixture
def phone(chromium, console_paging):
    context = chromium.new_context(viewport=PHONE, base_url=console_paging["url"])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    yield page
    context.close()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_ack_link_shows_a_confirm_button_then_acknowledges_once(phone, console_paging):
    link = manage(console_paging["env"], "shell", "-c", OPEN_AND_LINK).strip().splitlines()[-1]
    phone.goto(link)
    confirm = phone.locator("[data-role=ack-confirm]")
    expect(confirm).to_be_visible()
    assert fits(phone)
    confirm.click()
    expect(phone.locator("[data-role=ack-done]")).to_contain_text("acknowledged by Lead DevOps")
    assert fits(phone)
    assert phone.errors == []
    phone.goto(link)
    expect(phone.locator("[data-role=ack-error]")).to_have_text(
        "This acknowledgement was used already."
    )


def test_the_oncall_page_fits_a_phone(phone):
    phone.goto("/login/")
    phone.fill("input[name=username]", "lead")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    phone.goto("/oncall/")
    level = phone.locator(".oncall-level[data-level='1']")
    expect(level.locator("[data-role=primary]")).not_to_be_empty()
    expect(phone.locator(".override-form button")).to_be_visible()
    assert fits(phone)
    assert phone.errors == []
