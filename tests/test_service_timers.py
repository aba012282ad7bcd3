"""Escalation timers with a real Celery worker and beat on short test timings: they fire exactly
once, survive a worker restart, and stop when the incident is acknowledged."""

import json
import time

import pytest

from incident_console.incidents.services import incident_open, incident_transition
from incident_console.notifications.models import EscalationTimer
from tests.conftest import FAST_HEARTBEAT, celery_process, stop_process

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def escalations_for(server, incident) -> list[dict]:
    texts = [json.loads(r["body"])["text"] for r in server.received if r["path"] == "/slack"]
    return [t for t in texts if f"#{incident.pk} " in t and "escalated to" in t]


def openings(server, incident) -> list[dict]:
    return [r for r in server.received if f"#{incident.pk} opened" in r["body"]]


def wait_until(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_a_timer_fires_once_across_a_worker_restart_and_stops_on_acknowledge(
    celery_worker, slack_recorder, scenarios, user, settings
):
    url, server = slack_recorder
    settings.SLACK_WEBHOOK_URL = f"{url}/slack"
    waiting = incident_open(
        scenario_slug="test-drill", title="nobody answers", severity=None, actor=user
    )
    answered = incident_open(
        scenario_slug="test-drill", title="answered", severity=None, actor=user
    )
    incident_transition(incident=answered, to="acknowledged", actor=user)
    # Let the opening announcements go out first: a worker killed in the middle of a send
    # may send it again later (at least once, by design); this test is about the timers.
    wait_until(lambda: len(openings(server, waiting)) == 1 and len(openings(server, answered)) == 1)
    celery_worker.kill_and_restart()
    beat = celery_process(
        "beat",
        "--schedule",
        "var/test-beat-schedule",
        log_name="celery-beat-timers.log",
        env=FAST_HEARTBEAT,
    )
    try:
        wait_until(lambda: escalations_for(server, waiting), timeout=30)
        time.sleep(3)  # several more ticks: nothing may fire a second time
    finally:
        stop_process(beat)
    assert len(escalations_for(server, waiting)) == 1
    assert "Lead DevOps" in escalations_for(server, waiting)[0]
    assert escalations_for(server, answered) == []
    assert EscalationTimer.objects.get(incident=waiting).status == "fired"
    assert EscalationTimer.objects.get(incident=answered).status == "stopped"
    assert waiting.timeline.filter(kind="escalated").count() == 1
    sent = waiting.timeline.filter(kind="notification", message__startswith="Sent to slack")
    assert sent.count() == 2, "the opening announcement and the escalation, once each"
    assert len(openings(server, waiting)) == 1
