"""The contacts page: everyone logged in reads it, commanders edit it, bad input changes nothing."""

import re

import pytest
from django.test import Client

from incident_console.incidents.models import Contact

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def row_of(html: str, role: str) -> str:
    return re.search(rf'<tr [^>]*data-contact="{role}".*?</tr>', html, re.DOTALL).group(0)


def details(contact: Contact) -> dict:
    return {
        name: getattr(contact, name) for name in ("name", "phone", "email", "telegram", "notes")
    }


@pytest.fixture
def lead():
    return Contact.objects.get(role="Lead DevOps")


@pytest.fixture
def filled_lead(lead):
    Contact.objects.filter(pk=lead.pk).update(
        name="Ivan Petrov",
        phone="+7 900 123-45-67",
        email="ivan@example.com",
        telegram="@ivan_ops",
        slack="ivan",
    )
    return Contact.objects.get(pk=lead.pk)


def test_a_viewer_reads_the_escalation_levels_in_order_with_who_is_on_each(viewer):
    html = client_for(viewer).get("/contacts/").content.decode()
    levels = re.findall(r'data-level="(\d+)"', html)
    assert levels == ["1", "2", "3"]
    level_one = html[html.index('data-level="1"') : html.index('data-level="2"')]
    assert "L1 DevOps on call" in level_one
    assert "Lead DevOps" in level_one and "Backup DevOps" in level_one
    assert "Tech Lead" not in level_one


def test_a_contact_still_empty_or_holding_the_seeds_placeholder_is_not_filled_in(viewer, lead):
    Contact.objects.filter(pk=lead.pk).update(name="[ИМЯ]", phone="[ТЕЛЕФОН]")
    html = client_for(viewer).get("/contacts/").content.decode()
    assert row_of(html, "Lead DevOps").count("not filled in") == 3
    assert row_of(html, "AWS Support").count("not filled in") == 0, "a provider has its page"
    assert 'href="https://aws.amazon.com/support/"' in row_of(html, "AWS Support")


def test_a_filled_in_contact_shows_phone_as_a_tel_link_and_every_handle(viewer, filled_lead):
    row = row_of(client_for(viewer).get("/contacts/").content.decode(), "Lead DevOps")
    assert "not filled in" not in row
    assert '<a href="tel:+7900123-45-67">+7 900 123-45-67</a>' in row
    assert 'href="https://t.me/ivan_ops"' in row and "@ivan_ops" in row
    assert "@ivan" in row
    assert '<a href="mailto:ivan@example.com">ivan@example.com</a>' in row


def test_the_page_says_which_notification_channels_are_not_configured(viewer, settings):
    settings.SLACK_WEBHOOK_URL = ""
    html = client_for(viewer).get("/contacts/").content.decode()
    assert "SLACK_WEBHOOK_URL is not set" in html


def test_the_top_bar_links_to_the_contacts_page(viewer):
    html = client_for(viewer).get("/").content.decode()
    assert '<a href="/contacts/">Contacts</a>' in html


def test_only_commanders_see_edit_links(user, responder):
    assert "/edit/" in client_for(user).get("/contacts/").content.decode()
    assert "/edit/" not in client_for(responder).get("/contacts/").content.decode()


def test_a_commander_fills_in_a_contact(user, lead):
    response = client_for(user).post(
        f"/contacts/{lead.pk}/edit/",
        {
            "name": "Ivan Petrov",
            "phone": "+7 (900) 123-45-67",
            "email": "ivan@example.com",
            "telegram": "@ivan_ops",
            "slack": "U012AB3CD",
            "url": "",
            "notes": "",
        },
    )
    assert response.status_code == 302 and response.url == "/contacts/"
    lead.refresh_from_db()
    assert (lead.name, lead.phone, lead.telegram, lead.slack) == (
        "Ivan Petrov",
        "+7 (900) 123-45-67",
        "@ivan_ops",
        "U012AB3CD",
    )
    assert lead.not_filled_in == []


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_a_responder_or_viewer_may_not_edit_a_contact(make_user, lead, role):
    client = client_for(make_user("someone", role))
    assert client.get(f"/contacts/{lead.pk}/edit/").status_code == 403
    response = client.post(f"/contacts/{lead.pk}/edit/", {"name": "Mallory", "phone": "+1 555"})
    assert response.status_code == 403
    assert "Editing contacts needs the commander role." in response.content.decode()
    lead.refresh_from_db()
    assert lead.name == ""


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("phone", "call me maybe", "Enter a phone number"),
        ("phone", "+7 12", "Enter a phone number"),
        ("phone", "[ТЕЛЕФОН]", "Still the runbook&#x27;s placeholder"),
        ("name", "[ИМЯ]", "Still the runbook&#x27;s placeholder"),
        ("email", "ivan@", "Enter a valid email address."),
        ("telegram", "@ab", "Enter a Telegram username"),
        ("telegram", "ivan ops", "Enter a Telegram username"),
        ("slack", "ivan petrov", "Enter a Slack handle or member ID"),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(user, filled_lead, field, value, error):
    good = {
        "name": "Someone Else",
        "phone": "+7 900 000-00-00",
        "email": "else@example.com",
        "telegram": "@someone_else",
        "slack": "someone",
        "url": "",
        "notes": "changed",
    }
    response = client_for(user).post(f"/contacts/{filled_lead.pk}/edit/", {**good, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert re.search(rf'data-field="{field}">{re.escape(error)}', html)
    assert details(Contact.objects.get(pk=filled_lead.pk)) == details(filled_lead)


def test_a_manual_step_that_says_to_call_someone_links_to_the_contacts_page(make_incident, viewer):
    incident = make_incident("database-down")
    html = client_for(viewer).get(f"/incidents/{incident.pk}/").content.decode()
    card = re.search(r'id="step-escalate-devops-lead".*?</li>', html, re.DOTALL).group(0)
    assert "(contacts page)" in card
    assert '<a href="/contacts/"' in card
    first = re.search(r'<li class="step card[^>]*>.*?</li>', html, re.DOTALL).group(0)
    assert '<a href="/contacts/"' not in first, "a step that runs a command gets no link"


def test_the_incident_page_links_to_contacts_beside_escalate(incident, responder):
    html = client_for(responder).get(f"/incidents/{incident.pk}/").content.decode()
    escalate = re.search(r'<form data-form="escalate">.*?</form>', html, re.DOTALL).group(0)
    assert 'href="/contacts/"' in escalate
    assert 'data-role="escalate-preview"' in escalate


def test_a_viewers_read_only_incident_page_still_links_to_contacts(incident, viewer):
    html = client_for(viewer).get(f"/incidents/{incident.pk}/").content.decode()
    read_only = re.search(r'<p class="read-only".*?</p>', html, re.DOTALL).group(0)
    assert 'href="/contacts/"' in read_only
