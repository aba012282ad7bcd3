"""What pages show about targets, from stored checks: reading never probes a target."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from incident_console.runs.executors import targets
from incident_console.targets.models import TargetCheck

DEFAULT_PORTS = {"ssh": 22, "postgres": 5432}


def target_host(name: str) -> str:
    """Where a target really is, as a person reads it (in the active language): a host, a
    database, a bucket, a URL."""
    target = targets().get(name)
    if target is None:
        return ""
    if target.kind in DEFAULT_PORTS:
        port = (
            f":{target.port}" if target.port and target.port != DEFAULT_PORTS[target.kind] else ""
        )
        database = f"/{target.dbname}" if target.dbname else ""
        return f"{target.host}{port}{database}"
    if target.kind == "s3":
        return f"s3://{target.bucket}"
    if target.kind == "http":
        return target.base_url or ""
    if target.kind == "docker" and target.via:
        return _("{compose_dir} on {host}").format(
            compose_dir=target.compose_dir or "docker", host=target_host(target.via)
        )
    return _("the console's own host")


def target_checks() -> list[dict]:
    """Every target of the targets file with its last check (None: never checked)."""
    stored = {check.name: check for check in TargetCheck.objects.all()}
    return [
        {"target": target, "host": target_host(name), "check": stored.get(name)}
        for name, target in sorted(targets().items())
    ]


def target_check_of(name: str) -> TargetCheck | None:
    return TargetCheck.objects.filter(name=name).first()


def targets_stale() -> list[str]:
    """Targets never checked, or not checked within TARGET_CHECK_MAX_AGE seconds."""
    fresh_since = timezone.now() - timedelta(seconds=settings.TARGET_CHECK_MAX_AGE)
    fresh = set(
        TargetCheck.objects.filter(checked_at__gte=fresh_since).values_list("name", flat=True)
    )
    return [name for name in targets() if name not in fresh]
