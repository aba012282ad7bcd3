"""Restricted incidents: only their participants and commanders see them, on every surface.

The cast: rita (responder) opened the restricted incident, so she is in it; carol is a
commander who never touched it; victor (viewer) and nora (responder) are outsiders, for whom
it must look exactly like an incident that does not exist.
"""

import json
import re
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incident_console.asgi import application
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.services import incident_note_add, incident_open
from incident_console.runs.consumers import CLOSE_NOT_FOUND
from incident_console.runs.models import OutputChunk

pytestmark = pytest.mark.django_db

SECRET_TITLE = "AWS key AKIA-SECRET pushed to a public repo"
MISSING = 999999


@pytest.fixture
def cast(make_user, scenarios):
    return {
        "rita": make_user("rita", "responder"),
        "carol": make_user("carol", "commander"),
        "victor": make_user("victor", "viewer"),
        "nora": make_user("nora", "responder"),
    }


@pytest.fixture
def secret(cast):
    return incident_open(
        scenario_slug="test-drill",
        title=SECRET_TITLE,
        severity=None,
        actor=cast["rita"],
        restricted=True,
    )


@pytest.fixture
def secret_run(secret, cast, make_run):
    run = make_run(secret, created_by=cast["rita"])
    OutputChunk.objects.create(run=run, seq=1, stream="stdout", text="token=hunter2\n")
    run.last_seq = 1
    run.save(update_fields=["last_seq"])
    return run


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def request(client, method, path, body):
    if method == "get":
        return client.get(path)
    return client.post(path, json.dumps(body), content_type="application/json")


# (method, path, body, what rita the participating responder gets, what carol the commander gets)
SURFACES = [
    ("get", "/incidents/{incident}/", None, 200, 200),
    ("get", "/incidents/{incident}/timeline/", None, 200, 200),
    ("get", "/runs/{run}/output.txt", None, 200, 200),
    ("get", "/api/incidents/{incident}/", None, 200, 200),
    ("get", "/api/incidents/{incident}/timeline/", None, 200, 200),
    ("get", "/api/incidents/{incident}/postmortem/", None, 200, 200),
    ("post", "/api/incidents/{incident}/steps/count/preview/", {}, 200, 200),
    ("post", "/api/incidents/{incident}/steps/count/run/", {}, 202, 202),
    ("post", "/api/incidents/{incident}/steps/call-lead/complete/", {"outcome": "done"}, 201, 201),
    ("post", "/api/incidents/{incident}/transition/", {"status": "acknowledged"}, 200, 200),
    ("post", "/api/incidents/{incident}/notes/", {"text": "seen"}, 201, 201),
    ("post", "/api/incidents/{incident}/update_details/", {"impact": "keys"}, 403, 200),
    ("post", "/api/incidents/{incident}/escalate/", {"notify": ["Tech Lead"]}, 202, 202),
    ("post", "/api/incidents/{incident}/restrict/", {"restricted": False}, 403, 200),
    ("post", "/api/incidents/{incident}/members/", {"username": "nora"}, 201, 201),
    ("get", "/api/runs/{run}/", None, 200, 200),
    ("get", "/api/runs/{run}/output/", None, 200, 200),
    ("post", "/api/runs/{run}/approve/", {"digest": "x"}, 403, 409),
    ("post", "/api/runs/{run}/cancel/", None, 409, 409),
]
SURFACE_IDS = [f"{method} {path}" for method, path, *_ in SURFACES]


@pytest.mark.parametrize("outsider", ["victor", "nora"])
@pytest.mark.parametrize(("method", "path", "body", "_rita", "_carol"), SURFACES, ids=SURFACE_IDS)
def test_it_answers_an_outsider_as_if_the_incident_did_not_exist(
    cast, secret, secret_run, outsider, method, path, body, _rita, _carol
):
    client = browser(cast[outsider])
    hidden = request(client, method, path.format(incident=secret.pk, run=secret_run.pk), body)
    missing = request(client, method, path.format(incident=MISSING, run=MISSING), body)
    assert (hidden.status_code, missing.status_code) == (404, 404)
    if path.startswith("/api/"):
        assert hidden.content == missing.content


@pytest.mark.parametrize(("method", "path", "body", "rita", "_carol"), SURFACES, ids=SURFACE_IDS)
def test_it_lets_the_responder_who_is_in_it_through(
    cast, secret, secret_run, method, path, body, rita, _carol
):
    client = browser(cast["rita"])
    response = request(client, method, path.format(incident=secret.pk, run=secret_run.pk), body)
    assert response.status_code == rita


@pytest.mark.parametrize(("method", "path", "body", "_rita", "carol"), SURFACES, ids=SURFACE_IDS)
def test_it_lets_any_commander_through(cast, secret, secret_run, method, path, body, _rita, carol):
    client = browser(cast["carol"])
    response = request(client, method, path.format(incident=secret.pk, run=secret_run.pk), body)
    assert response.status_code == carol


def test_an_outsiders_requests_leave_no_trace_on_the_timeline(cast, secret):
    before = secret.timeline.count()
    client = browser(cast["nora"])
    request(client, "post", f"/api/incidents/{secret.pk}/notes/", {"text": "hi"})
    request(client, "post", f"/api/incidents/{secret.pk}/steps/count/run/", {})
    assert secret.timeline.count() == before
    assert secret.runs.count() == 0


def test_the_run_output_text_shows_the_participant_the_output(cast, secret_run):
    response = browser(cast["rita"]).get(f"/runs/{secret_run.pk}/output.txt")
    assert b"".join(response.streaming_content).endswith(b"token=hunter2\n")


# Lists, search and counts


@pytest.mark.parametrize(("who", "listed"), [("victor", False), ("rita", True), ("carol", True)])
def test_the_dashboard_lists_it_only_for_those_who_may_see_it(cast, secret, who, listed):
    page = browser(cast[who]).get("/").content.decode()
    assert (SECRET_TITLE in page) is listed


@pytest.mark.parametrize(("who", "listed"), [("victor", False), ("rita", True), ("carol", True)])
def test_the_review_search_finds_it_only_for_those_who_may_see_it(cast, secret, who, listed):
    page = browser(cast[who]).get("/incidents/?q=AKIA").content.decode()
    assert (SECRET_TITLE in page) is listed


@pytest.mark.parametrize(("who", "count"), [("victor", 0), ("nora", 0), ("rita", 1), ("carol", 1)])
def test_the_api_search_counts_it_only_for_those_who_may_see_it(cast, secret, who, count):
    body = browser(cast[who]).get("/api/incidents/?q=AKIA").json()
    assert (body["count"], len(body["results"])) == (count, count)


def test_a_public_incident_stays_listed_for_everyone(cast, secret, make_incident):
    make_incident("disk-full", title="db1 disk", actor=cast["rita"])
    body = browser(cast["victor"]).get("/api/incidents/").json()
    assert [incident["title"] for incident in body["results"]] == ["db1 disk"]


def test_the_sla_page_counts_it_but_names_it_only_for_those_who_may_see_it(cast, secret):
    opened = timezone.now() - timedelta(hours=10)
    Incident.objects.filter(pk=secret.pk).update(
        opened_at=opened, status="resolved", resolved_at=opened + timedelta(hours=6)
    )
    outsider = browser(cast["victor"]).get("/sla/").content.decode()
    commander = browser(cast["carol"]).get("/sla/").content.decode()
    assert "1 incident broke it" in outsider
    assert "A restricted incident" in outsider
    assert SECRET_TITLE not in outsider and f"/incidents/{secret.pk}/" not in outsider
    assert f'<a href="/incidents/{secret.pk}/">#{secret.pk} {SECRET_TITLE}</a>' in commander


def test_metrics_carry_no_incident_title_or_id(cast, secret, make_run, settings):
    now = timezone.now()
    make_run(secret, started_at=now - timedelta(seconds=3), finished_at=now)
    settings.METRICS_TOKEN = "scrape-me"
    body = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    labels = set(re.findall(r'[{,](\w+)="', body))
    assert labels == {"severity", "status", "executor", "le"}
    assert SECRET_TITLE not in body and "AKIA" not in body


# The websocket


async def _connect(run_id, user):
    token, _ = await Token.objects.aget_or_create(user=user)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/runs/{run_id}/",
        headers=[(b"authorization", f"Token {token.key}".encode())],
    )
    return communicator, *await communicator.connect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outsider", ["victor", "nora"])
async def test_the_websocket_closes_for_an_outsider_as_for_a_missing_run(
    cast, secret_run, outsider
):
    _, connected, code = await _connect(secret_run.pk, cast[outsider])
    _, _, missing_code = await _connect(MISSING, cast[outsider])
    assert (connected, code, missing_code) == (False, CLOSE_NOT_FOUND, CLOSE_NOT_FOUND)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["rita", "carol"])
async def test_the_websocket_streams_to_a_participant_and_a_commander(cast, secret_run, who):
    communicator, connected, _ = await _connect(secret_run.pk, cast[who])
    first = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    assert connected
    assert first == {"type": "output", "seq": 1, "stream": "stdout", "text": "token=hunter2\n"}


# Opening restricted, and changing it


def test_the_secrets_leak_runbook_opens_restricted_even_when_not_asked(cast):
    client = browser(cast["rita"])
    response = request(client, "post", "/api/incidents/", {"scenario": "secrets-leak"})
    assert response.status_code == 201
    assert response.json()["restricted"] is True


def test_asking_for_an_unrestricted_secrets_leak_incident_still_restricts_it(cast):
    client = browser(cast["rita"])
    body = {"scenario": "secrets-leak", "restricted": False}
    assert request(client, "post", "/api/incidents/", body).json()["restricted"] is True


@pytest.mark.parametrize("asked", [True, False])
def test_the_person_opening_an_incident_decides_whether_it_is_restricted(cast, asked):
    client = browser(cast["rita"])
    body = {"scenario": "disk-full", "restricted": asked}
    assert request(client, "post", "/api/incidents/", body).json()["restricted"] is asked


def test_the_new_incident_page_restricts_when_the_box_is_ticked(cast):
    client = browser(cast["rita"])
    client.post("/incidents/new/", {"scenario": "disk-full", "restricted": "on"})
    assert Incident.objects.get().restricted is True


def test_the_new_incident_page_says_which_scenarios_open_restricted(cast):
    page = browser(cast["rita"]).get("/incidents/new/").content.decode()
    assert page.count("opens restricted</span>") == 1
    assert 'name="restricted"' in page


def test_a_commander_lifts_the_restriction_on_the_timeline(cast, secret):
    client = browser(cast["carol"])
    request(client, "post", f"/api/incidents/{secret.pk}/restrict/", {"restricted": False})
    entry = secret.timeline.order_by("-pk").first()
    assert (entry.kind, entry.message, entry.actor) == (
        TimelineEntry.Kind.UPDATED,
        "Opened to everyone who can sign in",
        cast["carol"],
    )
    assert browser(cast["victor"]).get(f"/incidents/{secret.pk}/").status_code == 200


def test_a_responder_may_not_restrict_an_incident(cast, make_incident):
    incident = make_incident("disk-full", actor=cast["rita"])
    client = browser(cast["rita"])
    response = request(
        client, "post", f"/api/incidents/{incident.pk}/restrict/", {"restricted": True}
    )
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).restricted is False


def test_restricting_later_keeps_those_who_wrote_on_its_timeline(cast, make_incident):
    incident = make_incident("disk-full", actor=cast["carol"])
    incident_note_add(incident=incident, text="looking", actor=cast["nora"])
    request(
        browser(cast["carol"]),
        "post",
        f"/api/incidents/{incident.pk}/restrict/",
        {"restricted": True},
    )
    assert browser(cast["nora"]).get(f"/incidents/{incident.pk}/").status_code == 200
    assert browser(cast["victor"]).get(f"/incidents/{incident.pk}/").status_code == 404


def test_someone_added_to_a_restricted_incident_sees_it(cast, secret):
    request(
        browser(cast["rita"]),
        "post",
        f"/api/incidents/{secret.pk}/members/",
        {"username": "victor"},
    )
    detail = browser(cast["victor"]).get(f"/api/incidents/{secret.pk}/").json()
    assert (detail["title"], detail["members"]) == (SECRET_TITLE, ["victor"])


def test_the_postmortem_says_it_is_restricted(cast, secret):
    text = browser(cast["rita"]).get(f"/api/incidents/{secret.pk}/postmortem/").content.decode()
    assert "- Restricted: only its participants and commanders may read this" in text


def test_the_incident_page_offers_the_commander_to_lift_the_restriction(cast, secret):
    page = browser(cast["carol"]).get(f"/incidents/{secret.pk}/").content.decode()
    assert 'name="restricted" value="false"' in page and "Lift the restriction" in page
