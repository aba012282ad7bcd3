"""Commanders' overrides of the rotation."""

from __future__ import annotations

import logging

from incident_console.accounts.roles import COMMAND, require
from incident_console.oncall.models import RotationOverride

log = logging.getLogger(__name__)


def override_add(*, fields: dict, actor) -> RotationOverride:
    """Save a commander's override (already validated by its form)."""
    require(actor, COMMAND, "changing the on-call rotation")
    override = RotationOverride.objects.create(created_by=actor, **fields)
    log.info("on-call override added by %s: %s", actor.username, override)
    return override


def override_remove(*, override: RotationOverride, actor) -> None:
    require(actor, COMMAND, "changing the on-call rotation")
    log.info("on-call override removed by %s: %s", actor.username, override)
    override.delete()
