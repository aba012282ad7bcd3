"""The runbook's daily, weekly and monthly duties against the loopback production."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incident_console.incidents.models import Incident
from incident_console.maintenance.models import MaintenanceRun
from incident_console.maintenance.services import maintenance_run


def test_the_daily_backup_check_passes_when_the_newest_backup_is_within_the_rpo(world):
    run = maintenance_run(task="backups")
    assert run.status == "passed", run.output
    assert "h old (RPO 24 h)" in run.output


def test_a_stale_backup_fails_the_check_notifies_and_opens_an_incident(world, monkeypatch):
    two_days_later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: two_days_later)
    run = maintenance_run(task="backups")
    assert run.status == "failed"
    assert run.incident.title.startswith("Maintenance failed: Backups succeeded")
    assert Incident.objects.filter(pk=run.incident.pk, scenario__slug="unknown-alert").exists()


def test_the_weekly_retention_check_reads_the_lifecycle_policy(world):
    run = maintenance_run(task="retention")
    assert run.status == "passed" and "expire-old" in run.output


def test_the_weekly_test_restore_walks_the_procedure_into_a_scratch_database(world, settings):
    run = maintenance_run(task="test_restore")
    assert run.status == "passed", run.output
    assert "Exact row counts of the restored copy: succeeded" in run.output
    assert run.incident is None
    drill = Incident.objects.get(scenario__slug="test-restore")
    assert drill.is_drill and drill.runs.filter(status="succeeded").count() == 5


def test_the_monthly_drill_opens_a_drill_incident(world, settings):
    settings.DR_DRILL_SCENARIO = "database-down"
    run = maintenance_run(task="dr_drill")
    assert run.status == "passed"
    drill = Incident.objects.get(is_drill=True)
    assert drill.scenario.slug == "database-down"
    assert drill.timeline.first().message.startswith("Opened SEV4 drill")


def test_the_monthly_sla_review_fails_when_an_incident_broke_the_rto(world, make_incident):
    incident = make_incident("disk-full")
    Incident.objects.filter(pk=incident.pk).update(
        status="resolved", resolved_at=timezone.now() + timedelta(hours=6)
    )
    run = maintenance_run(task="sla_review")
    assert run.status == "failed" and f"RTO broken: #{incident.pk}" in run.output


def test_the_monthly_sla_review_never_names_a_restricted_incident(world, make_incident):
    incident = make_incident("secrets-leak", title="token leaked in a public gist")
    Incident.objects.filter(pk=incident.pk).update(
        status="resolved", resolved_at=timezone.now() + timedelta(hours=6)
    )
    run = maintenance_run(task="sla_review")
    assert "RTO broken: a restricted incident" in run.output
    assert "gist" not in run.output and f"#{incident.pk}" not in run.output


def test_the_daily_resource_and_alert_checks_record_their_output(world):
    resources = maintenance_run(task="resources")
    assert "$ df -P" in resources.output
    alerts = maintenance_run(task="alerts")
    assert alerts.status == "passed" and "alerts received in the last 24 h" in alerts.output
    assert MaintenanceRun.objects.count() == 2


@pytest.mark.django_db
def test_the_schedules_are_periodic_tasks_editable_in_the_admin():
    from django_celery_beat.models import PeriodicTask

    names = set(PeriodicTask.objects.filter(task="maintenance.run").values_list("name", flat=True))
    assert {"maintenance: backups", "maintenance: test_restore", "maintenance: dr_drill"} <= names


def test_duties_run_and_are_listed_through_the_api(
    world, api_client, make_api_client, responder, monkeypatch
):
    import time

    from incident_console.background.enqueue import registered_task
    from incident_console.maintenance import services

    # The task body runs here, in this process, where the loopback targets are configured.
    monkeypatch.setattr(
        services, "enqueue_task", lambda name, *args: registered_task(name).apply(args=args)
    )
    assert make_api_client(responder).post("/api/maintenance/retention/run/").status_code == 403
    assert api_client.post("/api/maintenance/nonsense/run/").status_code == 404
    assert api_client.post("/api/maintenance/retention/run/").status_code == 202
    for _ in range(100):
        if MaintenanceRun.objects.filter(task="retention").exclude(status="running").exists():
            break
        time.sleep(0.1)
    runs = api_client.get("/api/maintenance/runs/").json()
    assert runs[0]["task"] == "retention" and runs[0]["status"] == "passed"
