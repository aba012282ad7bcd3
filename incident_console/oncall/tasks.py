"""On-call's Celery tasks: thin, each imports its service when it runs."""

from celery import shared_task


@shared_task(name="oncall.tick")
def tick() -> dict:
    """Every few seconds: page the next person of each page whose wait ran out, and read the
    Telegram buttons pressed since (without waiting: `manage.py telegram_poll` long-polls)."""
    from incident_console.oncall.paging import pages_advance_due
    from incident_console.oncall.telegram import telegram_poll_once

    return {"pages": pages_advance_due(), "telegram": telegram_poll_once(wait=0)}
