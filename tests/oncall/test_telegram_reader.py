"""Exactly one reader of the bot's updates: the beat tick, or `manage.py telegram_poll`
(TELEGRAM_POLL), since Telegram answers 409 Conflict to a getUpdates overlapping another."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from incident_console.env import env_choice
from incident_console.oncall.tasks import tick
from tests.oncall.conftest import send_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def pressed(paging_channels, make_incident):
    """A page to the primary whose Telegram button has been pressed, not yet read."""
    incident = make_incident("test-drill")
    send_all()
    telegram = paging_channels["telegram"]
    [page] = [m for m in telegram.messages if "reply_markup" in m]
    telegram.press(page, username="ivan_ops", first_name="Ivan")
    return incident, telegram


def test_the_tick_reads_the_buttons_by_default(pressed, settings):
    incident, telegram = pressed
    assert settings.TELEGRAM_POLL == "beat"
    assert tick()["telegram"] == 1
    incident.refresh_from_db()
    assert incident.status == "acknowledged"


def test_the_tick_leaves_the_updates_to_the_command_when_told_to(pressed, settings):
    incident, telegram = pressed
    settings.TELEGRAM_POLL = "command"
    assert tick() == {"pages": 0, "telegram": 0}
    assert telegram.polls == [], "the tick called getUpdates"
    incident.refresh_from_db()
    assert incident.status == "open"

    call_command("telegram_poll", "--once", stdout=StringIO())
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert len(telegram.polls) == 1


def test_the_command_refuses_to_poll_beside_the_tick(pressed, settings):
    _, telegram = pressed
    with pytest.raises(CommandError, match="TELEGRAM_POLL"):
        call_command("telegram_poll", "--once")
    assert telegram.polls == []


def test_an_unknown_reader_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("TELEGRAM_POLL", "both")
    with pytest.raises(ImproperlyConfigured, match="TELEGRAM_POLL must be one of beat, command"):
        env_choice("TELEGRAM_POLL", "beat", ("beat", "command"))
