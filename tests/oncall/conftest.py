"""A site whose level 1 rotates Lead DevOps (primary this week) and Backup DevOps, paging SEV3
after 5 minutes; Slack, a fake Telegram Bot API and SMTP on loopback."""

from __future__ import annotations

import pytest

from incident_console.incidents.models import Contact
from incident_console.notifications import services
from tests.oncall.sites import BOT_TOKEN, rotating_site
from tests.servers import start_recorder, start_smtp


@pytest.fixture
def oncall_site(settings, tmp_path):
    site = rotating_site(tmp_path, "{sev3: 5}")
    settings.SITE_DIR = site
    return site


@pytest.fixture
def paging_channels(settings, oncall_site, telegram, monkeypatch):
    """Every channel configured, sent by ``send_all`` (not by background threads)."""
    slack_url, slack = start_recorder()
    controller, inbox = start_smtp()
    settings.SLACK_WEBHOOK_URL = f"{slack_url}/services/T000/B000/slack-secret-part"
    settings.SLACK_SIGNING_SECRET = "slack-signing-secret-for-tests"
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_CHAT_ID = "-100200300"
    settings.TELEGRAM_API_URL = telegram.url
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.CONSOLE_URL = "http://console.test"
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)
    people = {
        "Lead DevOps": ("Ivan", "ivan@ringo.example.com", "ivan_ops", "ivan"),
        "Backup DevOps": ("Petr", "petr@ringo.example.com", "petr_ops", "petr"),
    }
    for role, (name, email, handle, slack_handle) in people.items():
        Contact.objects.filter(role=role).update(
            name=name, email=email, telegram=handle, slack=slack_handle
        )
    yield {"slack": slack, "inbox": inbox, "telegram": telegram}
    slack.shutdown()
    controller.stop()


def send_all() -> int:
    return services.notifications_send_due()
