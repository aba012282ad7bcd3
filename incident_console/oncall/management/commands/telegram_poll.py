import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incident_console.oncall.telegram import telegram_poll_once


class Command(BaseCommand):
    help = (
        "Read the Telegram bot's button presses by long polling (getUpdates) and acknowledge "
        "the pages they answer; runs until stopped, or once with --once.  Needs "
        "TELEGRAM_POLL=command, which stops the beat tick from polling too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One poll, then exit.")

    def handle(self, *args, once: bool = False, **options):
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set")
        if settings.TELEGRAM_POLL != "command":
            raise CommandError(
                "TELEGRAM_POLL is not 'command': the beat tick reads the bot's updates, and "
                "Telegram refuses two readers at once (409). Set TELEGRAM_POLL=command to "
                "long-poll here instead."
            )
        while True:
            handled = telegram_poll_once(wait=settings.TELEGRAM_POLL_WAIT)
            if once:
                self.stdout.write(f"{handled} update(s)")
                return
            if not handled:
                # Nothing, or Telegram unreachable (which returns at once): no busy loop.
                time.sleep(1)
