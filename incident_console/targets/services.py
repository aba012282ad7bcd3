"""Check every target of the targets file, in parallel, and keep each one's last result.

Checks run in the process that asks (the Targets page, ``manage.py check_targets``) with the
credentials that process resolves: the worker's, where web and worker share one environment.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from executors import ExecutorError, NotConfigured
from executors.masking import mask_all
from executors.readiness import NOT_CONFIGURED, UNREACHABLE, Readiness, probe
from incident_console.i18n import in_site_language
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
            # Stored once, read by everyone: in the site's language, as the timeline is.
            "reason": in_site_language(readiness.reason),
            "checked_at": now,
        },
    )
    return check


def target_readiness(target: Target) -> Readiness:
    """Ready, unreachable or not configured, and why; never a secret in the reason.  The
    reason may be lazy text: ``_store`` writes it in the site's language."""
    timeout = settings.TARGET_CHECK_TIMEOUT
    try:
        _require_login(target)
        built = build_executor(EXECUTOR_OF_KIND[target.kind], timeout=timeout, target=target.name)
    except NotConfigured as exc:
        return Readiness(NOT_CONFIGURED, in_site_language(exc))
    except ExecutorError as exc:
        return Readiness(UNREACHABLE, in_site_language(exc))
    if target.via:
        through = target_readiness(targets()[target.via])
        if not through.is_ready:
            why = format_lazy(
                gettext_lazy("through {via}: {reason}"), via=target.via, reason=through.reason
            )
            return Readiness(through.state, why)
    found = probe(built.executor, timeout=timeout, health_path=target.health_path)
    return Readiness(found.state, mask_all(found.reason, built.secrets))


def _require_login(target: Target) -> None:
    if target.kind == "ssh" and not target.credentials:
        raise NotConfigured(
            format_lazy(
                gettext_lazy(
                    "{target} has no private_key or password: add "
                    '`credentials: {{private_key: "file:PATH"}}` to it in {file}'
                ),
                target=target.name,
                file=str(settings.TARGETS_FILE),
            )
        )
