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
    celery_worker.kill_and_restart()
    beat = celery_process(
        "beat",
        "--schedule",
        "var/test-beat-schedule",
        log_name="celery-beat-timers.log",
        env=FAST_HEARTBEAT,
    )
    try:
        deadline = time.monotonic() + 20
        while not escalations_for(server, waiting) and time.monotonic() < deadline:
            time.sleep(0.2)
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
    openings = [r for r in server.received if f"#{waiting.pk} opened" in r["body"]]
    assert len(openings) == 1
