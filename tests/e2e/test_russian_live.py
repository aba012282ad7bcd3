"""A Russian browser follows an incident live: what the scripts write is Russian, and a time
they add is written like the server's, in the page's time zone, not the browser's."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

# Three zones hours apart: a time written in the wrong one cannot pass for the right one.
BROWSER_ZONE = "Asia/Vladivostok"
PAGE_ZONE = "Europe/Moscow"  # the person's zone, named by the page; the server itself uses UTC

# The run sockets cannot connect (as behind a proxy without websockets); the rest can.
BREAK_RUN_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    if (!String(url).includes("/ws/runs/")) { return new Real(url, protocols); }
    const dead = {close() {}};
    setTimeout(() => dead.onclose && dead.onclose({code: 1006}), 50);
    return dead;
  };
})();
"""


@pytest.fixture
def russian_page(chromium, console_url):
    """A page in a browser that asks for Russian, signed in; no selector depends on wording."""
    context = chromium.new_context(
        viewport={"width": 1400, "height": 1000},
        base_url=console_url,
        locale="ru-RU",
        timezone_id=BROWSER_ZONE,
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto("/login/")
    page.fill("input[name=username]", "oncall")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    yield page
    context.close()


def page_names_the_time_zone(page, zone: str) -> None:
    """Incident pages name the person's time zone on <html data-time-zone>: here, ``zone``."""

    def name_zone(route):
        response = route.fetch()
        html = re.sub(r' data-time-zone="[^"]*"', "", response.text(), count=1)
        html = html.replace("<html ", f'<html data-time-zone="{zone}" ', 1)
        route.fulfill(response=response, body=html)

    page.route(re.compile(r"/incidents/\d+/$"), name_zone)


def open_test_drill(page, title: str) -> None:
    page.goto("/incidents/new/")
    page.check("input[name=scenario][value=test-drill]", force=True)
    page.fill("input[name=title]", title)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))


def russian_plural(count: int, one: str, few: str, many: str) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return one
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return few
    return many


def test_a_russian_browser_reads_how_many_earlier_lines_are_hidden_in_russian(russian_page):
    page = russian_page
    open_test_drill(page, "учения: счётчик строк")
    # Past 64 KiB a run's output is several chunks, so the page has whole chunks to hide.
    page.fill("#step-count input[name=lines]", "60000")
    page.click("#step-count [data-action=run]")
    page.wait_for_selector("#step-count.run-succeeded", timeout=30000)
    expect(page.locator("#step-count [data-role=output]")).to_contain_text(
        "line 60000\n", timeout=30000
    )
    counter = page.locator("#step-count [data-action=load-earlier]")
    expect(counter).to_contain_text("не показан")
    hidden = int(re.match(r"… (\d+) ", counter.inner_text()).group(1))
    form = russian_plural(
        hidden,
        "более ранняя строка не показана",
        "более ранние строки не показаны",
        "более ранних строк не показано",
    )
    assert counter.inner_text().strip() == f"… {hidden} {form}: загрузить"
    expect(page.locator("#timeline li").first.locator(".actor")).to_have_text("консоль")
    assert page.errors == []


def test_a_russian_browser_reads_the_rto_clock_in_russian(russian_page):
    page = russian_page
    page.clock.install()
    open_test_drill(page, "учения: часы RTO")
    rto = page.locator("#rto-clock [data-role=rto-text]")
    expect(rto).to_have_text(re.compile(r"^осталось [34] ч \d\d мин$"))
    page.clock.fast_forward("05:00:00")
    expect(rto).to_have_text(re.compile(r"^нарушен 1 ч 0\d мин назад$"))
    assert page.errors == []


def test_a_russian_browser_is_told_in_russian_that_live_output_is_paused(russian_page):
    page = russian_page
    page.add_init_script(BREAK_RUN_SOCKETS)
    open_test_drill(page, "учения: нет сокета запуска")
    page.fill("#step-slow input[name=lines]", "50")
    page.click("#step-slow [data-action=run]")
    expect(page.locator("#step-slow [data-role=live-paused]")).to_have_text(
        "Обновления в реальном времени приостановлены — переподключаемся. "
        "Вывод по-прежнему сохраняется."
    )


def test_a_timeline_entry_added_live_shows_its_time_in_the_pages_zone_like_the_server(
    russian_page,
):
    page = russian_page
    page_names_the_time_zone(page, PAGE_ZONE)
    open_test_drill(page, "учения: время в ленте")
    page.reload()  # the page opening redirected to is not routed; its reload is
    expect(page.locator("html")).to_have_attribute("data-time-zone", PAGE_ZONE)
    opened = page.locator("#timeline li").last.inner_text()
    page.fill("[data-form=note] input[name=text]", "db1 снова отвечает")
    page.click("[data-form=note] button")
    live = page.locator("#timeline li", has_text="db1 снова отвечает")
    expect(live).to_have_count(1)
    at = datetime.fromisoformat(live.locator("time").get_attribute("datetime"))
    moscow = at.astimezone(ZoneInfo(PAGE_ZONE)).strftime("%H:%M:%S")
    assert live.inner_text() == f"{moscow} oncall db1 снова отвечает"
    assert re.match(r"^\d\d:\d\d:\d\d oncall ", opened), "the server's entries look the same"
    assert page.errors == []


def test_a_russian_browser_is_asked_in_russian_before_a_long_run_is_cancelled(russian_page):
    page = russian_page
    page.clock.install()
    open_test_drill(page, "учения: отмена")
    dialogs = []

    def answer_no(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer_no)
    page.fill("#step-slow input[name=lines]", "600")
    page.click("#step-slow [data-action=run]")
    expect(page.locator("#step-slow [data-role=output]")).to_contain_text("tick 2\n")
    page.clock.fast_forward("01:10")
    page.click("#step-slow [data-action=cancel]")
    for _ in range(50):
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert len(dialogs) == 1
    assert re.fullmatch(
        r"Запуск идёт уже 1 мин \d+ с\. Всё равно отменить\? "
        r"Уже сделанное останется сделанным\.",
        dialogs[0],
    ), dialogs[0]


def test_a_russian_browser_is_told_in_russian_that_nobody_can_be_escalated_to_yet(russian_page):
    page = russian_page  # the e2e console has no contacts and no escalation levels
    open_test_drill(page, "учения: эскалировать некому")
    expect(page.locator("[data-role=escalate-preview]")).to_have_text(
        "Уровней эскалации и контактов пока нет: см. страницу контактов."
    )
    assert page.errors == []
