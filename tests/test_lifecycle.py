"""An incident's lifecycle, notes, commander and impact, the review list and the postmortem."""

import pytest

from incident_console.incidents.models import Incident

pytestmark = pytest.mark.django_db


def move(client, incident, to, note=""):
    return client.post(
        f"/api/incidents/{incident.pk}/transition/", {"status": to, "note": note}, format="json"
    )


def test_an_incident_moves_from_open_to_closed_with_every_step_on_the_timeline(
    api_client, incident
):
    for status in ("acknowledged", "mitigated", "resolved", "closed"):
        response = move(api_client, incident, status, note=f"now {status}")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    incident.refresh_from_db()
    assert (
        incident.acknowledged_at
        <= incident.mitigated_at
        <= incident.resolved_at
        <= incident.closed_at
    )
    changes = list(
        incident.timeline.filter(kind="status_changed").values_list("message", flat=True)
    )
    assert changes == [
        "open → acknowledged: now acknowledged",
        "acknowledged → mitigated: now mitigated",
        "mitigated → resolved: now resolved",
        "resolved → closed: now closed",
    ]


@pytest.mark.parametrize(
    ("start", "to"),
    [("open", "closed"), ("resolved", "mitigated"), ("closed", "resolved"), ("open", "open")],
)
def test_a_move_that_makes_no_sense_is_refused_and_changes_nothing(api_client, incident, start, to):
    Incident.objects.filter(pk=incident.pk).update(status=start)
    response = move(api_client, incident, to)
    assert response.status_code == 409
    assert f"cannot become {to}" in response.json()["detail"]
    assert Incident.objects.get(pk=incident.pk).status == start
    assert not incident.timeline.filter(kind="status_changed").exists()


def test_an_unknown_status_is_a_400(api_client, incident):
    assert move(api_client, incident, "exploded").status_code == 400


def test_a_closed_incident_can_be_reopened(api_client, incident):
    for status in ("resolved", "closed", "open"):
        assert move(api_client, incident, status).status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, incident.closed_at) == ("open", None, None)
    assert incident.timeline.filter(message__startswith="Reopened").count() == 1


def test_a_responder_may_acknowledge_but_not_resolve(make_api_client, responder, incident):
    client = make_api_client(responder)
    assert move(client, incident, "acknowledged").status_code == 200
    response = move(client, incident, "resolved")
    assert response.status_code == 403
    assert "commander" in response.json()["detail"]


def test_notes_go_on_the_timeline_and_an_empty_note_is_refused(api_client, incident, user):
    response = api_client.post(
        f"/api/incidents/{incident.pk}/notes/", {"text": "Disk at 99%"}, format="json"
    )
    assert response.status_code == 201
    assert incident.timeline.get(kind="note").message == "Disk at 99%"
    assert (
        api_client.post(
            f"/api/incidents/{incident.pk}/notes/", {"text": " "}, format="json"
        ).status_code
        == 400
    )


def test_the_commander_sets_the_impact_and_hands_over_command(
    api_client, incident, second_commander
):
    response = api_client.post(
        f"/api/incidents/{incident.pk}/update_details/",
        {"commander": "carol", "impact": "Orders cannot be created"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["commander"], response.json()["impact"]) == (
        "carol",
        "Orders cannot be created",
    )
    assert "commander alice → carol" in incident.timeline.get(kind="updated").message
    bad = api_client.post(
        f"/api/incidents/{incident.pk}/update_details/", {"commander": "nobody"}, format="json"
    )
    assert bad.status_code == 400


def test_the_review_list_filters_by_scenario_severity_status_date_and_words(
    api_client, make_incident
):
    disk = make_incident("disk-full", title="db1 disk", severity="sev1")
    make_incident("test-drill", title="drill")
    Incident.objects.filter(pk=disk.pk).update(status="resolved")

    def ids(query):
        response = api_client.get(f"/api/incidents/?{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("scenario=disk-full") == [disk.pk]
    assert ids("severity=sev1&status=resolved") == [disk.pk]
    assert ids("q=db1") == [disk.pk]
    assert len(ids("opened_after=2020-01-01")) == 2
    assert ids("opened_before=2020-01-01") == []
    assert api_client.get("/api/incidents/?opened_after=yesterday").status_code == 400


def test_the_postmortem_has_summary_impact_timeline_steps_sla_and_actions(api_client, incident):
    # Nothing is handed to the workers: the test's transaction never commits.
    api_client.post(f"/api/incidents/{incident.pk}/steps/count/run/", {}, format="json")
    api_client.post(
        f"/api/incidents/{incident.pk}/update_details/",
        {"impact": "Nobody can log in"},
        format="json",
    )
    api_client.post(
        f"/api/incidents/{incident.pk}/notes/",
        {"text": "TODO: alert on disk at 80%"},
        format="json",
    )
    for status in ("acknowledged", "resolved"):
        move(api_client, incident, status)
    response = api_client.get(f"/api/incidents/{incident.pk}/postmortem/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith(f"# Postmortem: #{incident.pk} drill")
    for part in (
        "## Summary",
        "## Impact\n\nNobody can log in",
        "## Timeline",
        "## Steps run",
        "| Print numbered lines | local | alice | queued |",
        "## RTO / RPO",
        "- RTO 4 h: met: recovered in 0 min",
        "## Contacts notified",
        "## Root cause\n\n_Not written yet._",
        "## Action items",
        "- [ ] TODO: alert on disk at 80% (from a note)",
    ):
        assert part in text, part
