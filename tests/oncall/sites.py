"""The site the on-call tests page with, and the fake Telegram bot they page through."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

RINGO = Path(__file__).resolve().parents[2] / "runbooks" / "sites" / "ringo"
BOT_TOKEN = "424242:fake-bot-secret-token"


def rotating_site(directory: Path, ack_minutes: str) -> Path:
    """A copy of the shipped site whose level 1 rotates weekly from this Monday: Lead DevOps
    primary this week, Backup DevOps secondary; ``ack_minutes`` as rotation.yaml writes it."""
    site = directory / "site"
    shutil.copytree(RINGO, site)
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    (site / "rotation.yaml").write_text(
        "rotations:\n"
        "  - level: 1\n"
        "    people: [Lead DevOps, Backup DevOps]\n"
        f"    starts: {monday.isoformat()}\n"
        '    handover: "00:00"\n'
        f"ack_minutes: {ack_minutes}\n"
    )
    return site
