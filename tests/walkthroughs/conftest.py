"""A small production for the runbooks to act on, all on loopback.

prod-db is a scratch database on the machine's PostgreSQL; the buckets live in moto's S3
server; prod-host, api1 and api2 are the test sshd; the API is a local HTTP server.  Commands
that would change a real machine (docker, systemctl, terraform, gh, aws, ufw, journalctl) are
recording stand-ins on PATH, locally and on the SSH host.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg
import pytest
import yaml

from incident_console.runs import execution, services

ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
S3_KEY, S3_SECRET = "AKIATESTKEY000000001", "walkthrough-secret-value-42"
STAND_INS = ["docker", "docker-compose", "systemctl", "terraform", "gh", "aws", "ufw", "journalctl"]
STAND_IN = """#!/bin/sh
echo "$(basename "$0") $*" >> {calls}
echo "$(basename "$0") ok: $*"
"""
SUDO = '#!/bin/sh\nexec "$@"\n'


@dataclass
class World:
    database: str
    calls: Path
    remote_calls: Path
    tmp: Path
    backups: object
    media: object
    http_url: str
    dump: bytes  # the gzipped pg_dump every backup in the bucket holds

    def called(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def remote_called(self) -> list[str]:
        return self.remote_calls.read_text().splitlines() if self.remote_calls.exists() else []

    def rows(self, table: str) -> int:
        with psycopg.connect(**{**ADMIN, "dbname": self.database}) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _stand_ins(directory: Path, calls: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in STAND_INS:
        path = directory / name
        path.write_text(STAND_IN.format(calls=calls))
        path.chmod(0o755)
    sudo = directory / "sudo"
    sudo.write_text(SUDO)
    sudo.chmod(0o755)


def _database(name: str) -> None:
    with psycopg.connect(**ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(**{**ADMIN, "dbname": name}, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL)")
        conn.execute("INSERT INTO orders (customer) SELECT 'c' || g FROM generate_series(1, 120) g")


def _drop_database(name: str) -> None:
    with psycopg.connect(**ADMIN, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _buckets(endpoint: str, dump: bytes, suffix: str):
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )
    backups, media = f"ringo-backups-{suffix}", f"ringo-media-{suffix}"
    for bucket in (backups, media):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key in (
        "postgres/full/ringo_20240114_020000.sql.gz",
        "postgres/full/ringo_20240115_020000.sql.gz",
        "postgres/full/latest.sql.gz",
    ):
        s3.put_object(Bucket=backups, Key=key, Body=dump)
        time.sleep(0.05)
    rules = [
        {
            "ID": "expire-old",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": 30},
        }
    ]
    for bucket in (backups, media):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )
    s3.put_object(
        Bucket=media, Key="media/archive/2019/photo.jpg", Body=b"old", StorageClass="GLACIER"
    )
    s3.put_object(Bucket=media, Key="media/orders/123/photo.jpg", Body=b"the photo")
    s3.delete_object(Bucket=media, Key="media/orders/123/photo.jpg")
    return backups, media, s3


@pytest.fixture
def world(
    tmp_path, sshd, moto_endpoint, api_server, settings, monkeypatch, transactional_db, scenarios
):
    suffix = uuid.uuid4().hex[:8]
    database = f"ringo_walk_{suffix}"
    _database(database)
    dump = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--no-owner", "-d", database],
        check=True,
        capture_output=True,
    ).stdout
    dump = gzip.compress(dump)
    backups, media, s3 = _buckets(moto_endpoint, dump, suffix)
    calls = tmp_path / "calls.log"
    remote_calls = tmp_path / "remote-calls.log"
    _stand_ins(tmp_path / "bin", calls)
    _stand_ins(sshd.bin_dir, remote_calls)
    key_file = tmp_path / "ssh_key"
    key_file.write_text(sshd.private_key)
    ssh = {
        "kind": "ssh",
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": sshd.user,
        "known_hosts": str(sshd.known_hosts),
        "credentials": {"private_key": f"file:{key_file}"},
    }
    s3_credentials = {"access_key": "env:WALK_S3_KEY", "secret_key": "env:WALK_S3_SECRET"}
    targets = {
        "prod-host": ssh,
        "api1": ssh,
        "api2": ssh,
        "prod-db": {
            "kind": "postgres",
            "host": "127.0.0.1",
            "port": 5432,
            "dbname": database,
            "user": "postgres",
            "backups": "backups-bucket",
        },
        "api-lb": {"kind": "http", "base_url": api_server},
        "backups-bucket": {
            "kind": "s3",
            "bucket": backups,
            "endpoint_url": moto_endpoint,
            "credentials": s3_credentials,
        },
        "media-bucket": {
            "kind": "s3",
            "bucket": media,
            "endpoint_url": moto_endpoint,
            "credentials": s3_credentials,
        },
        "compose-prod": {"kind": "docker", "via": "prod-host", "compose_dir": "/opt/ringo"},
    }
    targets_file = tmp_path / "targets.yaml"
    targets_file.write_text(yaml.safe_dump({"targets": targets}))
    settings.TARGETS_FILE = str(targets_file)
    settings.DOCKER_BIN = "docker"
    monkeypatch.setenv("WALK_S3_KEY", S3_KEY)
    monkeypatch.setenv("WALK_S3_SECRET", S3_SECRET)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    if remote_calls.exists():
        remote_calls.unlink()
    yield World(database, calls, remote_calls, tmp_path, backups, media, api_server, dump)
    _drop_database(database)
    for name in (f"{database}_restore_test",):
        _drop_database(name)


def walk(
    incident, user, params: dict[str, dict] | None = None, ways: dict[str, str] | None = None
) -> dict[str, object]:
    """Run the incident's scenario in order, as its commander would: typing the target's name
    for destructive steps, and with a second commander approving where needed.  Of each one_of
    group only one way runs — the step named in ``ways``, else the first — and steps that need
    a way not taken are not needed."""
    params = params or {}
    steps = incident.scenario.runbook.steps_taking(ways)
    return {step.id: _walk_step(incident, user, step, params.get(step.id, {})) for step in steps}


def _walk_step(incident, user, step, values: dict):
    if step.executor == "manual":
        return services.manual_step_complete(
            incident=incident, step_id=step.id, actor=user, outcome="done", note="done"
        )
    if step.executor == "customer_notice":
        return send_customer_notice(incident, user, step.id)
    preview = services.step_run_preview(incident=incident, step_id=step.id, params=values)
    run = services.step_run_start(
        incident=incident,
        step_id=step.id,
        actor=user,
        params=values,
        confirm=step.target if step.destructive else None,
        digest=preview.digest,
        dispatch=False,
    )
    if run.status == "awaiting_approval":
        run = services.step_run_approve(
            run=run, actor=second_commander(), digest=preview.digest, dispatch=False
        )
    return execution.step_run_execute(run_id=run.pk, task_id=run.task_id)


CUSTOMER_EMAIL = "ops@customer.example"


def send_customer_notice(incident, user, step_id: str):
    """Send the step's draft unchanged to the site's customer contact (given an email here)."""
    from incident_console.incidents.models import Contact
    from incident_console.runs.customer_notices import customer_notice_draft, customer_notice_send

    Contact.objects.update_or_create(role="Customer", defaults={"email": CUSTOMER_EMAIL})
    draft = customer_notice_draft(incident=incident, step_id=step_id)
    return customer_notice_send(
        incident=incident, step_id=step_id, actor=user, subject=draft.subject, body=draft.body
    )


def run_one(incident, user, step_id: str, **params):
    """Start one (non-destructive) step and execute it here; return the finished run."""
    run = services.step_run_start(
        incident=incident, step_id=step_id, actor=user, params=params, dispatch=False
    )
    return execution.step_run_execute(run_id=run.pk, task_id=run.task_id)


def second_commander():
    from django.contrib.auth import get_user_model

    from incident_console.accounts.roles import role_assign

    approver, created = get_user_model().objects.get_or_create(username="approver")
    if created:
        role_assign(approver, "commander")
    return get_user_model().objects.get(pk=approver.pk)


def output(run) -> str:
    return "".join(run.chunks.order_by("seq").values_list("text", flat=True))


def statuses(runs: dict) -> dict[str, str]:
    return {step_id: run.status for step_id, run in runs.items()}


def assert_all_succeeded(runs: dict) -> None:
    failed = {
        step_id: output(run) for step_id, run in runs.items() if run.status not in ("succeeded",)
    }
    assert failed == {}


def assert_timeline_complete(incident, runs: dict) -> None:
    kinds = list(incident.timeline.values_list("kind", flat=True))
    manual = sum(1 for run in runs.values() if run.executor == "manual")
    notices = sum(1 for run in runs.values() if run.executor == "customer_notice")
    automated = len(runs) - manual - notices
    assert kinds[0] == "incident_opened"
    assert kinds.count("run_queued") == automated
    assert kinds.count("run_started") == automated
    assert kinds.count("run_finished") == automated
    assert kinds.count("step_marked") == manual
    assert kinds.count("notification") >= notices
