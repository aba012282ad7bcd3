from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from incident_console.runs.models import Target
from runbooks.loader import RunbookError
from runbooks.targets import load_targets


def targets_sync() -> tuple[list[str], list[RunbookError]]:
    """Mirror the targets file into the Target table for the admin; return names and errors."""
    path = Path(settings.TARGETS_FILE) if settings.TARGETS_FILE else None
    loaded, errors = load_targets(path)
    with transaction.atomic():
        for name, target in loaded.items():
            data = target.model_dump(exclude={"name", "kind", "description", "credentials"})
            Target.objects.update_or_create(
                name=name,
                defaults={
                    "kind": target.kind,
                    "description": target.description,
                    "settings": {k: v for k, v in data.items() if v not in (None, "", False)},
                    "credentials": target.credentials,
                    "is_active": True,
                },
            )
        Target.objects.exclude(name__in=loaded).update(is_active=False)
    return sorted(loaded), errors
