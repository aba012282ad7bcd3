"""A typed confirmation or an approval binds to exactly the command the person reviewed."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from incident_console.runs.models import StepRun
from tests.conftest import backup_downloaded

pytestmark = pytest.mark.django_db


def step_url(incident, step_id, verb):
    return f"/api/incidents/{incident.pk}/steps/{step_id}/{verb}/"


def preview(client, incident, step_id, **params):
    response = client.post(step_url(incident, step_id, "preview"), {"params": params}, "json")
    assert response.status_code == 200, response.json()
    return response.json()


def run(client, incident, step_id, params, **extra):
    body = {"params": params, **extra}
    return client.post(step_url(incident, step_id, "run"), body, format="json")


@pytest.fixture
def moved_targets(tmp_path):
    """Rewrite the targets file between a preview and a run: the database moves host."""

    def move(name: str, host: str) -> None:
        data = yaml.safe_load(Path(settings.TARGETS_FILE).read_text())
        data["targets"][name]["host"] = host
        moved = tmp_path / "targets.yaml"
        moved.write_text(yaml.safe_dump(data))
        settings.TARGETS_FILE = str(moved)

    return move


def test_a_destructive_run_with_values_changed_after_the_preview_is_refused(api_client, incident):
    seen = preview(api_client, incident, "wipe", dir="/srv/keep-30-days")
    response = run(
        api_client,
        incident,
        "wipe",
        {"dir": "/srv/everything"},
        confirm="local",
        digest=seen["digest"],
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "preview_outdated"
    assert body["command"] == "echo wiping /srv/everything"
    assert body["digest"] != seen["digest"]
    assert not StepRun.objects.exists()


def test_a_destructive_run_without_the_previews_digest_is_refused(api_client, incident):
    response = run(api_client, incident, "wipe", {"dir": "/srv/old"}, confirm="local")
    assert response.status_code == 409
    assert response.json()["command"] == "echo wiping /srv/old"
    assert not StepRun.objects.exists()


def test_the_fresh_preview_from_a_refusal_runs_when_confirmed(api_client, incident):
    refused = run(api_client, incident, "wipe", {"dir": "/srv/old"}, confirm="local").json()
    response = run(
        api_client,
        incident,
        "wipe",
        {"dir": "/srv/old"},
        confirm="local",
        digest=refused["digest"],
    )
    assert response.status_code == 202
    stored = StepRun.objects.get(pk=response.json()["run"])
    assert (stored.command_display, stored.digest) == ("echo wiping /srv/old", refused["digest"])


def test_a_confirmation_is_refused_when_the_target_moved_to_another_host(
    api_client, make_incident, moved_targets
):
    incident = make_incident("database-down")
    download = backup_downloaded(incident)
    seen = preview(api_client, incident, "restore-backup")
    moved_targets("prod-db", "db-replacement.internal")
    response = run(
        api_client, incident, "restore-backup", {}, confirm="prod-db", digest=seen["digest"]
    )
    assert response.status_code == 409
    assert response.json()["host"]["host"] == "db-replacement.internal"
    assert list(StepRun.objects.all()) == [download], "no restore run was created"


def test_a_safe_step_sent_with_a_stale_digest_is_refused(api_client, incident):
    seen = preview(api_client, incident, "echo", value="reviewed")
    response = run(api_client, incident, "echo", {"value": "other"}, digest=seen["digest"])
    assert response.status_code == 409
    assert not StepRun.objects.exists()


def test_a_safe_step_without_a_digest_still_runs_with_one_click(api_client, incident):
    assert run(api_client, incident, "echo", {"value": "x"}).status_code == 202


@pytest.fixture
def awaiting_restore(api_client, make_incident):
    incident = make_incident("database-down")
    backup_downloaded(incident)
    seen = preview(api_client, incident, "restore-backup")
    response = run(
        api_client, incident, "restore-backup", {}, confirm="prod-db", digest=seen["digest"]
    )
    assert response.json()["status"] == "awaiting_approval"
    return StepRun.objects.get(pk=response.json()["run"])


def approve(client, run_id, digest):
    return client.post(f"/api/runs/{run_id}/approve/", {"digest": digest}, format="json")


def test_an_approval_of_a_command_other_than_the_runs_is_refused(
    make_api_client, second_commander, awaiting_restore
):
    response = approve(make_api_client(second_commander), awaiting_restore.pk, "0" * 64)
    assert response.status_code == 409
    assert response.json()["command"] == awaiting_restore.command_display
    awaiting_restore.refresh_from_db()
    assert awaiting_restore.status == "awaiting_approval"


def test_an_approval_without_a_digest_is_refused(
    make_api_client, second_commander, awaiting_restore
):
    response = make_api_client(second_commander).post(
        f"/api/runs/{awaiting_restore.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 400
    awaiting_restore.refresh_from_db()
    assert awaiting_restore.status == "awaiting_approval"


def test_an_approval_runs_exactly_the_command_that_was_approved(
    make_api_client, second_commander, awaiting_restore
):
    shown = make_api_client(second_commander).get(f"/api/runs/{awaiting_restore.pk}/").json()
    response = approve(make_api_client(second_commander), awaiting_restore.pk, shown["digest"])
    assert response.status_code == 200
    approved = StepRun.objects.get(pk=awaiting_restore.pk)
    assert (approved.status, approved.command_display) == ("queued", shown["command"])
    entry = approved.incident.timeline.get(kind="run_approved")
    assert entry.data["digest"] == shown["digest"]


def test_an_approval_is_refused_once_the_target_moved(
    make_api_client, second_commander, awaiting_restore, moved_targets
):
    moved_targets("prod-db", "db-replacement.internal")
    response = approve(
        make_api_client(second_commander), awaiting_restore.pk, awaiting_restore.digest
    )
    assert response.status_code == 409
    awaiting_restore.refresh_from_db()
    assert awaiting_restore.status == "awaiting_approval"


def test_an_approval_after_the_incident_was_resolved_runs_nothing(
    api_client, make_api_client, second_commander, awaiting_restore
):
    incident = awaiting_restore.incident
    resolved = api_client.post(
        f"/api/incidents/{incident.pk}/transition/", {"status": "resolved"}, format="json"
    )
    assert resolved.status_code == 200, resolved.json()
    response = approve(
        make_api_client(second_commander), awaiting_restore.pk, awaiting_restore.digest
    )
    assert response.status_code == 409
    awaiting_restore.refresh_from_db()
    assert awaiting_restore.status != "queued"
