"""A step runs only after what it needs succeeded, unless a commander overrides with a reason."""

import pytest

from incident_console.incidents.models import TimelineEntry
from incident_console.runs.models import StepRun

pytestmark = pytest.mark.django_db

DOWNLOAD = {"id": "download", "title": "Download the backup"}
RESTORE = {"id": "restore", "title": "Restore the backup"}


@pytest.fixture
def drill(make_incident):
    return make_incident("guide-drill")


def run(client, incident, step_id, **body):
    return client.post(f"/api/incidents/{incident.pk}/steps/{step_id}/run/", body, format="json")


def complete(client, incident, step_id, **body):
    url = f"/api/incidents/{incident.pk}/steps/{step_id}/complete/"
    return client.post(url, body, format="json")


def timeline_kinds(incident) -> list[str]:
    return list(incident.timeline.values_list("kind", flat=True))


def test_a_step_whose_need_never_ran_is_refused_naming_it_and_nothing_changes(api_client, drill):
    before = timeline_kinds(drill)
    response = run(api_client, drill, "restore")
    assert response.status_code == 409
    assert response.json() == {
        "error": "needs_unmet",
        "detail": "“Restore the backup” needs “Download the backup” to have succeeded first; "
        "a commander may override with a reason",
        "missing": [DOWNLOAD],
    }
    assert not StepRun.objects.exists()
    assert timeline_kinds(drill) == before


def test_a_need_that_failed_is_unmet(api_client, drill, make_run):
    make_run(drill, "download", status="failed")
    assert run(api_client, drill, "restore").json()["error"] == "needs_unmet"
    assert StepRun.objects.filter(step_id="restore").count() == 0


def test_a_need_still_running_is_unmet(api_client, drill, make_run):
    make_run(drill, "download", status="running")
    assert run(api_client, drill, "restore").status_code == 409


def test_a_step_runs_once_its_need_succeeded(api_client, drill, make_run):
    make_run(drill, "download", status="succeeded")
    assert run(api_client, drill, "restore").status_code == 202
    assert StepRun.objects.filter(step_id="restore").count() == 1


def test_the_latest_run_of_a_need_decides(api_client, drill, make_run):
    make_run(drill, "download", status="succeeded")
    make_run(drill, "download", status="failed")
    assert run(api_client, drill, "restore").status_code == 409


def test_a_commander_overrides_with_a_reason_and_the_timeline_keeps_it(api_client, user, drill):
    response = run(api_client, drill, "restore", override_needs="downloaded by hand to /srv")
    assert response.status_code == 202
    restore = StepRun.objects.get(step_id="restore")
    entry = drill.timeline.get(kind=TimelineEntry.Kind.NOTE)
    assert entry.message == (
        "Overrode the needs of “Restore the backup”: ran it before “Download the backup” "
        "succeeded, because: downloaded by hand to /srv"
    )
    assert (entry.actor, entry.run) == (user, restore)
    assert entry.data == {
        "override_needs": "downloaded by hand to /srv",
        "unmet_needs": ["download"],
    }


def test_a_blank_reason_is_no_override(api_client, drill):
    response = run(api_client, drill, "restore", override_needs="   ")
    assert response.json()["error"] == "needs_unmet"
    assert not StepRun.objects.exists()


def test_a_responder_is_refused_without_an_override(make_api_client, responder, drill):
    response = run(make_api_client(responder), drill, "restore")
    assert (response.status_code, response.json()["error"]) == (409, "needs_unmet")


def test_a_responder_cannot_override(make_api_client, responder, drill):
    before = timeline_kinds(drill)
    response = run(make_api_client(responder), drill, "restore", override_needs="in a hurry")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "running a step before what it needs has succeeded needs the commander role"
    )
    assert not StepRun.objects.exists()
    assert timeline_kinds(drill) == before


def test_an_override_when_every_need_succeeded_is_not_recorded(api_client, drill, make_run):
    make_run(drill, "download", status="succeeded")
    assert run(api_client, drill, "restore", override_needs="just in case").status_code == 202
    assert not drill.timeline.filter(kind=TimelineEntry.Kind.NOTE).exists()


def test_a_manual_step_is_not_marked_done_before_its_need_succeeded(api_client, drill):
    response = complete(api_client, drill, "confirm", outcome="done")
    assert response.status_code == 409
    assert response.json()["missing"] == [RESTORE]
    assert not StepRun.objects.exists()


def test_a_manual_step_may_be_skipped_whatever_it_needs(api_client, drill):
    assert complete(api_client, drill, "confirm", outcome="skipped").status_code == 201


def test_a_commander_marks_a_blocked_manual_step_done_with_a_reason(api_client, drill):
    response = complete(
        api_client, drill, "confirm", outcome="done", override_needs="restored by DBA"
    )
    assert response.status_code == 201
    assert StepRun.objects.get(step_id="confirm").status == "succeeded"
    note = drill.timeline.get(kind=TimelineEntry.Kind.NOTE)
    assert note.message.endswith("because: restored by DBA")


def test_a_responder_cannot_mark_a_blocked_manual_step_done_anyway(
    make_api_client, responder, drill
):
    response = complete(
        make_api_client(responder), drill, "confirm", outcome="done", override_needs="x"
    )
    assert response.status_code == 403
    assert not StepRun.objects.exists()
