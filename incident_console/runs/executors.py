"""Build the executor a run needs, with its target's settings and credentials.

This is where executors meet Django: settings give timeouts and the targets file; credential
references are resolved here, in the worker, when a step runs.  The resolved values go to the
executor and to the output masker, nowhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from executors import ExecutorError, NotConfigured
from executors.docker import DockerExecutor
from executors.http import HTTPExecutor
from executors.manual import ManualExecutor
from executors.postgres import PostgresExecutor, PostgresTarget
from executors.s3 import S3Executor, S3Target
from executors.shell import ShellExecutor
from executors.ssh import SSHExecutor, SSHTarget
from runbooks.targets import Target, load_targets

TARGET_KINDS = {
    "shell": {"local"},
    "ssh": {"ssh"},
    "postgres": {"postgres"},
    "s3": {"s3"},
    "http": {"http"},
    "docker": {"docker", "local"},
    "manual": {"local"},
    # Nothing runs: the console emails the site's customer contact (runs/customer_notices.py).
    "customer_notice": {"local"},
}


@dataclass
class BuiltExecutor:
    executor: object
    secrets: list[str] = field(default_factory=list)


def targets() -> dict[str, Target]:
    path = Path(settings.TARGETS_FILE) if settings.TARGETS_FILE else None
    mtime = path.stat().st_mtime if path and path.exists() else None
    return _load(str(path) if path else None, mtime)


@lru_cache(maxsize=4)
def _load(path: str | None, mtime: float | None) -> dict[str, Target]:
    loaded, _ = load_targets(Path(path) if path else None)
    return loaded


def target_for(executor_kind: str, name: str) -> Target:
    target = targets().get(name)
    if target is None:
        raise NotConfigured(
            format_lazy(
                gettext_lazy("no target named {name} in the targets file {file}"),
                name=repr(name),
                file=settings.TARGETS_FILE,
            )
        )
    if target.kind not in TARGET_KINDS.get(executor_kind, set()):
        raise NotConfigured(
            format_lazy(
                gettext_lazy("a {executor} step cannot run on {name}, a {kind} target"),
                executor=executor_kind,
                name=repr(name),
                kind=target.kind,
            )
        )
    return target


def target_address(name: str) -> dict:
    """Where a target points (host, port, database, bucket, URL …), without its credentials."""
    target = targets().get(name)
    if target is None:
        return {"name": name}
    address = target.model_dump(exclude={"credentials", "description"}, exclude_defaults=True)
    via = targets().get(target.via) if target.via else None
    if via is not None:
        address["via"] = via.model_dump(
            exclude={"credentials", "description"}, exclude_defaults=True
        )
    return address


def resolve_credential(reference: str) -> str:
    """The value a credential reference names; ``NotConfigured`` says where to set it, in lazy
    text that whoever stores it renders in the site's language."""
    scheme, _, rest = reference.partition(":")
    if scheme == "env":
        value = os.environ.get(rest)
        if value is None:
            raise NotConfigured(
                format_lazy(
                    gettext_lazy("set the environment variable {name} on the worker"), name=rest
                )
            )
        return value
    if scheme == "file":
        try:
            return Path(rest).read_text().rstrip("\n")
        except OSError as exc:
            raise NotConfigured(
                format_lazy(
                    gettext_lazy("the file {path} cannot be read on the worker ({why})"),
                    path=rest,
                    why=exc.strerror,
                )
            ) from None
    raise NotConfigured(
        format_lazy(
            gettext_lazy("credential reference {reference} is not env: or file:"),
            reference=repr(reference),
        )
    )


def build_executor(
    kind: str, *, timeout: int, target: str = "local", resolve: bool = True
) -> BuiltExecutor:
    """The executor for a step; ``resolve=False`` builds it for rendering only (no secrets)."""
    if kind == "manual":
        return BuiltExecutor(ManualExecutor())
    spec = target_for(kind, target)
    secrets = _credentials(spec, resolve)
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ExecutorError(format_lazy(gettext_lazy("unknown executor {kind}"), kind=repr(kind)))
    return BuiltExecutor(
        builder(spec, secrets, timeout, resolve), [v for v in secrets.values() if v]
    )


def _credentials(target: Target, resolve: bool) -> dict[str, str]:
    """Resolved credential values, or none when the executor is built only to render a step."""
    if not resolve:
        return {}
    values = {}
    for name, reference in target.credentials.items():
        try:
            values[name] = resolve_credential(reference)
        except NotConfigured as exc:
            raise NotConfigured(
                format_lazy(
                    gettext_lazy("{target} has no {name}: {why}"),
                    target=target.name,
                    name=name,
                    why=exc.args[0],
                )
            ) from None
    return values


def _shell(target: Target, secrets: dict, timeout: int, resolve: bool = True) -> ShellExecutor:
    return ShellExecutor(timeout=timeout, kill_grace=settings.STEP_KILL_GRACE)


def _ssh_target(target: Target, secrets: dict) -> SSHTarget:
    return SSHTarget(
        host=target.host,
        user=target.user,
        port=target.port or 22,
        known_hosts=target.known_hosts or settings.SSH_KNOWN_HOSTS,
        trust_on_first_use=target.trust_on_first_use,
        private_key=secrets.get("private_key"),
        password=secrets.get("password"),
    )


def _ssh(target: Target, secrets: dict, timeout: int, resolve: bool = True) -> SSHExecutor:
    return SSHExecutor(
        target=_ssh_target(target, secrets), timeout=timeout, kill_grace=settings.STEP_KILL_GRACE
    )


def _postgres(
    target: Target, secrets: dict, timeout: int, resolve: bool = True
) -> PostgresExecutor:
    pg = PostgresTarget(
        host=target.host,
        port=target.port or 5432,
        user=target.user,
        dbname=target.dbname,
        password=secrets.get("password"),
        sslmode=target.sslmode,
    )
    backups = None
    if target.backups:
        bucket = targets().get(target.backups)
        if bucket is None or bucket.kind != "s3":
            raise ExecutorError(
                format_lazy(
                    gettext_lazy("backups target {name} is not an s3 target"),
                    name=repr(target.backups),
                )
            )
        bucket_secrets = _credentials(bucket, resolve)
        secrets.update({f"backups_{k}": v for k, v in bucket_secrets.items()})
        backups = _s3(bucket, bucket_secrets, timeout)
    return PostgresExecutor(target=pg, timeout=timeout, backups=backups, env=os.environ)


def _s3(target: Target, secrets: dict, timeout: int, resolve: bool = True) -> S3Executor:
    s3 = S3Target(
        bucket=target.bucket,
        endpoint_url=target.endpoint_url,
        region=target.region,
        access_key=secrets.get("access_key"),
        secret_key=secrets.get("secret_key"),
    )
    return S3Executor(target=s3, timeout=timeout)


def _http(target: Target, secrets: dict, timeout: int, resolve: bool = True) -> HTTPExecutor:
    headers = {"Authorization": f"Bearer {secrets['token']}"} if secrets.get("token") else {}
    return HTTPExecutor(timeout=timeout, base_url=target.base_url, headers=headers)


def _docker(target: Target, secrets: dict, timeout: int, resolve: bool = True) -> DockerExecutor:
    remote = None
    if target.via:
        via = targets()[target.via]
        via_secrets = _credentials(via, resolve)
        secrets.update({f"via_{k}": v for k, v in via_secrets.items()})
        remote = lambda: _ssh(via, via_secrets, timeout)  # noqa: E731
    return DockerExecutor(
        timeout=timeout,
        compose_dir=target.compose_dir,
        remote=remote,
        kill_grace=settings.STEP_KILL_GRACE,
        docker=settings.DOCKER_BIN,
    )


_BUILDERS = {
    "shell": _shell,
    "ssh": _ssh,
    "postgres": _postgres,
    "s3": _s3,
    "http": _http,
    "docker": _docker,
}
