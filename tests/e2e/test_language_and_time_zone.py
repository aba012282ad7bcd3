"""A person switches the console to Russian and Moscow time on /preferences/ and sees both:
the top bar in Russian and an event of 22:58 UTC at 01:58, as the team lived it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.servers import manage

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# The incident's timeline is moved to 22:58 UTC on 26 November: 01:58 on the 27th in Moscow.
OPEN_AN_INCIDENT_AT_2258_UTC = """
from datetime import UTC, datetime
from django.contrib.auth import get_user_model
from incident_console.incidents.services import incident_open
user = get_user_model().objects.create_superuser({username!r}, '', {password!r})
incident = incident_open(
    scenario_slug='guide-drill', title='night restore', severity=None, actor=user
)
incident.timeline.update(at=datetime(2026, 11, 26, 22, 58, tzinfo=UTC))
print(incident.pk)
"""


@pytest.fixture
def make_user_with_incident(console):
    """A user of their own (the shared one keeps English) and an incident opened at 22:58 UTC."""

    def make(username: str) -> str:
        code = OPEN_AN_INCIDENT_AT_2258_UTC.format(username=username, password=PASSWORD)
        # The shell prints what it imported first; the pk is the last line.
        pk = manage(console["env"], "shell", "-c", code).split()[-1]
        return f"/incidents/{pk}/"

    return make


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_russian_and_moscow_time_chosen_on_the_preferences_page(new_page, make_user_with_incident):
    incident = make_user_with_incident("moscow-oncall")
    page = new_page(logged_in=False)
    log_in(page, "moscow-oncall")
    page.goto(incident)
    expect(page.locator("#timeline time").first).to_have_text("22:58:00")
    expect(page.locator("#topnav")).to_contain_text("Log out")

    page.click("#topnav a.who")
    page.select_option("select[name=language]", "ru")
    page.select_option("select[name=time_zone]", "Europe/Moscow")
    page.click("form.preferences-form button")
    expect(page.locator(".flash")).to_have_text("Настройки сохранены.")

    page.goto(incident)
    expect(page.locator("#timeline time").first).to_have_text("01:58:00")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("html")).to_have_attribute("data-time-zone", "Europe/Moscow")
    nav = page.locator("#topnav")
    expect(nav.get_by_role("button", name="Выйти")).to_be_visible()
    expect(nav.get_by_role("link", name="Открыть инцидент")).to_be_visible()
    expect(nav).not_to_contain_text("Log out")
    expect(page.locator("[data-role=time-zone-note]")).to_have_text(
        "Время: Europe/Moscow (UTC+03:00)"
    )
    page.goto(incident + "timeline/")
    expect(page.locator("table.timeline-table time").first).to_have_text("2026-11-27 01:58:00")
    assert page.errors == []


def test_on_a_phone_the_language_switch_is_in_the_menu(new_page, make_user_with_incident):
    make_user_with_incident("phone-switcher")
    page = new_page(logged_in=False)
    log_in(page, "phone-switcher")
    page.set_viewport_size(PHONE)
    russian = page.get_by_role("button", name="Русский")
    expect(russian).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(russian).to_be_in_viewport()
    russian.click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # The menu button works once menu.js has run.
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Меню").click()
    expect(page.get_by_role("button", name="English")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.errors == []


def test_the_login_page_switches_language_before_signing_in(new_page):
    page = new_page(logged_in=False)
    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("Log in")
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("h1")).to_have_text("Войти")
    expect(page.get_by_label("Имя пользователя")).to_be_visible()
