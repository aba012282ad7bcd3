import pytest
from rest_framework.test import APIClient

from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.runs.models import OutputChunk, StepRun

pytestmark = pytest.mark.django_db


def run_url(incident, step_id):
    return f"/api/incidents/{incident.pk}/steps/{step_id}/run/"


def test_scenarios_list_their_steps_with_executor_and_destructive_flag(api_client, scenarios):
    response = api_client.get("/api/scenarios/")
    assert response.status_code == 200
    by_slug = {scenario["slug"]: scenario for scenario in response.json()}
    disk = by_slug["disk-full"]
    assert disk["alerts"] == ["CriticalDiskUsage"]
    assert disk["title_ru"] == "Переполнение диска"
    first = disk["steps"][0]
    assert {k: first[k] for k in ("id", "executor", "destructive")} == {
        "id": "check-disk-usage",
        "executor": "ssh",
        "destructive": False,
    }
    assert {s["id"] for s in disk["steps"] if s["destructive"]} >= {
        "delete-old-backups",
        "docker-prune",
    }


def test_one_scenario_is_found_by_slug_and_an_unknown_one_is_404(api_client, scenarios):
    assert api_client.get("/api/scenarios/disk-full/").json()["slug"] == "disk-full"
    assert api_client.get("/api/scenarios/nope/").status_code == 404


def test_opening_an_incident_writes_it_and_its_first_timeline_entry(api_client, scenarios, user):
    response = api_client.post(
        "/api/incidents/",
        {"scenario": "disk-full", "title": "Disk at 97%", "severity": "sev1"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["scenario"], body["title"], body["severity"], body["status"]) == (
        "disk-full",
        "Disk at 97%",
        "sev1",
        "open",
    )
    assert body["opened_by"] == "alice"
    assert [step["latest_run"] for step in body["steps"]] == [None] * len(body["steps"])
    entry = TimelineEntry.objects.get(incident_id=body["id"])
    assert entry.kind == "incident_opened" and entry.actor == user


def test_an_incident_takes_the_scenarios_title_and_severity_by_default(api_client, scenarios):
    body = api_client.post("/api/incidents/", {"scenario": "disk-full"}, format="json").json()
    assert (body["title"], body["severity"]) == ("Disk full", "sev2")


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"scenario": "no-such-scenario"}, 404, "scenario"),
        ({"scenario": "disk-full", "severity": "sev9"}, 400, "severity"),
        ({"title": "no scenario"}, 400, "scenario"),
    ],
)
def test_bad_incident_input_is_refused_and_nothing_is_created(
    api_client, scenarios, payload, status, field
):
    response = api_client.post("/api/incidents/", payload, format="json")
    assert response.status_code == status
    assert field in str(response.json())
    assert Incident.objects.count() == 0


def test_malformed_json_is_a_400(api_client, scenarios):
    response = api_client.post("/api/incidents/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert Incident.objects.count() == 0


def test_running_a_step_queues_one_run_with_the_exact_command(api_client, incident, user):
    response = api_client.post(
        run_url(incident, "echo"), {"params": {"value": "a b"}}, format="json"
    )
    assert response.status_code == 202
    run = StepRun.objects.get(pk=response.json()["run"])
    assert (run.status, run.step_id, run.executor, run.target) == (
        "queued",
        "echo",
        "shell",
        "local",
    )
    assert run.command == {"argv": ["echo", "a b"]}
    assert run.command_display == "echo 'a b'"
    assert run.created_by == user
    assert run.runbook_version == incident.scenario.version
    assert incident.timeline.filter(kind="run_queued", run=run).count() == 1


def test_a_second_run_of_a_step_that_is_still_active_is_refused(api_client, incident):
    first = api_client.post(run_url(incident, "count"), {}, format="json")
    second = api_client.post(run_url(incident, "count"), {}, format="json")
    assert second.status_code == 409
    assert second.json()["run"] == first.json()["run"]
    assert StepRun.objects.filter(incident=incident).count() == 1


def test_invalid_parameters_are_refused_with_each_reason_and_nothing_runs(api_client, incident):
    response = api_client.post(
        run_url(incident, "count"), {"params": {"lines": "1; rm -rf /", "extra": 1}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "lines": "must be a whole number",
        "extra": "is not a parameter of this step",
    }
    assert not StepRun.objects.exists()


def test_an_unknown_step_is_404(api_client, incident):
    assert api_client.post(run_url(incident, "no-such-step"), {}, format="json").status_code == 404


def test_a_manual_step_cannot_be_run_only_marked(api_client, incident):
    response = api_client.post(run_url(incident, "call-lead"), {}, format="json")
    assert response.status_code == 400
    assert "manual step" in response.json()["detail"]


def test_marking_a_manual_step_done_stores_the_note_as_its_output(api_client, incident):
    response = api_client.post(
        f"/api/incidents/{incident.pk}/steps/call-lead/complete/",
        {"outcome": "done", "note": "Lead is on the way"},
        format="json",
    )
    assert response.status_code == 201
    run = StepRun.objects.get(pk=response.json()["id"])
    assert run.status == "succeeded"
    texts = list(OutputChunk.objects.filter(run=run).values_list("text", flat=True))
    assert texts == ["Marked done by alice\nLead is on the way\n"]
    assert incident.timeline.get(kind="step_marked").message == (
        "Marked “Call the DevOps lead” done: Lead is on the way"
    )


def test_runs_on_a_resolved_incident_are_refused(api_client, incident):
    Incident.objects.filter(pk=incident.pk).update(status="resolved")
    response = api_client.post(run_url(incident, "count"), {}, format="json")
    assert response.status_code == 409
    assert not StepRun.objects.exists()


def test_incident_detail_shows_each_steps_latest_run(api_client, incident):
    run_id = api_client.post(run_url(incident, "count"), {}, format="json").json()["run"]
    steps = api_client.get(f"/api/incidents/{incident.pk}/").json()["steps"]
    by_id = {step["id"]: step for step in steps}
    assert by_id["count"]["latest_run"]["id"] == run_id
    assert by_id["mixed"]["latest_run"] is None


def test_output_is_returned_in_seq_order_after_the_given_seq(api_client, incident):
    run_id = api_client.post(run_url(incident, "count"), {}, format="json").json()["run"]
    OutputChunk.objects.bulk_create(
        OutputChunk(run_id=run_id, seq=seq, stream="stdout", text=f"{seq}\n") for seq in (3, 1, 2)
    )
    StepRun.objects.filter(pk=run_id).update(last_seq=3)
    body = api_client.get(f"/api/runs/{run_id}/output/?after=1").json()
    assert [chunk["seq"] for chunk in body["chunks"]] == [2, 3]
    assert body["chunks"][0] == {"seq": 2, "stream": "stdout", "text": "2\n"}
    assert body["more"] is False


@pytest.mark.parametrize("after", ["x", "-1"])
def test_a_bad_after_is_a_400(api_client, incident, after):
    run_id = api_client.post(run_url(incident, "count"), {}, format="json").json()["run"]
    assert api_client.get(f"/api/runs/{run_id}/output/?after={after}").status_code == 400


def test_run_detail_has_status_exit_code_and_times(api_client, incident):
    run_id = api_client.post(run_url(incident, "count"), {}, format="json").json()["run"]
    body = api_client.get(f"/api/runs/{run_id}/").json()
    assert {"status", "exit_code", "started_at", "finished_at", "command"} <= set(body)


def test_cancelling_a_queued_run_cancels_it_at_once(api_client, incident):
    run_id = api_client.post(run_url(incident, "count"), {}, format="json").json()["run"]
    response = api_client.post(f"/api/runs/{run_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api_client.post(f"/api/runs/{run_id}/cancel/").status_code == 409


def test_the_timeline_lists_entries_in_order(api_client, incident):
    api_client.post(run_url(incident, "count"), {}, format="json")
    body = api_client.get(f"/api/incidents/{incident.pk}/timeline/").json()
    assert [entry["kind"] for entry in body["results"]] == ["incident_opened", "run_queued"]


@pytest.mark.parametrize(
    "path", ["/api/scenarios/", "/api/incidents/", "/api/runs/1/", "/api/runs/1/output/"]
)
def test_anonymous_requests_get_401(db, path):
    assert APIClient().get(path).status_code == 401


def test_health_reports_each_check_and_is_200_only_when_all_pass(db):
    response = APIClient().get("/api/health/")
    checks = response.json()["checks"]
    assert set(checks) == {"database", "channel_layer", "worker"}
    assert checks["database"]["ok"] and checks["channel_layer"]["ok"]
    assert response.status_code == (200 if checks["worker"]["ok"] else 503)


def test_health_is_200_in_embedded_mode(db, settings):
    settings.EMBEDDED = True
    assert APIClient().get("/api/health/").status_code == 200


def test_health_is_503_when_a_check_fails(db, monkeypatch):
    from incident_console import health

    def broken():
        raise ConnectionError("redis is down")

    monkeypatch.setitem(health.CHECKS, "channel_layer", broken)
    response = APIClient().get("/api/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == {
        "ok": False,
        "error": "ConnectionError: redis is down",
    }


def test_the_openapi_schema_describes_the_run_endpoint(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/incidents/{id}/steps/{step_id}/run/" in response.json()["paths"]


def test_the_timeline_can_be_read_from_after_an_entry(api_client, incident):
    first = incident.timeline.get()
    api_client.post(run_url(incident, "count"), {}, format="json")
    body = api_client.get(f"/api/incidents/{incident.pk}/timeline/?after={first.pk}").json()
    assert [entry["kind"] for entry in body["results"]] == ["run_queued"]
    assert api_client.get(f"/api/incidents/{incident.pk}/timeline/?after=x").status_code == 400


def test_a_value_that_does_not_fit_its_pattern_is_refused_in_words(api_client, make_incident):
    incident = make_incident("data-loss")
    response = api_client.post(
        run_url(incident, "find-backup-for-date"), {"params": {"day": "15.01.2024"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"day": "must be a date like 20240115"}
    assert "[0-9]" not in response.content.decode()
