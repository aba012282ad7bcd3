"""SLA figures, the review list, Prometheus metrics and the lifecycle parts of the pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incident_console.incidents.models import Incident
from incident_console.incidents.sla import rto_clock, sla_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


def aged(incident, *, opened_hours_ago, recovered_after_hours=None, acknowledged_after_min=None):
    opened = timezone.now() - timedelta(hours=opened_hours_ago)
    changes = {"opened_at": opened}
    if recovered_after_hours is not None:
        changes.update(
            status="resolved", resolved_at=opened + timedelta(hours=recovered_after_hours)
        )
    if acknowledged_after_min is not None:
        changes["acknowledged_at"] = opened + timedelta(minutes=acknowledged_after_min)
    Incident.objects.filter(pk=incident.pk).update(**changes)
    incident.refresh_from_db()
    return incident


def test_mttr_per_scenario_rto_breaches_and_time_to_acknowledge(make_incident):
    quick = aged(
        make_incident("disk-full"),
        opened_hours_ago=30,
        recovered_after_hours=1,
        acknowledged_after_min=4,
    )
    slow = aged(
        make_incident("disk-full"),
        opened_hours_ago=20,
        recovered_after_hours=5,
        acknowledged_after_min=10,
    )
    aged(make_incident("test-drill"), opened_hours_ago=1)
    report = sla_report(Incident.objects.select_related("scenario"))
    assert report["mttr_hours"] == 3.0
    assert report["by_scenario"] == [{"scenario": "Disk full", "mttr_hours": 3.0, "incidents": 2}]
    assert report["rto_breaches"] == [slow]
    assert report["time_to_acknowledge_minutes"] == 7.0
    assert quick not in report["rto_breaches"]


def test_the_rto_clock_runs_while_open_and_says_met_or_missed_once_resolved(make_incident):
    running = aged(make_incident(), opened_hours_ago=1)
    assert rto_clock(running).met is None and rto_clock(running).remaining > timedelta(hours=2)
    late = aged(make_incident(), opened_hours_ago=5)
    assert rto_clock(late).met is False
    done = aged(make_incident(), opened_hours_ago=3, recovered_after_hours=2)
    assert rto_clock(done).met is True


def test_the_sla_page_shows_the_chart_and_the_breaches(browser, make_incident):
    aged(
        make_incident("disk-full", title="long outage"),
        opened_hours_ago=10,
        recovered_after_hours=6,
    )
    page = browser.get("/sla/").content.decode()
    assert "<svg" in page and "MTTR per month" in page
    assert "long outage" in page


def test_the_review_page_filters_and_refuses_a_bad_date(browser, make_incident):
    make_incident("disk-full", title="db1 disk")
    make_incident("test-drill", title="rehearsal")
    page = browser.get("/incidents/?scenario=disk-full").content.decode()
    assert "db1 disk" in page and "rehearsal" not in page
    assert browser.get("/incidents/?opened_after=someday").status_code == 400


def test_the_incident_page_offers_only_the_moves_that_make_sense(browser, incident):
    page = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-transition="acknowledged"' in page and 'data-transition="closed"' not in page
    assert "Postmortem" in page and 'id="rto-clock"' in page


def test_prometheus_metrics_count_incidents_runs_and_durations(incident, make_run, settings):
    now = timezone.now()
    make_run(
        incident, started_at=now - timedelta(seconds=3), finished_at=now, command_display="seq"
    )
    settings.METRICS_TOKEN = "scrape-me"
    body = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    assert 'incident_console_open_incidents{severity="sev3"} 1.0' in body
    assert 'incident_console_step_runs{status="succeeded"} 1.0' in body
    assert 'incident_console_step_run_duration_seconds_bucket{executor="shell",le="5"} 1.0' in body


def test_prometheus_metrics_can_require_a_token(db, settings):
    settings.METRICS_TOKEN = "scrape-me"
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
