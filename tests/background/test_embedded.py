"""Embedded mode's beat: the tasks of CELERY_BEAT_SCHEDULE, run by name on their intervals."""

import threading
import time
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from incident_console.background.embedded import interval_seconds, start_embedded_scheduler
from incident_console.notifications.models import EscalationTimer
from incident_console.runs.models import StepRun
from incident_console.runs.services import step_run_start

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def beat():
    """The project's beat schedule, every entry due every 0.2 s, on the embedded scheduler."""
    schedule = {
        name: {**entry, "schedule": 0.2}
        for name, entry in django_settings.CELERY_BEAT_SCHEDULE.items()
    }
    stop = threading.Event()
    thread = start_embedded_scheduler(schedule, stop=stop)
    yield
    stop.set()
    thread.join(timeout=10)


def test_the_beat_schedule_names_the_housekeeping_tasks_it_runs():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {"runs.reap_lost_runs", "notifications.tick", "oncall.tick"}


def test_it_declares_lost_a_run_whose_worker_went_silent(incident, user, settings, beat):
    settings.RUN_LOST_AFTER = 30
    run = step_run_start(incident=incident, step_id="count", actor=user, params={}, dispatch=False)
    StepRun.objects.filter(pk=run.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(seconds=31)
    )
    wait_for(lambda: StepRun.objects.get(pk=run.pk).status == "lost")


def test_it_fires_a_due_escalation_timer(incident, beat):
    timer = EscalationTimer.objects.create(
        incident=incident,
        rule_id="no-ack",
        notify=["Tech Lead"],
        message="nobody acknowledged",
        until="resolved",
        due_at=timezone.now() - timedelta(seconds=1),
    )
    wait_for(lambda: EscalationTimer.objects.get(pk=timer.pk).status == "fired")


def test_it_refuses_a_schedule_that_is_not_a_fixed_interval():
    with pytest.raises(ImproperlyConfigured):
        interval_seconds(crontab(minute=0))
