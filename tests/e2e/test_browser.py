"""What a person at 3 a.m. does, in a real browser against a real console process."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def open_incident(page, scenario_title: str, title: str) -> None:
    page.goto("/incidents/new/")
    page.click(f"text={scenario_title}")
    page.fill("input[name=title]", title)
    page.click("button:has-text('Open incident')")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))


def output_text(page, step_id: str) -> str:
    return page.inner_text(f"#step-{step_id} [data-role=output]")


def test_a_person_logs_in_opens_an_incident_and_watches_output_stream_in(new_page, screenshot):
    page = new_page()
    screenshot(page, "dashboard")
    open_incident(page, "Test drill", "drill: live output")
    page.fill("#step-slow input[name=lines]", "30")
    page.click("#step-slow [data-action=run]")
    expect(page.locator("#step-slow [data-role=output]")).to_contain_text("tick 3\n")
    assert "tick 30" not in output_text(page, "slow"), "lines must arrive while the step runs"
    assert page.is_visible("#step-slow [data-action=cancel]")
    page.wait_for_selector("#step-slow.run-succeeded", timeout=15000)
    assert output_text(page, "slow") == "".join(f"tick {i}\n" for i in range(1, 31))
    assert page.inner_text("#step-slow [data-role=status]") == "succeeded"
    assert page.errors == []


def test_a_manual_step_is_marked_done_with_a_note(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: manual")
    page.fill("#step-call-lead input[name=note]", "Lead is on the way")
    page.click("#step-call-lead [data-action=done]")
    page.wait_for_selector("#step-call-lead.run-succeeded")
    expect(page.locator("#step-call-lead [data-role=output]")).to_contain_text("Lead is on the way")


def test_a_bad_parameter_shows_the_reason_and_runs_nothing(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: bad input")
    page.fill("#step-count input[name=lines]", "0")
    page.click("#step-count [data-action=run]")
    page.wait_for_selector("#step-count [data-role=error]:not([hidden])")
    assert "lines must be at least 1" in page.inner_text("#step-count [data-role=error]")
    assert page.inner_text("#step-count [data-role=status]") == "not run"


def test_reloading_in_the_middle_of_a_stream_shows_the_whole_output_exactly_once(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: reload")
    page.fill("#step-slow input[name=lines]", "40")
    page.click("#step-slow [data-action=run]")
    expect(page.locator("#step-slow [data-role=output]")).to_contain_text("tick 10\n")
    page.reload()
    page.wait_for_selector("#step-slow.run-succeeded", timeout=15000)
    assert output_text(page, "slow") == "".join(f"tick {i}\n" for i in range(1, 41))


def test_a_second_browser_on_the_same_incident_sees_the_same_live_output(new_page, screenshot):
    first = new_page()
    open_incident(first, "Test drill", "drill: two browsers")
    second = new_page()
    second.goto(first.url)
    first.fill("#step-slow input[name=lines]", "30")
    first.click("#step-slow [data-action=run]")
    expect(second.locator("#step-slow [data-role=output]")).to_contain_text(
        "tick 5\n", timeout=10000
    )
    for page in (first, second):
        page.wait_for_selector("#step-slow.run-succeeded", timeout=15000)
        assert output_text(page, "slow") == "".join(f"tick {i}\n" for i in range(1, 31))
    first.goto(first.url + "timeline/")
    first.click("details.run-output summary")
    expect(first.locator("details.run-output pre")).not_to_contain_text("loading")
    screenshot(first, "timeline")
    assert "tick 30" in first.inner_text("details.run-output pre")


def test_anonymous_visitors_are_sent_to_the_login_page(new_page):
    page = new_page(logged_in=False)
    page.goto("/")
    assert "/login/" in page.url


def test_the_disk_full_scenario_checks_the_production_host_not_the_console(new_page, screenshot):
    page = new_page()
    open_incident(page, "Disk full", "db1: disk at 97%")
    card = page.locator("#step-check-disk-usage")
    expect(card.locator("[data-role=target]")).to_have_text("ssh · prod-host (127.0.0.1:1)")
    page.click("#step-check-disk-usage [data-action=run]")
    page.wait_for_selector("#step-check-disk-usage.cause-console_not_configured", timeout=15000)
    status = card.locator("[data-role=status]")
    expect(status).to_contain_text("console not configured: ")
    expect(status).to_contain_text("/nonexistent/ic-e2e/ssh_key")
    expect(status.locator("a")).to_have_attribute("href", "/targets/#target-prod-host")
    screenshot(page, "incident")


def test_the_timeline_beside_the_steps_follows_what_happens(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: timeline")
    page.click("#step-count [data-action=run]")
    page.wait_for_selector("#step-count.run-succeeded")
    expect(page.locator("#timeline")).to_contain_text(
        "“Print numbered lines” succeeded", timeout=10000
    )


def test_a_destructive_step_runs_only_after_its_target_is_typed(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: destructive")
    page.fill("#step-wipe input[name=dir]", "/srv/old-releases")
    page.click("#step-wipe [data-action=run]")
    confirm = page.locator("#step-wipe [data-role=confirm]")
    expect(confirm).to_be_visible()
    expect(confirm.locator("[data-role=confirm-command]")).to_have_text(
        "echo wiping /srv/old-releases"
    )
    expect(confirm.locator("[data-role=confirm-target]")).to_have_text("local")
    run_button = confirm.locator("[data-action=confirm-run]")
    expect(run_button).to_be_disabled()
    confirm.locator("[data-role=confirm-input]").fill("loca")
    expect(run_button).to_be_disabled()
    assert page.inner_text("#step-wipe [data-role=status]") == "not run"
    confirm.locator("[data-role=confirm-input]").fill("local")
    run_button.click()
    page.wait_for_selector("#step-wipe.run-succeeded")
    expect(page.locator("#step-wipe [data-role=output]")).to_have_text("wiping /srv/old-releases\n")
    assert page.errors == []


def test_changing_a_field_after_the_preview_closes_the_confirmation(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: changed after preview")
    page.fill("#step-wipe input[name=dir]", "/srv/keep")
    page.click("#step-wipe [data-action=run]")
    confirm = page.locator("#step-wipe [data-role=confirm]")
    expect(confirm.locator("[data-role=confirm-command]")).to_have_text("echo wiping /srv/keep")
    page.fill("#step-wipe input[name=dir]", "/srv/everything")
    expect(confirm).to_be_hidden()
    page.click("#step-wipe [data-action=run]")
    expect(confirm.locator("[data-role=confirm-command]")).to_have_text(
        "echo wiping /srv/everything"
    )
    confirm.locator("[data-role=confirm-input]").fill("local")
    confirm.locator("[data-action=confirm-run]").click()
    page.wait_for_selector("#step-wipe.run-succeeded")
    expect(page.locator("#step-wipe [data-role=output]")).to_have_text("wiping /srv/everything\n")
    assert page.errors == []


def test_the_commander_resolves_then_reads_the_timeline_and_the_postmortem(new_page, screenshot):
    page = new_page()
    open_incident(page, "Test drill", "drill: full lifecycle")
    page.fill("[data-form=note] input[name=text]", "TODO: add a disk alert at 80%")
    page.click("[data-form=note] button")
    expect(page.locator("#timeline")).to_contain_text("TODO: add a disk alert at 80%")
    page.click("[data-transition=acknowledged]")
    expect(page.locator("#incident-status")).to_have_text("acknowledged")
    page.click("#step-count [data-action=run]")
    page.wait_for_selector("#step-count.run-succeeded")
    page.click("[data-transition=resolved]")
    expect(page.locator("#incident-status")).to_have_text("resolved")
    expect(page.locator("#rto-clock")).to_contain_text("met")
    screenshot(page, "incident-resolved")
    page.click("text=Full timeline")
    expect(page.locator("table.timeline-table")).to_contain_text("acknowledged → resolved")
    screenshot(page, "timeline")
    incident_url = page.url.replace("timeline/", "")
    postmortem = page.request.get(
        incident_url.replace("/incidents/", "/api/incidents/") + "postmortem/"
    )
    assert postmortem.ok
    text = postmortem.text()
    assert "## Timeline" in text and "- [ ] TODO: add a disk alert at 80% (from a note)" in text
    assert "| Print numbered lines | local | oncall | succeeded |" in text
    assert page.errors == []


def test_the_review_sla_and_maintenance_pages_render(new_page, screenshot):
    page = new_page()
    page.goto("/incidents/")
    expect(page.locator("h1")).to_have_text("Past incidents")
    screenshot(page, "review")
    page.goto("/sla/")
    expect(page.locator("h1")).to_have_text("RTO, RPO and MTTR")
    screenshot(page, "sla")
    page.goto("/maintenance/")
    expect(page.locator("h1")).to_have_text("Scheduled maintenance")
    assert page.errors == []


def test_a_huge_output_keeps_the_page_bounded_and_earlier_lines_load_on_demand(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: huge output")
    page.fill("#step-count input[name=lines]", "60000")
    page.click("#step-count [data-action=run]")
    page.wait_for_selector("#step-count.run-succeeded", timeout=30000)
    output = page.locator("#step-count [data-role=output]")
    expect(output).to_contain_text("line 60000\n", timeout=30000)
    shown = page.evaluate(
        "document.querySelector('#step-count [data-role=output]').textContent.split('\\n').length"
    )
    assert shown < 20000, "the DOM keeps a bounded number of lines"
    notice = page.locator("#step-count [data-action=load-earlier]")
    expect(notice).to_contain_text("earlier lines not shown")
    spans = page.locator("#step-count [data-role=output] span")
    before = spans.count()
    notice.click()
    expect(spans.nth(before)).to_be_attached()
    expect(output).to_contain_text("line 1\n")
    assert page.errors == []


def marked(page):
    """Mark the page's window: the mark survives anything but a reload."""
    page.evaluate("window.__notReloaded = true")


def still_marked(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def test_a_run_started_in_one_browser_shows_its_status_and_output_in_another(new_page):
    first = new_page()
    open_incident(first, "Test drill", "drill: run seen elsewhere")
    second = new_page()
    second.goto(first.url)
    marked(second)
    first.fill("#step-slow input[name=lines]", "30")
    first.click("#step-slow [data-action=run]")
    expect(second.locator("#step-slow [data-role=status]")).to_have_text("running", timeout=10000)
    expect(second.locator("#step-slow [data-action=cancel]")).to_be_enabled()
    expect(second.locator("#step-slow [data-role=output]")).to_contain_text("tick 3\n")
    expect(second.locator("#step-slow [data-role=status]")).to_have_text("succeeded", timeout=15000)
    expect(second.locator("#step-slow [data-role=run-meta]")).to_contain_text("$ ")
    assert still_marked(second)
    assert second.errors == []


def test_a_note_added_in_one_browser_appears_in_the_others_timeline(new_page):
    first = new_page()
    open_incident(first, "Test drill", "drill: note seen elsewhere")
    second = new_page()
    second.goto(first.url)
    marked(first)
    marked(second)
    first.fill("[data-form=note] input[name=text]", "db1 is back at 40%")
    first.click("[data-form=note] button")
    # The drill's escalation may land above the note, so look for the note, not the top line.
    expect(second.locator("#timeline li", has_text="db1 is back at 40%")).to_have_count(1)
    expect(first.locator("#timeline li", has_text="db1 is back at 40%")).to_have_count(1)
    assert still_marked(second) and still_marked(first)


def test_what_a_person_typed_survives_another_steps_run_and_a_note(new_page):
    page = new_page()
    open_incident(page, "Test drill", "drill: typed text stays")
    marked(page)
    page.fill("#step-slow input[name=lines]", "77")
    page.fill("#step-call-lead input[name=note]", "half written")
    page.click("#step-count [data-action=run]")
    page.wait_for_selector("#step-count.run-succeeded")
    page.fill("[data-form=note] input[name=text]", "count ran")
    page.click("[data-form=note] button")
    expect(page.locator("#timeline li", has_text="count ran")).to_have_count(1)
    page.click("[data-transition=acknowledged]")
    expect(page.locator("#incident-status")).to_have_text("acknowledged")
    expect(page.locator("#step-slow input[name=lines]")).to_have_value("77")
    expect(page.locator("#step-call-lead input[name=note]")).to_have_value("half written")
    expect(page.locator("[data-form=note] input[name=text]")).to_have_value("")
    assert still_marked(page)
    assert page.errors == []


def login_as(chromium, console, username: str, role: str):
    """A browser context signed in as a new user of ``role``."""
    from tests.e2e.conftest import PASSWORD, manage

    code = (
        "from django.contrib.auth import get_user_model as g; "
        "from incident_console.accounts.roles import role_assign; "
        f"u = g().objects.create_user({username!r}, '', {PASSWORD!r}); "
        f"role_assign(u, {role!r})"
    )
    manage(console["env"], "shell", "-c", code)
    context = chromium.new_context(
        viewport={"width": 1400, "height": 1000}, base_url=console["url"]
    )
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    return context, page


def test_a_viewers_page_shows_run_and_approve_disabled(new_page, chromium, console):
    commander = new_page()
    open_incident(commander, "Approval drill", "drill: viewer looks on")
    commander.click("#step-guarded [data-action=run]")
    expect(commander.locator("#step-guarded [data-role=status]")).to_have_text("awaiting_approval")
    expect(commander.locator("#step-guarded [data-action=approve]")).to_have_count(0)
    expect(commander.locator("#step-guarded")).to_contain_text(
        "Waiting for approval by another commander"
    )
    context, viewer = login_as(chromium, console, "vera", "viewer")
    try:
        viewer.goto(commander.url)
        expect(viewer.locator("#step-guarded [data-action=approve]")).to_be_disabled()
        expect(viewer.locator("#step-guarded [data-action=run]")).to_be_disabled()
        open_incident(commander, "Test drill", "drill: viewer and a fresh step")
        viewer.goto(commander.url)
        expect(viewer.locator("#step-count [data-action=run]")).to_be_disabled()
        expect(viewer.locator("#step-call-lead [data-action=done]")).to_be_disabled()
        expect(viewer.locator("[data-transition=acknowledged]")).to_be_disabled()
    finally:
        context.close()


def test_a_second_commander_approves_from_the_page_and_the_first_sees_it_run(
    new_page, chromium, console
):
    first = new_page()
    open_incident(first, "Approval drill", "drill: approval across browsers")
    context, second = login_as(chromium, console, "cleo", "commander")
    try:
        second.goto(first.url)
        first.click("#step-guarded [data-action=run]")
        approve = second.locator("#step-guarded [data-action=approve]")
        expect(approve).to_be_enabled(timeout=10000)
        approve.click()
        second.click("#step-guarded [data-action=approve-confirm]")
        expect(first.locator("#step-guarded [data-role=status]")).to_have_text(
            "succeeded", timeout=15000
        )
        expect(first.locator("#step-guarded [data-role=output]")).to_have_text("approved and ran\n")
    finally:
        context.close()


# The incident socket cannot connect (as behind a proxy without websockets); run sockets can.
BREAK_INCIDENT_SOCKET = """
(() => {
  const Real = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    if (!String(url).includes("/ws/incidents/")) { return new Real(url, protocols); }
    const dead = {close() {}};
    setTimeout(() => dead.onclose && dead.onclose({code: 1006}), 50);
    return dead;
  };
})();
"""


def test_without_the_incident_socket_the_page_still_follows_by_polling(new_page):
    first = new_page()
    open_incident(first, "Test drill", "drill: no incident socket")
    second = new_page()
    second.add_init_script(BREAK_INCIDENT_SOCKET)
    second.goto(first.url)
    marked(second)
    first.fill("[data-form=note] input[name=text]", "seen by polling")
    first.click("[data-form=note] button")
    first.click("#step-count [data-action=run]")
    expect(second.locator("#timeline")).to_contain_text("seen by polling", timeout=15000)
    expect(second.locator("#timeline")).to_contain_text("“Print numbered lines”")
    expect(second.locator("#step-count [data-role=status]")).to_have_text(
        "succeeded", timeout=15000
    )
    expect(second.locator("#step-count [data-role=output]")).to_contain_text("line 3\n")
    assert still_marked(second)


def test_the_review_finds_a_russian_title_whatever_its_case(new_page):
    page = new_page()
    open_incident(page, "Disk full", "Очередь заявок стоит")
    for words in ("очередь", "ОЧЕРЕДЬ", "заявок СТОИТ"):
        page.goto("/incidents/")
        page.fill("input[name=q]", words)
        page.press("input[name=q]", "Enter")
        page.wait_for_url(re.compile(r"[?&]q="))
        expect(page.locator("table.list").first).to_contain_text("Очередь заявок стоит")
    page.fill("input[name=q]", "очереди нет")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=%D0%BE%D1%87%D0%B5%D1%80%D0%B5%D0%B4%D0%B8"))
    expect(page.locator("main")).not_to_contain_text("Очередь заявок стоит")
