"""The whole loop against real servers on loopback: an incident pages the primary on call, no
answer pages the secondary, a Telegram button acknowledges, and nobody else is paged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incident_console.oncall.paging import page_reroute, page_silence, pages_advance_due
from incident_console.oncall.telegram import telegram_poll_once
from tests.oncall.conftest import send_all

pytestmark = pytest.mark.django_db


def later(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


def page_messages(telegram) -> list[dict]:
    return [m for m in telegram.messages if "reply_markup" in m]


def test_an_unanswered_page_goes_to_the_secondary_and_a_telegram_button_stops_it(
    paging_channels, make_incident, django_capture_on_commit_callbacks
):
    telegram, slack = paging_channels["telegram"], paging_channels["slack"]
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident("test-drill")
    send_all()
    [first] = page_messages(telegram)
    assert "paging Lead DevOps (Ivan) — primary, L1" in first["text"]
    assert "@ivan_ops" in first["text"] and "http://console.test/ack/" in first["text"]

    assert pages_advance_due(now=later(4)) == 0, "the primary still has a minute"
    with django_capture_on_commit_callbacks(execute=True):
        assert pages_advance_due(now=later(6)) == 1
    send_all()
    [_, second] = page_messages(telegram)
    assert "paging Backup DevOps (Petr) — secondary, L1" in second["text"]

    telegram.press(second, username="petr_ops", first_name="Petr")
    with django_capture_on_commit_callbacks(execute=True):
        assert telegram_poll_once() == 1
    assert telegram.answers[-1]["text"] == f"Acknowledged: #{incident.pk}"
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.page.status == "acknowledged"
    assert incident.page.acknowledged_by == "Petr (@petr_ops)"
    said = incident.timeline.filter(kind="escalated").values_list("message", flat=True)
    assert list(said) == [
        "Paged Lead DevOps (Ivan) — primary, L1",
        "No acknowledgement in 5 min: paged Backup DevOps (Petr) — secondary, L1",
        "Page acknowledged by Petr (@petr_ops) through the Telegram button",
    ]
    assert incident.escalation_timers.get(rule_id="unacknowledged-3s").status == "stopped"

    sent_before = len(telegram.messages) + len(slack.received)
    assert pages_advance_due(now=later(60)) == 0
    assert send_all() == 0
    assert len(telegram.messages) + len(slack.received) == sent_before, "timers stopped"
    assert telegram_poll_once() == 0, "the press was confirmed: not read twice"


def test_every_page_carries_its_acknowledgement_on_every_channel(paging_channels, make_incident):
    make_incident("test-drill")
    send_all()
    telegram, slack, inbox = (paging_channels[k] for k in ("telegram", "slack", "inbox"))
    [page] = page_messages(telegram)
    assert page["chat_id"] == "-100200300", "the group chat, not only a person"
    assert page["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("ack:")
    slack_page = next(json.loads(r["body"]) for r in slack.received if "paging" in r["body"])
    assert slack_page["channel"] == "#ringo-alerts-critical"
    [button] = slack_page["blocks"][1]["elements"]
    assert button["action_id"] == "ack" and button["value"]
    emailed = [m for m in inbox.messages if "paging" in m["Subject"]]
    assert sorted(m["To"] for m in emailed) == [
        "ivan@ringo.example.com",
        "oncall@ringo.example.com",
    ]
    assert all("http://console.test/ack/" in m.get_payload() for m in emailed)


def test_the_log_shows_each_page_message_as_sent_delivered_or_failed_then_acknowledged(
    paging_channels, make_incident, client, user
):
    paging_channels["slack"].fail_next = [500] * 10
    incident = make_incident("test-drill")
    send_all()
    receipts = {row.channel: row.receipt for row in incident.notifications.exclude(ack_nonce="")}
    assert receipts == {"telegram": "delivered", "email": "sent", "slack": "pending"}
    client.force_login(user)
    page = client.get("/oncall/").content.decode()
    assert 'data-receipt="delivered"' in page and 'data-receipt="sent"' in page


def test_a_commander_silences_a_page_and_nobody_else_is_paged(paging_channels, make_incident, user):
    incident = make_incident("test-drill")
    page_silence(page=incident.page, actor=user)
    assert pages_advance_due(now=later(60)) == 0
    assert incident.timeline.filter(kind="escalated").last().message == "Paging silenced"


def test_a_commander_reroutes_a_page_to_someone_and_the_chain_carries_on(
    paging_channels, make_incident, user
):
    from incident_console.incidents.models import Contact

    incident = make_incident("test-drill")
    tech_lead = Contact.objects.get(role="Tech Lead")
    page = page_reroute(page=incident.page, contact=tech_lead, actor=user)
    assert page.current == {"level": 1, "duty": "rerouted", "roles": ["Tech Lead"]}
    assert page.chain[page.step + 1]["roles"] == ["Backup DevOps"]
    last = incident.timeline.filter(kind="escalated").last()
    assert last.message == "Paged Tech Lead — re-routed by a commander, L1" and last.actor == user


def test_a_severity_the_site_does_not_page_opens_no_page(paging_channels, make_incident):
    from incident_console.oncall.models import Page

    incident = make_incident("approval-drill")  # sev4: not in ack_minutes
    assert not Page.objects.filter(incident=incident).exists()
