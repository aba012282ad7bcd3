"""The runbook's daily, weekly and monthly duties against the loopback production."""

from datetime import timedelta
from pathlib import Path

import paramiko
import pytest
import yaml
from django.utils import timezone

from incident_console.incidents.models import Incident
from incident_console.maintenance.models import MaintenanceRun
from incident_console.maintenance.services import maintenance_run, setup_problems
from incident_console.notifications.models import Notification
from tests.walkthroughs.conftest import S3_KEY


def test_the_daily_backup_check_passes_when_the_newest_backup_is_within_the_rpo(world):
    run = maintenance_run(task="backups")
    assert run.status == "passed", run.output
    assert "h old (RPO 24 h)" in run.output
    assert run.headline.startswith("Backups: last full backup is 0.")


def test_a_stale_backup_fails_the_check_notifies_and_opens_an_incident(world, monkeypatch):
    two_days_later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: two_days_later)
    run = maintenance_run(task="backups")
    assert run.status == "failed"
    assert run.incident.title == "Backups: last full backup is 48 h old (RPO 24 h)"
    assert Incident.objects.filter(pk=run.incident.pk, scenario__slug="unknown-alert").exists()
    assert setup_problems() == []


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


def test_the_daily_resource_check_measures_the_production_host_over_ssh(world, sshd):
    resources = maintenance_run(task="resources")
    assert resources.status == "passed", resources.output
    assert f"$ ssh {sshd.user}@127.0.0.1: df -P" in resources.output
    assert (
        resources.headline
        == "Resource usage (disks under 95%): every filesystem on prod-host is under 95%"
    )


def test_alerts_without_alertmanager_url_are_not_checked_never_passed(world, settings):
    settings.ALERTMANAGER_URL = ""
    alerts = maintenance_run(task="alerts")
    assert alerts.status == "not_checked"
    assert alerts.headline == "Alerts: not checked: ALERTMANAGER_URL is not set"
    assert "0 alerts received in the last 24 h" in alerts.output
    assert alerts.incident is None and not Incident.objects.exists()
    assert setup_problems() == [
        {
            "what": "Maintenance: Alerts",
            "why": "ALERTMANAGER_URL is not set",
            "link": "/maintenance/#settings",
        }
    ]


def test_alerts_pass_when_alertmanager_answers_healthy(world, settings):
    settings.ALERTMANAGER_URL = world.http_url
    alerts = maintenance_run(task="alerts")
    assert alerts.status == "passed", alerts.output
    assert alerts.summary == "Alertmanager healthy; 0 alert(s) in 24 h, none without an incident"


def test_a_backup_check_missing_its_credential_is_not_checked_and_opens_no_incident(
    world, monkeypatch
):
    monkeypatch.delenv("WALK_S3_KEY")
    run = maintenance_run(task="backups")
    assert run.status == "not_checked"
    assert run.headline == (
        "Backups: not checked: backups-bucket has no access_key: "
        "set the environment variable WALK_S3_KEY on the worker"
    )
    assert run.incident is None and not Incident.objects.exists()
    assert not Notification.objects.exists()
    assert setup_problems() == [
        {
            "what": "Maintenance: Backups",
            "why": "backups-bucket has no access_key: "
            "set the environment variable WALK_S3_KEY on the worker",
            "link": "/targets/#target-backups-bucket",
        }
    ]


def test_a_setup_problem_clears_once_the_duty_checks_again(world, monkeypatch):
    monkeypatch.delenv("WALK_S3_KEY")
    maintenance_run(task="backups")
    monkeypatch.setenv("WALK_S3_KEY", S3_KEY)
    assert maintenance_run(task="backups").status == "passed"
    assert setup_problems() == []


def test_a_test_restore_whose_target_lacks_a_credential_opens_no_drill(world, monkeypatch):
    monkeypatch.delenv("WALK_S3_SECRET")
    run = maintenance_run(task="test_restore")
    assert run.status == "not_checked"
    assert run.summary == (
        "not checked: backups-bucket: backups-bucket has no secret_key: "
        "set the environment variable WALK_S3_SECRET on the worker"
    )
    assert not Incident.objects.exists()


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


def test_alerts_fail_when_alertmanager_is_unhealthy(world, settings):
    settings.ALERTMANAGER_URL = f"{world.http_url}/broken"
    alerts = maintenance_run(task="alerts")
    assert alerts.status == "failed"
    assert alerts.summary.startswith(
        f"Alertmanager is not healthy: {world.http_url}/broken/-/healthy"
    )


def test_a_duty_whose_target_is_not_in_the_targets_file_is_not_checked(world, settings):
    targets = yaml.safe_load(Path(settings.TARGETS_FILE).read_text())
    del targets["targets"]["prod-host"]
    Path(settings.TARGETS_FILE).write_text(yaml.safe_dump(targets))
    run = maintenance_run(task="resources")
    assert (run.status, run.summary, run.fix_link) == (
        "not_checked",
        "not checked: no target named 'prod-host'",
        "/targets/#target-prod-host",
    )


def test_a_refused_ssh_key_is_a_setup_problem_not_a_failure(world, sshd):
    stranger = world.tmp / "stranger_key"
    paramiko.RSAKey.generate(2048).write_private_key_file(str(stranger))
    (world.tmp / "ssh_key").write_text(stranger.read_text())
    run = maintenance_run(task="resources")
    assert run.status == "not_checked"
    assert run.summary == f"not checked: prod-host: authentication as {sshd.user} was refused"
    assert not Incident.objects.exists()
