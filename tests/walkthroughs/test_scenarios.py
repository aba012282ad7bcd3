"""Every scenario and procedure of the customer's runbook, walked step by step against real
servers on loopback: each step's outcome, what it changed, and the incident's timeline."""

import os
import time
from pathlib import Path

import psycopg
import pytest

from tests.walkthroughs.conftest import (
    ADMIN,
    S3_SECRET,
    assert_all_succeeded,
    assert_timeline_complete,
    output,
    run_one,
    walk,
)

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/bin/pg_dump"), reason="PostgreSQL client tools are needed"
)


BUILT_IN_RESTORE = {"download": "download-backup", "restore": "restore-backup"}
COMPOSE = "docker compose --project-directory /opt/ringo"


def drop_orders(database: str) -> None:
    with psycopg.connect(**{**ADMIN, "dbname": database}, autocommit=True) as conn:
        conn.execute("DROP TABLE orders")


def aged(path: Path, days: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    old = time.time() - days * 86400
    os.utime(path, (old, old))
    return path


def test_database_down_walks_from_checks_to_a_verified_restore(world, make_incident, user):
    drop_orders(world.database)
    incident = make_incident("database-down")
    runs = walk(
        incident,
        user,
        {
            "check-api-health": {"health_url": f"{world.http_url}/api/health/"},
            "download-backup": {"file": str(world.tmp / "backup.sql.gz")},
            "restore-backup": {"database": world.database},
        },
        ways=BUILT_IN_RESTORE,
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert (
        runs["download-backup"].params["backup_key"] == runs["list-backups"].outputs["latest_key"]
    )
    assert runs["restore-backup"].params["file"] == str(world.tmp / "backup.sql.gz")
    assert world.rows("orders") == 120
    assert "restored: 1 tables, 120 rows" in output(runs["restore-backup"])
    assert "SELECT 1 → 1" in output(runs["check-db-connection"])
    assert '{"status": "ok"}' in output(runs["check-api-health"])
    assert world.called() == [], "nothing runs on the console's own worker"
    assert world.remote_called() == [
        "docker logs --tail 200 postgres-backup",
        "docker logs --tail 1000 django-api",
        f"{COMPOSE} restart db",
    ]
    assert output(runs["logs-api-database"]) == ""
    assert {"restart-db-prod", "download-to-host", "restore-with-script"}.isdisjoint(runs)


def test_database_down_restores_with_the_teams_script_on_the_production_host(
    world, make_incident, user
):
    backup = world.tmp / "host-backup.sql.gz"
    backup.write_bytes(world.dump)
    drop_orders(world.database)
    repo = team_script(world, "backup", "restore-postgres.sh", RESTORE_SCRIPT)
    incident = make_incident("database-down")
    runs = walk(
        incident,
        user,
        {
            "check-api-health": {"health_url": f"{world.http_url}/api/health/"},
            "download-to-host": {"file": str(backup)},
            "restore-with-script": {"repo_dir": str(repo), "database": world.database},
        },
        ways={"restart-db": "restart-db-prod"},
    )
    assert_all_succeeded(runs)
    key = runs["list-backups"].outputs["latest_key"]
    assert runs["restore-with-script"].params["file"] == str(backup), "chained from the download"
    assert world.remote_called()[-2:] == [
        "systemctl restart postgresql",
        f"aws s3 cp s3://ringo-backups/{key} {backup}",
    ]
    assert world.rows("orders") == 120, "the team's script restored the backup"
    assert {"download-backup", "restore-backup", "restart-db-compose"}.isdisjoint(runs)


RESTORE_SCRIPT = """#!/bin/sh
gunzip -c "$1" | psql -q -h 127.0.0.1 -U postgres -d "$2" >/dev/null && echo "restored $2"
"""


def team_script(world, folder: str, name: str, text: str) -> Path:
    """The team's own script in a repository checkout on the (SSH) production host."""
    repo = world.tmp / "repo"
    script = repo / "infra" / folder / "scripts" / name
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(text)
    script.chmod(0o755)
    return repo


def test_data_loss_restores_the_backup_of_the_day_and_a_deleted_media_file(
    world, make_incident, user
):
    aged(world.tmp / "wal" / "000000010000000000000001.wal", 1)
    drop_orders(world.database)
    incident = make_incident("data-loss")
    runs = walk(
        incident,
        user,
        {
            "list-wal-archive": {"wal_dir": str(world.tmp / "wal")},
            "find-backup-for-date": {"day": "20240115"},
            "download-backup": {"file": str(world.tmp / "restore.sql.gz")},
            "restore-backup": {"database": world.database},
            "media-list-versions": {"key": "media/orders/123/photo.jpg"},
            "media-get-version": {"file": str(world.tmp / "restored.jpg")},
        },
        ways=BUILT_IN_RESTORE,
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert (
        runs["download-backup"].params["backup_key"] == "postgres/full/ringo_20240115_020000.sql.gz"
    )
    assert world.rows("orders") == 120
    assert (world.tmp / "restored.jpg").read_bytes() == b"the photo"
    assert "000000010000000000000001.wal" in output(runs["list-wal-archive"])
    assert runs["media-get-version"].params["key"] == "media/orders/123/photo.jpg"
    assert world.remote_called() == [f"{COMPOSE} stop django-api celery-worker"]
    notice = runs["notify-customer"].command
    assert notice["to"] == "ops@customer.example"
    assert "Data affected: data written between " in notice["body"]
    assert (
        "UTC (0.0 h) could not be restored; that is within our recovery point objective of 1 h."
        in notice["body"]
    )


def test_api_down_checks_every_instance_then_restarts_and_rolls_back(world, make_incident, user):
    app_dir = world.tmp / "app"
    app_dir.mkdir()
    health = f"{world.http_url}/api/health/"
    incident = make_incident("api-down")
    runs = walk(
        incident,
        user,
        {
            "check-api1": {"health_url": health},
            "check-api2": {"health_url": health},
            "rollback": {"app_dir": str(app_dir)},
            "scale-out-plan": {"terraform_dir": str(world.tmp)},
            "scale-out": {"terraform_dir": str(world.tmp)},
        },
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert '{"status": "ok"}' in output(runs["check-api1"])
    assert world.called() == [
        f"terraform -chdir={world.tmp} plan -input=false -out=scale-out.tfplan "
        "-var=api_instance_count=4",
        f"terraform -chdir={world.tmp} apply -input=false scale-out.tfplan",
    ]
    assert "terraform ok: " in output(runs["scale-out-plan"]), "the plan is shown"
    assert world.remote_called() == [
        "docker logs --tail 100 django-api",
        f"{COMPOSE} restart django-api",
        "docker-compose pull",
        "docker-compose up -d",
    ]
    assert {"logs-api-journal", "restart-api-prod"}.isdisjoint(runs)


def test_an_unhealthy_instance_fails_its_step_with_the_answer(world, make_incident, user):
    incident = make_incident("api-down")
    run = run_one(incident, user, "check-api1", health_url=f"{world.http_url}/broken/api/health/")
    assert (run.status, run.exit_code) == ("failed", 22)
    assert "database unavailable" in output(run)


def test_disk_full_frees_space_and_keeps_recent_files(world, make_incident, user):
    backups, wal, data = world.tmp / "backups", world.tmp / "backups" / "wal", world.tmp / "pgdata"
    old_dump = aged(backups / "ringo_old.sql.gz", 10)
    new_dump = aged(backups / "ringo_new.sql.gz", 1)
    old_wal = aged(wal / "0001.wal", 9)
    aged(data / "base" / "1", 0)
    incident = make_incident("disk-full")
    runs = walk(
        incident,
        user,
        {
            "du-postgres-data": {"data_dir": str(data)},
            "du-backups": {"backup_dir": str(backups)},
            "delete-old-backups": {"backup_dir": str(backups)},
            "delete-old-wal": {"wal_dir": str(wal)},
            "grow-disk-plan": {"terraform_dir": str(world.tmp)},
            "grow-disk": {"terraform_dir": str(world.tmp)},
        },
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert not old_dump.exists() and not old_wal.exists() and new_dump.exists()
    assert output(runs["delete-old-backups"]) == f"{old_dump}\n"
    assert "expire-old" in output(runs["check-s3-lifecycle"])
    assert world.remote_called() == [
        "docker system prune --all --volumes --force",
        "journalctl --vacuum-time=7d",
    ]
    assert world.called() == [
        f"terraform -chdir={world.tmp} plan -input=false -out=grow-disk.tfplan "
        "-var=api_instance_size=s-4vcpu-8gb",
        f"terraform -chdir={world.tmp} apply -input=false grow-disk.tfplan",
    ]


def test_secrets_leak_rotates_revokes_searches_and_blocks(world, make_incident, user):
    repo = world.tmp / "repo"
    script = repo / "infra" / "secrets" / "scripts" / "rotate-secrets.sh"
    script.parent.mkdir(parents=True)
    script.write_text(f'#!/bin/sh\necho "rotate-secrets.sh $1" >> {world.calls}\necho rotated\n')
    script.chmod(0o755)
    nginx_log = world.tmp / "access.log"
    nginx_log.write_text('203.0.113.9 - - "GET /admin/"\n198.51.100.1 - - "GET /"\n')
    django_log = world.tmp / "django-api.log"
    django_log.write_text("WARNING Unauthorized: /api/orders/\nINFO ok\n")
    incident = make_incident("secrets-leak")
    runs = walk(
        incident,
        user,
        {
            "rotate-django-secrets": {"repo_dir": str(repo)},
            "revoke-aws-key": {"access_key_id": "AKIAABCDEFGHIJKLMNOP"},
            "grep-nginx": {"ip": "203.0.113.9", "log_file": str(nginx_log)},
            "grep-django-unauthorized": {"log_file": str(django_log)},
            "block-ip": {"ip": "203.0.113.9"},
        },
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert output(runs["grep-nginx"]) == '203.0.113.9 - - "GET /admin/"\n'
    assert output(runs["grep-django-unauthorized"]) == "WARNING Unauthorized: /api/orders/\n"
    called = world.called()
    assert called[0] == "rotate-secrets.sh production"
    assert called[1].startswith("gh secret set PROD_DJANGO_SECRET_KEY --body ")
    assert len(called[1].split()[-1]) == 64
    assert called[2] == "aws iam delete-access-key --access-key-id AKIAABCDEFGHIJKLMNOP"
    assert world.remote_called() == ["ufw deny from 203.0.113.9"]
    assert "openssl" not in runs["rotate-github-secret"].command_display.split("$(")[0]


def test_s3_data_loss_brings_back_a_deleted_object(world, make_incident, user):
    incident = make_incident("s3-data-loss")
    archived = {"key": "media/archive/2019/photo.jpg"}
    runs = walk(
        incident,
        user,
        {
            "list-versions": {"prefix": "media/orders/123/"},
            "get-version": {"file": str(world.tmp / "photo.jpg")},
            "glacier-restore": archived,
            "glacier-status": archived,
        },
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert (world.tmp / "photo.jpg").read_bytes() == b"the photo"
    assert "versioning of" in output(runs["check-versioning"])
    assert "restore requested" in output(runs["glacier-restore"])
    assert (
        runs["get-version"].params["version_id"]
        == runs["list-versions"].outputs["previous_version_id"]
    )
    assert "media/orders/123/photo.jpg" not in output(runs["list-bucket"]), "it was deleted"
    assert "the object was deleted" in output(runs["list-versions"])


def test_full_restore_procedure_stops_restores_starts_and_checks(world, make_incident, user):
    drop_orders(world.database)
    incident = make_incident("full-restore")
    runs = walk(
        incident,
        user,
        {
            "download-backup": {"file": str(world.tmp / "restore.sql.gz")},
            "restore": {"database": world.database},
            "verify": {"health_url": f"{world.http_url}/api/health/"},
        },
        ways={"download": "download-backup", "restore": "restore"},
    )
    assert_all_succeeded(runs)
    assert_timeline_complete(incident, runs)
    assert world.rows("orders") == 120
    assert world.called() == []
    assert world.remote_called() == [
        f"{COMPOSE} stop django-api celery-worker",
        f"{COMPOSE} start django-api celery-worker",
    ]


def test_test_restore_procedure_restores_the_latest_backup_into_a_scratch_database(
    world, make_incident, user
):
    scratch = f"{world.database}_restore_test"
    incident = make_incident("test-restore")
    runs = walk(
        incident,
        user,
        {
            "download-latest": {"file": str(world.tmp / "latest.sql.gz")},
            "restore-scratch": {"scratch_db": scratch},
            "check-rows": {"scratch_db": scratch},
            "count-rows": {"scratch_db": scratch},
        },
        ways={"test-restore": "download-latest"},
    )
    assert_all_succeeded(runs)
    assert runs["count-rows"].outputs == {"tables": 1, "rows": 120}
    assert world.rows("orders") == 120


def test_test_restore_runs_the_teams_script_on_the_production_host(world, make_incident, user):
    script = f'#!/bin/sh\necho "test-restore.sh $1" >> {world.calls}\necho "restore test passed"\n'
    repo = team_script(world, "backup", "test-restore.sh", script)
    incident = make_incident("test-restore")
    runs = walk(incident, user, {"test-restore-script": {"repo_dir": str(repo)}})
    assert_all_succeeded(runs)
    assert list(runs) == ["list-backups", "test-restore-script"], "the built-in way is not needed"
    assert world.called() == ["test-restore.sh latest"]
    assert "restore test passed" in output(runs["test-restore-script"])


def test_pitr_procedure_checks_the_archive_and_the_target_time(world, make_incident, user):
    wal = world.tmp / "wal"
    aged(wal / "0001", 3)
    aged(wal / "0002", 1)
    target = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2 * 86400))
    incident = make_incident("pitr")
    runs = walk(
        incident,
        user,
        {
            "wal-archive-present": {"wal_dir": str(wal)},
            "target-within-archive": {"wal_dir": str(wal), "target_time": target},
        },
    )
    assert_all_succeeded(runs)
    assert "2 files in the WAL archive" in output(runs["wal-archive-present"])
    assert "is within the archive" in output(runs["target-within-archive"])


def test_pitr_refuses_a_target_time_outside_the_archive(world, make_incident, user):
    wal = world.tmp / "wal"
    aged(wal / "0001", 1)
    incident = make_incident("pitr")
    run = run_one(
        incident,
        user,
        "target-within-archive",
        wal_dir=str(wal),
        target_time="2020-01-01T00:00:00Z",
    )
    assert run.status == "failed"
    assert "is outside the archive" in output(run)


def test_credentials_never_reach_output_stored_or_streamed(world, make_incident, user, settings):
    import yaml

    targets = yaml.safe_load(Path(settings.TARGETS_FILE).read_text())
    targets["targets"]["api-lb"]["credentials"] = {"token": "env:WALK_S3_SECRET"}
    Path(settings.TARGETS_FILE).write_text(yaml.safe_dump(targets))
    incident = make_incident("api-down")
    run = run_one(incident, user, "check-load-balancer")
    text = output(run)
    assert "Bearer ********" in text
    assert S3_SECRET not in text
    assert S3_SECRET not in str(list(incident.timeline.values_list("message", "data")))


def test_a_restore_can_fetch_its_backup_straight_from_s3(world):
    import threading

    from incident_console.runs.executors import build_executor

    drop_orders(world.database)
    built = build_executor("postgres", timeout=120, target="prod-db")
    spec = built.executor.render(
        {
            "action": "restore",
            "args": {"key": "postgres/full/latest.sql.gz", "database": world.database},
        },
        {},
    )
    lines = []
    result = built.executor.run(spec, lambda stream, text: lines.append(text), threading.Event())
    assert result.status == "succeeded", "".join(lines)
    assert "downloaded 100%" in "".join(lines)
    assert world.rows("orders") == 120
    assert "restore s3 postgres/full/latest.sql.gz" in built.executor.describe(spec)
