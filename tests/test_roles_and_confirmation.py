"""Who may do what, typed confirmation for destructive steps, and second-person approval."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from incident_console.accounts.roles import role_of
from incident_console.incidents.models import Incident, TimelineEntry, TimelineIsAppendOnly
from incident_console.runs.models import StepRun
from tests.conftest import backup_downloaded

pytestmark = pytest.mark.django_db


def run_url(incident, step_id):
    return f"/api/incidents/{incident.pk}/steps/{step_id}/run/"


def test_a_viewer_reads_everything_but_changes_nothing(make_api_client, viewer, incident):
    client = make_api_client(viewer)
    assert client.get(f"/api/incidents/{incident.pk}/").status_code == 200
    assert client.get(f"/api/incidents/{incident.pk}/timeline/").status_code == 200
    response = client.post(run_url(incident, "count"), {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "running a step needs the responder role"
    assert (
        client.post("/api/incidents/", {"scenario": "test-drill"}, format="json").status_code == 403
    )
    complete = f"/api/incidents/{incident.pk}/steps/call-lead/complete/"
    assert client.post(complete, {"outcome": "done"}, format="json").status_code == 403
    assert not StepRun.objects.exists()
    assert Incident.objects.count() == 1


def test_a_responder_runs_safe_steps_but_not_destructive_ones(make_api_client, responder, incident):
    client = make_api_client(responder)
    assert client.post(run_url(incident, "count"), {}, format="json").status_code == 202
    digest = preview(client, incident, "wipe")["digest"]
    response = client.post(
        run_url(incident, "wipe"), {"confirm": "local", "digest": digest}, format="json"
    )
    assert response.status_code == 403
    assert "commander" in response.json()["detail"]
    assert StepRun.objects.filter(step_id="wipe").count() == 0


def test_a_destructive_step_shows_its_command_and_target_until_the_target_is_typed(
    api_client, incident
):
    response = api_client.post(
        run_url(incident, "wipe"), {"params": {"dir": "/srv/old"}}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "confirmation_required"
    assert (body["command"], body["target"]) == ("echo wiping /srv/old", "local")
    wrong = api_client.post(run_url(incident, "wipe"), {"confirm": "prod"}, format="json")
    assert wrong.status_code == 400
    assert not StepRun.objects.exists()
    right = api_client.post(
        run_url(incident, "wipe"),
        {"params": {"dir": "/srv/old"}, "confirm": "local", "digest": body["digest"]},
        format="json",
    )
    assert right.status_code == 202


def test_the_preview_renders_the_exact_command_and_creates_nothing(api_client, incident):
    response = api_client.post(
        f"/api/incidents/{incident.pk}/steps/echo/preview/",
        {"params": {"value": "a b"}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body.pop("digest")) == 64
    assert body == {
        "step_id": "echo",
        "command": "echo 'a b'",
        "target": "local",
        "host": {"name": "local", "kind": "local"},
        "executor": "shell",
        "destructive": False,
        "requires_approval": False,
        "params": {"value": "a b"},
    }
    assert not StepRun.objects.exists()


@pytest.fixture
def restore_incident(make_incident):
    incident = make_incident("database-down")
    backup_downloaded(incident)
    return incident


def preview(client, incident, step_id, params=None):
    url = f"/api/incidents/{incident.pk}/steps/{step_id}/preview/"
    response = client.post(url, {"params": params or {}}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def request_restore(client, incident):
    digest = preview(client, incident, "restore-backup")["digest"]
    return client.post(
        run_url(incident, "restore-backup"), {"confirm": "prod-db", "digest": digest}, format="json"
    )


def approve(client, run_id):
    digest = client.get(f"/api/runs/{run_id}/").json()["digest"]
    return client.post(f"/api/runs/{run_id}/approve/", {"digest": digest}, format="json")


def test_a_step_that_needs_approval_waits_for_a_second_commander(
    api_client, make_api_client, second_commander, restore_incident
):
    response = request_restore(api_client, restore_incident)
    assert response.status_code == 202 and response.json()["status"] == "awaiting_approval"
    run_id = response.json()["run"]
    own = approve(api_client, run_id)
    assert own.status_code == 403
    assert own.json()["detail"] == "a second person must approve this run"
    approved = approve(make_api_client(second_commander), run_id)
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("queued", "carol")
    entry = restore_incident.timeline.get(kind="run_approved")
    assert entry.actor == second_commander and "Approved" in entry.message
    assert approve(make_api_client(second_commander), run_id).status_code == 409


def test_a_responder_cannot_approve(api_client, make_api_client, responder, restore_incident):
    run_id = request_restore(api_client, restore_incident).json()["run"]
    assert approve(make_api_client(responder), run_id).status_code == 403


def test_a_run_awaiting_approval_blocks_a_second_request_and_can_be_cancelled(
    api_client, restore_incident
):
    run_id = request_restore(api_client, restore_incident).json()["run"]
    assert request_restore(api_client, restore_incident).status_code == 409
    assert api_client.post(f"/api/runs/{run_id}/cancel/").json()["status"] == "cancelled"


@pytest.mark.parametrize("role", ["viewer", "responder", "commander"])
def test_createapitoken_gives_the_role(role):
    out = StringIO()
    call_command("createapitoken", f"bot-{role}", "--role", role, stdout=out)
    user = get_user_model().objects.get(username=f"bot-{role}")
    assert role_of(user) == role
    assert not user.is_superuser
    assert len(out.getvalue().strip()) == 40


def test_the_timeline_is_append_only(api_client, incident):
    entry = incident.timeline.get()
    entry.message = "rewritten"
    with pytest.raises(TimelineIsAppendOnly):
        entry.save()
    with pytest.raises(TimelineIsAppendOnly):
        entry.delete()
    url = f"/api/incidents/{incident.pk}/timeline/"
    assert api_client.put(url, {}, format="json").status_code == 405
    assert api_client.delete(url).status_code == 405
    assert TimelineEntry.objects.get(pk=entry.pk).message.startswith("Opened")


def test_every_run_records_who_the_command_the_target_and_the_runbook_version(
    api_client, incident, user
):
    run_id = api_client.post(
        run_url(incident, "echo"), {"params": {"value": "x"}}, format="json"
    ).json()["run"]
    run = StepRun.objects.get(pk=run_id)
    assert (run.created_by, run.command_display, run.target, run.runbook_version) == (
        user,
        "echo x",
        "local",
        incident.scenario.version,
    )
