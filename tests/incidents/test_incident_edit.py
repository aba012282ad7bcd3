"""Commanders change an incident's title, severity, commander and communications lead."""

import pytest

from incident_console.incidents.models import TimelineEntry

pytestmark = pytest.mark.django_db


def update(client, incident, **changes):
    return client.post(f"/api/incidents/{incident.pk}/update_details/", changes, format="json")


def test_each_change_goes_on_the_timeline_as_old_to_new(api_client, incident, second_commander):
    response = update(api_client, incident, severity="sev1", title="db1 full", commander="carol")
    assert response.status_code == 200, response.json()
    assert (response.json()["severity"], response.json()["title"]) == ("sev1", "db1 full")
    entry = incident.timeline.filter(kind=TimelineEntry.Kind.UPDATED).get()
    assert entry.message == (
        "Changed commander alice → carol; severity sev3 → sev1; title drill → “db1 full”"
    )
    assert entry.data["changes"]["severity"] == ["sev3", "sev1"]


def test_a_commander_names_a_communications_lead(api_client, incident, responder):
    response = update(api_client, incident, comms_lead="rita")
    assert response.status_code == 200
    assert response.json()["comms_lead"] == "rita"
    entry = incident.timeline.filter(kind=TimelineEntry.Kind.UPDATED).get()
    assert entry.message == "Changed communications lead — → rita"
    cleared = update(api_client, incident, comms_lead="")
    assert cleared.json()["comms_lead"] is None


def test_only_a_commander_may_lead_an_incident(api_client, incident, responder):
    response = update(api_client, incident, commander="rita")
    assert response.status_code == 400
    assert response.json()["fields"]["commander"] == "rita does not have the commander role"


def test_an_unchanged_value_is_refused_as_nothing_to_change(api_client, incident):
    response = update(api_client, incident, severity=incident.severity)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("nothing to change")


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_responders_and_viewers_are_refused_with_a_clear_message(
    make_api_client, make_user, incident, role
):
    client = make_api_client(make_user("someone", role))
    response = update(client, incident, severity="sev1", comms_lead="someone")
    assert response.status_code == 403
    assert response.json()["detail"] == "changing the incident needs the commander role"
    incident.refresh_from_db()
    assert (incident.severity, incident.comms_lead) == ("sev3", None)


def test_the_page_shows_the_edit_form_to_commanders_only(client, user, responder, incident):
    client.force_login(user)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'data-form="incident-edit"' in page
    assert "Communications lead: <strong" in page
    client.force_login(responder)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'data-form="incident-edit"' not in page
