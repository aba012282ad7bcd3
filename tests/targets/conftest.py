"""Targets on loopback, one ready of each kind: the test sshd, the machine's PostgreSQL, a moto
S3 server, an HTTP server and a docker stand-in; a test writes them to its own targets file."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest
import yaml

S3_KEY, S3_SECRET = "AKIATARGETSTEST00001", "targets-secret-value-77"
DOCKER_STAND_IN = """#!/bin/sh
if [ "$1" = version ]; then echo 27.0.1-stand-in; exit 0; fi
exit 1
"""


@pytest.fixture
def write_targets(tmp_path, settings):
    """Write ``{name: fields}`` as the targets file the console reads."""

    def write(targets: dict) -> Path:
        path = tmp_path / "targets.yaml"
        path.write_text(yaml.safe_dump({"targets": targets}))
        settings.TARGETS_FILE = str(path)
        return path

    return write


@pytest.fixture
def docker_stand_in(tmp_path, settings) -> Path:
    """A `docker` that answers `docker version` as a running daemon does."""
    path = tmp_path / "bin" / "docker"
    path.parent.mkdir()
    path.write_text(DOCKER_STAND_IN)
    path.chmod(0o755)
    settings.DOCKER_BIN = str(path)
    return path


@pytest.fixture
def ready_targets(tmp_path, sshd, moto_endpoint, api_server, docker_stand_in, monkeypatch) -> dict:
    """One target of each kind, each reachable with the credentials it names."""
    key_file = tmp_path / "ssh_key"
    key_file.write_text(sshd.private_key)
    bucket = f"targets-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    ).create_bucket(Bucket=bucket)
    monkeypatch.setenv("IC_TEST_S3_KEY", S3_KEY)
    monkeypatch.setenv("IC_TEST_S3_SECRET", S3_SECRET)
    ssh = {
        "kind": "ssh",
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": sshd.user,
        "known_hosts": str(sshd.known_hosts),
        "credentials": {"private_key": f"file:{key_file}"},
    }
    return {
        "prod-host": ssh,
        "prod-db": {
            "kind": "postgres",
            "host": "127.0.0.1",
            "port": 5432,
            "dbname": "postgres",
            "user": "postgres",
        },
        "backups-bucket": {
            "kind": "s3",
            "bucket": bucket,
            "endpoint_url": moto_endpoint,
            "credentials": {
                "access_key": "env:IC_TEST_S3_KEY",
                "secret_key": "env:IC_TEST_S3_SECRET",
            },
        },
        "api": {"kind": "http", "base_url": api_server, "health_path": "/api/health/"},
        "compose-local": {"kind": "docker"},
        "compose-prod": {"kind": "docker", "via": "prod-host", "compose_dir": "/opt/ringo"},
    }
