"""Check every target of the targets file, in parallel, and keep each one's last result.

Checks run in the process that asks (the Targets page, ``manage.py check_targets``) with the
credentials that process resolves: the worker's, where web and worker share one environment.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.utils import timezone

from executors import ExecutorError, NotConfigured
from executors.masking import mask_all
from executors.readiness import NOT_CONFIGURED, UNREACHABLE, Readiness, probe
from incident_console.runs.executors import build_executor, targets
from incident_console.targets.models import TargetCheck
from incident_console.targets.selectors import target_host
from runbooks.targets import Target

EXECUTOR_OF_KIND = {
    "local": "shell",
    "ssh": "ssh",
    "postgres": "postgres",
    "s3": "s3",
    "http": "http",
    "docker": "docker",
}


def targets_check(*, names: list[str] | None = None) -> list[TargetCheck]:
    """Check the targets named (every target by default) at once and store each result."""
    chosen = [t for t in targets().values() if names is None or t.name in names]
    if not chosen:
        return []
    with ThreadPoolExecutor(max_workers=len(chosen), thread_name_prefix="target-check") as pool:
        results = list(pool.map(target_readiness, chosen))
    now = timezone.now()
    return [
        _store(target, readiness, now) for target, readiness in zip(chosen, results, strict=True)
    ]


def _store(target: Target, readiness: Readiness, now) -> TargetCheck:
    check, _ = TargetCheck.objects.update_or_create(
        name=target.name,
        defaults={
            "kind": target.kind,
            "host": target_host(target.name),
            "state": readiness.state,
            "reason": readiness.reason,
            "checked_at": now,
        },
    )
    return check


def target_readiness(target: Target) -> Readiness:
    """Ready, unreachable or not configured, and why; never a secret in the reason."""
    timeout = settings.TARGET_CHECK_TIMEOUT
    try:
        _require_login(target)
        built = build_executor(EXECUTOR_OF_KIND[target.kind], timeout=timeout, target=target.name)
    except NotConfigured as exc:
        return Readiness(NOT_CONFIGURED, str(exc))
    except ExecutorError as exc:
        return Readiness(UNREACHABLE, str(exc))
    if target.via:
        through = target_readiness(targets()[target.via])
        if not through.is_ready:
            return Readiness(through.state, f"through {target.via}: {through.reason}")
    found = probe(built.executor, timeout=timeout, health_path=target.health_path)
    return Readiness(found.state, mask_all(found.reason, built.secrets))


def _require_login(target: Target) -> None:
    if target.kind == "ssh" and not target.credentials:
        raise NotConfigured(
            f"{target.name} has no private_key or password: add "
            '`credentials: {private_key: "file:PATH"}` to it in ' + str(settings.TARGETS_FILE)
        )
