"""On-call's Celery tasks: thin, each imports its service when it runs."""

from celery import shared_task
from django.conf import settings


@shared_task(name="oncall.tick")
def tick() -> dict:
    """Every few seconds: page the next person of each page whose wait ran out, and read the
    Telegram buttons pressed since, without waiting (unless TELEGRAM_POLL=command: then
    `manage.py telegram_poll` long-polls, and a second reader would get 409 Conflict)."""
    from incident_console.oncall.paging import pages_advance_due
    from incident_console.oncall.telegram import telegram_poll_once

    polls = settings.TELEGRAM_POLL == "beat"
    return {"pages": pages_advance_due(), "telegram": telegram_poll_once(wait=0) if polls else 0}
