"""The incident socket: small hints of what changed, only for those who may see the incident."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from incident_console.asgi import application
from incident_console.incidents.services import (
    incident_note_add,
    incident_restrict,
    incident_transition,
    incident_update,
)
from incident_console.runs.broadcast import broadcast_run_status
from incident_console.runs.models import StepRun
from incident_console.runs.services import step_run_start
from tests.conftest import backup_downloaded

pytestmark = pytest.mark.django_db(transaction=True)
# Generous: a push can take seconds on a loaded 2-core machine, and a message that comes
# ends the wait at once.
WAIT = 20


def token_of(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def connect(incident_id, user, origin=None):
    headers = [(b"authorization", f"Token {await sync_to_async(token_of)(user)}".encode())]
    if origin:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, f"/ws/incidents/{incident_id}/", headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def listening(incident, user):
    communicator, connected, code = await connect(incident.pk, user)
    assert (connected, code) == (True, None)
    assert await communicator.receive_json_from(timeout=WAIT) == {"type": "live", "live": True}
    return communicator


async def receive(communicator, count):
    return [await communicator.receive_json_from(timeout=WAIT) for _ in range(count)]


def entry_of(message):
    return {key: message["entry"][key] for key in ("kind", "message", "actor", "run", "step_id")}


async def test_a_note_reaches_the_page_as_a_timeline_entry(incident, user):
    communicator = await listening(incident, user)
    entry = await sync_to_async(incident_note_add)(incident=incident, text="disk 97%", actor=user)
    [message] = await receive(communicator, 1)
    assert message["type"] == "timeline"
    assert message["entry"]["id"] == entry.pk
    assert entry_of(message) == {
        "kind": "note",
        "message": "disk 97%",
        "actor": "alice",
        "run": None,
        "step_id": None,
    }
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_queued_run_is_announced_with_its_step(incident, user):
    communicator = await listening(incident, user)
    run = await sync_to_async(step_run_start)(
        incident=incident, step_id="count", actor=user, params={}, dispatch=False
    )
    [message] = await receive(communicator, 1)
    assert (message["type"], message["entry"]["kind"]) == ("timeline", "run_queued")
    assert (message["entry"]["run"], message["entry"]["step_id"]) == (run.pk, "count")
    await communicator.disconnect()


async def test_a_run_status_reaches_the_page(incident, user):
    run = await sync_to_async(step_run_start)(
        incident=incident, step_id="count", actor=user, params={}, dispatch=False
    )
    communicator = await listening(incident, user)
    await sync_to_async(StepRun.objects.filter(pk=run.pk).update)(status="failed", exit_code=3)
    await sync_to_async(broadcast_run_status)(await sync_to_async(StepRun.objects.get)(pk=run.pk))
    messages = await receive(communicator, 1)
    if messages[0]["type"] == "timeline":
        # The start's own entry, when its hint was still on its way as the page connected.
        assert messages[0]["entry"]["kind"] == "run_queued"
        messages = await receive(communicator, 1)
    assert messages == [
        {"type": "run", "run": run.pk, "step_id": "count", "status": "failed", "exit_code": 3}
    ]
    await communicator.disconnect()


async def test_a_status_change_reaches_the_page_after_its_entry(incident, user):
    communicator = await listening(incident, user)
    await sync_to_async(incident_transition)(incident=incident, to="acknowledged", actor=user)
    timeline, change = await receive(communicator, 2)
    assert (timeline["type"], timeline["entry"]["kind"]) == ("timeline", "status_changed")
    assert change == {"type": "incident", "what": "status", "status": "acknowledged"}
    await communicator.disconnect()


async def test_a_details_change_reaches_the_page(incident, user):
    communicator = await listening(incident, user)
    await sync_to_async(incident_update)(incident=incident, actor=user, impact="checkout down")
    timeline, change = await receive(communicator, 2)
    assert (timeline["type"], timeline["entry"]["kind"]) == ("timeline", "updated")
    assert change == {"type": "incident", "what": "details", "status": None}
    await communicator.disconnect()


def request_restore(client, incident):
    url = f"/api/incidents/{incident.pk}/steps/restore-backup/"
    digest = client.post(url + "preview/", {"params": {}}, format="json").json()["digest"]
    body = {"confirm": "prod-db", "digest": digest}
    response = client.post(url + "run/", body, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["run"]


def approve(client, run_id):
    digest = client.get(f"/api/runs/{run_id}/").json()["digest"]
    response = client.post(f"/api/runs/{run_id}/approve/", {"digest": digest}, format="json")
    assert response.status_code == 200, response.json()


async def test_an_approval_request_reaches_the_page(make_incident, user, make_api_client):
    incident = await sync_to_async(make_incident)("database-down")
    await sync_to_async(backup_downloaded)(incident)
    communicator = await listening(incident, user)
    run_id = await sync_to_async(request_restore)(
        await sync_to_async(make_api_client)(user), incident
    )
    timeline, approval = await receive(communicator, 2)
    assert (timeline["type"], timeline["entry"]["kind"]) == ("timeline", "run_queued")
    assert approval == {
        "type": "approval",
        "state": "requested",
        "run": run_id,
        "step_id": "restore-backup",
    }
    await communicator.disconnect()


async def test_an_approval_reaches_the_page(make_incident, user, second_commander, make_api_client):
    incident = await sync_to_async(make_incident)("database-down")
    await sync_to_async(backup_downloaded)(incident)
    run_id = await sync_to_async(request_restore)(
        await sync_to_async(make_api_client)(user), incident
    )
    communicator = await listening(incident, user)
    await sync_to_async(approve)(await sync_to_async(make_api_client)(second_commander), run_id)
    timeline, approval, status = await receive(communicator, 3)
    assert (timeline["entry"]["kind"], timeline["entry"]["actor"]) == ("run_approved", "carol")
    assert approval == {
        "type": "approval",
        "state": "approved",
        "run": run_id,
        "step_id": "restore-backup",
    }
    assert (status["type"], status["run"], status["status"]) == ("run", run_id, "queued")
    await communicator.disconnect()


async def test_an_outsider_of_a_restricted_incident_is_closed_with_4404(incident, user, viewer):
    await sync_to_async(incident_restrict)(incident=incident, restricted=True, actor=user)
    _, connected, code = await connect(incident.pk, viewer)
    assert (connected, code) == (False, 4404)


async def test_a_participant_of_a_restricted_incident_is_let_in(incident, user, make_user):
    rita = await sync_to_async(make_user)("rita", "responder")
    await sync_to_async(incident.members.add)(rita)
    await sync_to_async(incident_restrict)(incident=incident, restricted=True, actor=user)
    communicator = await listening(incident, rita)
    await communicator.disconnect()


async def test_restricting_the_incident_closes_an_outsiders_socket(incident, user, viewer):
    communicator = await listening(incident, viewer)
    await sync_to_async(incident_restrict)(incident=incident, restricted=True, actor=user)
    # Whether the restriction's own timeline entry still reaches the socket depends on whether
    # the consumer sees it before or after the restriction committed; the socket closes anyway.
    output = await communicator.receive_output(timeout=WAIT)
    if output["type"] == "websocket.send":
        assert '"kind": "updated"' in output["text"]
        output = await communicator.receive_output(timeout=WAIT)
    assert output == {"type": "websocket.close", "code": 4404}


async def test_an_unknown_incident_is_closed_with_4404(incident, user):
    _, connected, code = await connect(incident.pk + 1000, user)
    assert (connected, code) == (False, 4404)


async def test_an_anonymous_client_is_closed_with_4401(incident):
    communicator = WebsocketCommunicator(application, f"/ws/incidents/{incident.pk}/")
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4401)


async def test_a_browser_from_another_site_is_refused(incident, user):
    _, connected, _ = await connect(incident.pk, user, origin="https://evil.example")
    assert not connected
