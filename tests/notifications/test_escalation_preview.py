"""Before Escalate is pressed: who a role or level reaches, through which channels, and what
will not be sent and why."""

import pytest

from incident_console.incidents.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_slack(settings):
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/slack"
    settings.SLACK_CHANNEL = "#oncall"
    settings.TELEGRAM_BOT_TOKEN = settings.TELEGRAM_CHAT_ID = settings.EMAIL_HOST = ""
    Contact.objects.filter(role="Lead DevOps").update(
        name="Ivan", phone="+7 900 000-00-00", slack="ivan", email="ivan@example.com"
    )


def preview(client, *names):
    query = "&".join(f"notify={name}" for name in names)
    return client.get(f"/api/escalation/preview/?{query}")


def test_a_level_lists_its_people_and_what_reaches_each(only_slack, make_api_client, viewer):
    response = preview(make_api_client(viewer), "level:1")
    assert response.status_code == 200
    body = response.json()
    assert body["channels"] == [
        {"channel": "slack", "to": "#oncall", "why": ""},
        {
            "channel": "telegram",
            "to": "",
            "why": "TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set",
        },
        {"channel": "email", "to": "", "why": "EMAIL_HOST is not set"},
    ]
    backup, lead = body["contacts"]
    assert (backup["role"], backup["name"], backup["phone"]) == ("Backup DevOps", "", "")
    assert backup["not_filled_in"] == ["name", "phone", "email"]
    assert (lead["role"], lead["name"], lead["phone"]) == (
        "Lead DevOps",
        "Ivan",
        "+7 900 000-00-00",
    )
    assert lead["not_filled_in"] == []
    assert lead["channels"] == [
        {"channel": "slack", "to": "@ivan", "why": ""},
        {
            "channel": "telegram",
            "to": "",
            "why": "TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set",
        },
        {"channel": "email", "to": "", "why": "EMAIL_HOST is not set"},
    ]


def test_a_person_without_a_handle_is_told_why_not_on_a_configured_channel(
    only_slack, make_api_client, viewer
):
    [tech_lead] = preview(make_api_client(viewer), "Tech Lead").json()["contacts"]
    assert tech_lead["channels"][0] == {"channel": "slack", "to": "", "why": "no Slack handle"}


def test_a_preview_needs_a_role_or_level(make_api_client, viewer):
    response = make_api_client(viewer).get("/api/escalation/preview/")
    assert response.status_code == 400
    assert "notify" in response.json()["fields"]


def test_a_name_nobody_holds_reaches_only_the_on_call_channels(make_api_client, viewer):
    body = preview(make_api_client(viewer), "Nobody Here").json()
    assert body["contacts"] == []
    assert [channel["channel"] for channel in body["channels"]] == ["slack", "telegram", "email"]
