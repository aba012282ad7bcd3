"""Is a target ready for steps?  One short probe per executor, with the executor's own target
and credentials: SSH handshake (host key checked against known_hosts, never added) and login,
PostgreSQL ``SELECT 1``, S3 head-bucket, HTTP GET, docker CLI and daemon.

A probe answers ready, unreachable (the target did not answer or refused) or not configured
(the console lacks something: ``NotConfigured`` from the executor).  Probes never raise.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from threading import Event
from typing import Literal
from urllib.parse import urljoin

import boto3
import paramiko
import psycopg
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from executors.base import ExecutorError, NotConfigured
from executors.docker import DockerExecutor
from executors.http import HTTPExecutor
from executors.postgres import PostgresExecutor
from executors.s3 import S3Executor
from executors.ssh import SSHExecutor

State = Literal["ready", "unreachable", "not_configured"]
READY: State = "ready"
UNREACHABLE: State = "unreachable"
NOT_CONFIGURED: State = "not_configured"


@dataclass(frozen=True)
class Readiness:
    state: State
    reason: str

    @property
    def is_ready(self) -> bool:
        return self.state == READY


def probe(executor: object, *, timeout: float, health_path: str | None = None) -> Readiness:
    """The readiness of the target ``executor`` acts on, within about ``timeout`` seconds."""
    try:
        if isinstance(executor, SSHExecutor):
            return probe_ssh(executor, timeout=timeout)
        if isinstance(executor, PostgresExecutor):
            return probe_postgres(executor, timeout=timeout)
        if isinstance(executor, S3Executor):
            return probe_s3(executor, timeout=timeout)
        if isinstance(executor, HTTPExecutor):
            return probe_http(executor, timeout=timeout, health_path=health_path)
        if isinstance(executor, DockerExecutor):
            return probe_docker(executor, timeout=timeout)
        return Readiness(READY, "the console's own worker")
    except NotConfigured as exc:
        return Readiness(NOT_CONFIGURED, str(exc))
    except ExecutorError as exc:
        return Readiness(UNREACHABLE, str(exc))


def probe_ssh(executor: SSHExecutor, *, timeout: float) -> Readiness:
    # A probe never writes known_hosts: trust on first use is for a person's first run.
    target = dataclasses.replace(executor.target, connect_timeout=timeout, trust_on_first_use=False)
    probing = SSHExecutor(target=target, timeout=timeout)
    try:
        client = probing.connect([])
    except NotConfigured:
        if executor.target.trust_on_first_use:
            return _ssh_trusted_on_first_use(probing)
        raise
    try:
        key = _host_key(client)
    finally:
        client.close()
    return Readiness(READY, f"logged in as {target.user} (host key {key})")


def _ssh_trusted_on_first_use(probing: SSHExecutor) -> Readiness:
    return Readiness(
        READY,
        f"the host key of {probing.target.known_hosts_name} is not yet known; the first run "
        "trusts it (trust_on_first_use)",
    )


def _host_key(client: paramiko.SSHClient) -> str:
    transport = client.get_transport()
    key = transport.get_remote_server_key() if transport else None
    return f"{key.get_name()} {key.fingerprint}" if key else "unknown"


def probe_postgres(executor: PostgresExecutor, *, timeout: float) -> Readiness:
    target = executor.target
    started = time.monotonic()
    try:
        with psycopg.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            dbname=target.dbname,
            sslmode=target.sslmode,
            connect_timeout=max(1, round(timeout)),
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return Readiness(UNREACHABLE, _first_line(str(exc)) or type(exc).__name__)
    return Readiness(READY, f"SELECT 1 in {_ms(started)} ms")


def probe_s3(executor: S3Executor, *, timeout: float) -> Readiness:
    target = executor.target
    client = boto3.client(
        "s3",
        endpoint_url=target.endpoint_url,
        region_name=target.region,
        aws_access_key_id=target.access_key,
        aws_secret_access_key=target.secret_key,
        config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}),
    )
    started = time.monotonic()
    try:
        client.head_bucket(Bucket=target.bucket)
    except NoCredentialsError:
        return Readiness(NOT_CONFIGURED, "no S3 access key: set the target's credentials")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        return Readiness(UNREACHABLE, f"head-bucket {target.bucket}: {_s3_error(code)}")
    except BotoCoreError as exc:
        return Readiness(UNREACHABLE, str(exc))
    return Readiness(READY, f"bucket {target.bucket} answered in {_ms(started)} ms")


def _s3_error(code: str) -> str:
    return {
        "403": "access denied (HTTP 403)",
        "404": "no such bucket (HTTP 404)",
    }.get(code, code)


def probe_http(executor: HTTPExecutor, *, timeout: float, health_path: str | None) -> Readiness:
    url = urljoin(executor.base_url, health_path) if health_path else executor.base_url
    request = urllib.request.Request(url, headers=executor.headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        return Readiness(UNREACHABLE, f"GET {url}: {getattr(exc, 'reason', exc)}")
    if status >= 500:
        return Readiness(UNREACHABLE, f"GET {url}: HTTP {status}")
    return Readiness(READY, f"GET {url}: HTTP {status} in {_ms(started)} ms")


def probe_docker(executor: DockerExecutor, *, timeout: float) -> Readiness:
    """``docker version`` answers with the server's version only when the daemon answers."""
    if executor.remote is None and shutil.which(executor.docker) is None:
        raise NotConfigured(f"the docker CLI {executor.docker!r} is not on the worker's PATH")
    output: list[str] = []
    probing = DockerExecutor(
        timeout=timeout, docker=executor.docker, remote=executor.remote, kill_grace=1.0
    )
    spec = {"argv": [executor.docker, "version", "--format", "{{.Server.Version}}"]}
    result = probing.run(spec, _collect(output), Event())
    text = _first_line("".join(output).strip())
    where = "the console's host" if executor.remote is None else "the host it runs on"
    if result.status != "succeeded":
        if result.exit_code == 127:
            raise NotConfigured(f"the docker CLI {executor.docker!r} is not installed on {where}")
        return Readiness(UNREACHABLE, f"the docker daemon does not answer: {text or result.detail}")
    return Readiness(READY, f"docker daemon {text} on {where}")


def _collect(into: list[str]) -> Callable[[str, str], None]:
    def emit(stream: str, text: str) -> None:
        into.append(text)

    return emit


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
