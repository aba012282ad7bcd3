"""Drill: the whole paging loop through real processes (uvicorn, `celery worker`, `celery beat`
with its schedule in the database) against a fake Telegram Bot API on loopback.

An unanswered page goes to the secondary once the acknowledgement window runs out; a button
press read by the beat tick stops it for good; and a worker and beat killed while a page waits
lose nothing and page nobody twice once they are back: the escalation is a row, not a timer in
a process.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incident_console.incidents.models import Contact, Incident
from incident_console.notifications.models import Notification
from incident_console.oncall.models import Page
from incident_console.site import site_load
from tests.conftest import stop_process
from tests.drills.conftest import api
from tests.oncall.sites import BOT_TOKEN, rotating_site

pytestmark = [pytest.mark.service, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

ACK_SECONDS = 6  # a sev1 page's acknowledgement window in this drill
PRIMARY = "paging Lead DevOps (Ivan) — primary, L1"
SECONDARY = "paging Backup DevOps (Petr) — secondary, L1"


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


@pytest.fixture
def paging_site(tmp_path):
    """The shipped site, Lead DevOps primary this week, a sev1 page answered within 6 s."""
    return rotating_site(tmp_path, f"{{sev1: {ACK_SECONDS / 60}}}")


@pytest.fixture
def console(private_redis, console_on, paging_site, telegram, scenarios):
    """Web, worker and beat on a private Redis; Telegram the only channel, ticking every second."""
    site_load()  # an earlier transactional test flushed the contacts the session loaded
    people = {"Lead DevOps": ("Ivan", "ivan_ops"), "Backup DevOps": ("Petr", "petr_ops")}
    for role, (name, handle) in people.items():
        Contact.objects.filter(role=role).update(name=name, telegram=handle, email="", slack="")
    processes = console_on(private_redis.url())
    base_env = processes.env
    paging = {
        "SITE": str(paging_site),
        "TICK_INTERVAL": "1",
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_CHAT_ID": "-100200300",
        "TELEGRAM_API_URL": telegram.url,
        "TELEGRAM_POLL": "beat",
        "SLACK_WEBHOOK_URL": "",
        "EMAIL_HOST": "",
        "ONCALL_EMAIL": "",
        "CONSOLE_URL": "http://console.test",
    }
    processes.env = lambda: {**base_env(), **paging}
    return processes


def pages(telegram) -> list[dict]:
    """The page messages (each with an acknowledgement button) Telegram received, in order."""
    return [m for m in telegram.messages if "reply_markup" in m]


def pages_to(telegram, who: str) -> list[dict]:
    return [m for m in pages(telegram) if who in m["text"]]


def open_sev1(web: str, user) -> Incident:
    token = Token.objects.create(user=user).key
    status, body = api(
        web, token, "/api/incidents/", {"scenario": "test-drill", "severity": "sev1"}
    )
    assert status == 201, body
    return Incident.objects.get(pk=body["id"])


def page_sent_at(incident: Incident, step: int):
    """When the page of ``step`` was queued (one row per channel: Telegram alone here)."""
    [row] = Notification.objects.filter(incident=incident, reason=f"page:{step}")
    return row.created_at


def test_an_unanswered_page_reaches_the_secondary_and_a_telegram_button_stops_it(
    console, telegram, user
):
    console.worker()
    console.beat()
    web = console.web()

    incident = open_sev1(web, user)
    [first] = wait_until(lambda: pages(telegram), 30, "the page to the primary")
    assert PRIMARY in first["text"] and "@ivan_ops" in first["text"]
    assert first["chat_id"] == "-100200300"
    button = first["reply_markup"]["inline_keyboard"][0][0]
    assert button["callback_data"].startswith("ack:")

    [second] = wait_until(lambda: pages_to(telegram, SECONDARY), 60, "the page to the secondary")
    waited = page_sent_at(incident, 1) - page_sent_at(incident, 0)
    assert waited >= timedelta(seconds=ACK_SECONDS), f"paged the secondary after {waited}"
    assert [m["text"] for m in pages(telegram)] == [first["text"], second["text"]]

    telegram.press(second, username="petr_ops", first_name="Petr")
    wait_until(lambda: telegram.answers, 15, "the beat tick to answer the button press")
    [answer] = telegram.answers
    assert answer["text"] == f"Acknowledged: #{incident.pk}"
    page = Page.objects.get(incident=incident)
    assert page.status == "acknowledged"
    assert page.acknowledged_via == "telegram"
    assert page.acknowledged_by == "Petr (@petr_ops)"
    assert Incident.objects.get(pk=incident.pk).status == "acknowledged"
    assert len(page.chain) > 2, "level 2 would have been paged next"

    sent = len(telegram.messages)
    time.sleep(2 * ACK_SECONDS)
    assert len(telegram.messages) == sent, "something was sent after the acknowledgement"
    assert Page.objects.get(pk=page.pk).step == 1
    assert all(poll["timeout"] == 0 for poll in telegram.polls), "the tick does not wait"


def test_a_page_waiting_through_a_worker_and_beat_crash_reaches_the_secondary_once(
    console, telegram, user
):
    worker = console.worker("before")
    beat = console.beat("beat-before")
    web = console.web()

    incident = open_sev1(web, user)
    wait_until(lambda: pages_to(telegram, PRIMARY), 30, "the page to the primary")
    stop_process(beat, sig=signal.SIGKILL)
    stop_process(worker, sig=signal.SIGKILL)
    page = Page.objects.get(incident=incident)
    assert page.status == "paging" and page.step == 0
    assert timezone.now() < page.due_at, "too slow: the window ran out before the crash"

    time.sleep(max(0.0, (page.due_at - timezone.now()).total_seconds()) + 2)
    assert pages_to(telegram, SECONDARY) == [], "paged with no worker or beat running"

    console.worker("after")
    console.beat("beat-after")
    [second] = wait_until(lambda: pages_to(telegram, SECONDARY), 60, "the page to the secondary")
    telegram.press(second, username="petr_ops", first_name="Petr")
    wait_until(
        lambda: Page.objects.get(pk=page.pk).status == "acknowledged", 15, "the acknowledgement"
    )
    time.sleep(2 * ACK_SECONDS)

    assert len(pages_to(telegram, PRIMARY)) == 1
    assert len(pages_to(telegram, SECONDARY)) == 1
    assert Notification.objects.filter(incident=incident, reason="page:1").count() == 1
    paging = incident.timeline.filter(kind="escalated", data__has_key="page")
    said = list(paging.values_list("message", flat=True))
    assert said == [
        "Paged Lead DevOps (Ivan) — primary, L1",
        f"No acknowledgement in {ACK_SECONDS / 60:g} min: "
        "paged Backup DevOps (Petr) — secondary, L1",
        "Page acknowledged by Petr (@petr_ops) through the Telegram button",
    ]
