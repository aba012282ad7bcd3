"""The dashboard: open incidents most severe first, then oldest, and live over a socket."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from incident_console.asgi import application
from incident_console.incidents.models import Incident
from incident_console.incidents.services import (
    incident_note_add,
    incident_restrict,
    incident_transition,
)
from tests.incidents.test_consumer import WAIT, token_of


def opened_ago(incident, minutes: int) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=timezone.now() - timedelta(minutes=minutes)
    )


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-incident="(\d+)"', html)]


@pytest.fixture
def four_open(make_incident):
    """Opened in this order: a sev3, a sev1, an older sev1 and a sev2."""
    minor = make_incident(title="minor", severity="sev3")
    newer_sev1 = make_incident(title="newer sev1", severity="sev1")
    older_sev1 = make_incident(title="older sev1", severity="sev1")
    major = make_incident(title="major", severity="sev2")
    for incident, minutes in ((minor, 50), (newer_sev1, 5), (older_sev1, 30), (major, 60)):
        opened_ago(incident, minutes)
    return minor, newer_sev1, older_sev1, major


@pytest.mark.django_db
def test_open_incidents_list_the_most_severe_first_then_the_oldest(four_open, user, client):
    minor, newer_sev1, older_sev1, major = four_open
    client.force_login(user)
    expected = [older_sev1.pk, newer_sev1.pk, major.pk, minor.pk]
    assert rows(client.get("/").content.decode()) == expected
    assert rows(client.get("/dashboard/open/").content.decode()) == expected


@pytest.mark.django_db
def test_an_open_row_says_what_who_and_how_long_with_the_title_escaped(make_incident, user, client):
    incident = make_incident(title='<img src=x onerror="alert(1)">', severity="sev1")
    incident_restrict(incident=incident, restricted=True, actor=user)
    opened_ago(incident, 65)
    client.force_login(user)
    html = client.get("/dashboard/open/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    row = re.search(r'<tr data-incident="\d+">.*?</tr>', html, re.S).group(0)
    assert (
        f'<a href="/incidents/{incident.pk}/">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a>'
        in row
    )
    assert '<span class="sev sev1">SEV1</span>' in row
    assert "<img" not in row
    assert '<span class="badge danger">ограниченный доступ</span>' in row
    assert re.search(r'<td title="[0-9T:.+-]+">1\sчас,\s5\sминут назад</td>', row), row


@pytest.mark.django_db
def test_a_past_row_in_the_review_says_when_how_long_and_links_its_pages(
    make_incident, user, client
):
    incident = make_incident(title="<b>disk</b> & more", severity="sev2")
    Incident.objects.filter(pk=incident.pk).update(
        status="resolved",
        is_drill=True,
        opened_at=timezone.now() - timedelta(minutes=95),
        resolved_at=timezone.now() - timedelta(minutes=5),
    )
    client.force_login(user)
    html = client.get("/incidents/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    row = re.search(r"<tr><td>\d+</td>.*?</tr>", html, re.S).group(0)
    assert '<span class="sev sev2">SEV2</span> <span class="badge">учения</span>' in row
    assert f'<a href="/incidents/{incident.pk}/">&lt;b&gt;disk&lt;/b&gt; &amp; more</a>' in row
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td><td>1\sчас,\s30\sминут</td>", row), row
    assert f'href="/incidents/{incident.pk}/timeline/"' in row
    assert f'href="/incidents/{incident.pk}/postmortem/"' in row


@pytest.mark.django_db
def test_the_review_says_when_nothing_matches(user, client):
    client.force_login(user)
    assert "No incident matches." in client.get("/incidents/?q=nothing-like-this").content.decode()


@pytest.mark.django_db
def test_a_resolved_incident_leaves_the_open_list(incident, user, client):
    for status in ("acknowledged", "mitigated", "resolved"):
        incident_transition(incident=incident, to=status, actor=user)
    client.force_login(user)
    assert rows(client.get("/dashboard/open/").content.decode()) == []


@pytest.mark.django_db
def test_the_open_list_hides_a_restricted_incident_from_a_viewer(incident, user, viewer, client):
    incident_restrict(incident=incident, restricted=True, actor=user)
    client.force_login(viewer)
    assert rows(client.get("/dashboard/open/").content.decode()) == []


@pytest.mark.django_db
def test_the_open_list_needs_a_login(client):
    assert client.get("/dashboard/open/").status_code == 302


async def listening(user):
    headers = [(b"authorization", f"Token {await sync_to_async(token_of)(user)}".encode())]
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers)
    assert await communicator.connect() == (True, None)
    assert await communicator.receive_json_from(timeout=WAIT) == {"type": "live", "live": True}
    return communicator


@pytest.mark.django_db(transaction=True)
async def test_an_opened_incident_is_hinted_to_every_dashboard(make_incident, viewer):
    communicator = await listening(viewer)
    await sync_to_async(make_incident)(title="queue stuck")
    assert await communicator.receive_json_from(timeout=WAIT) == {"type": "changed"}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_acknowledgement_is_hinted_to_the_dashboard(incident, user):
    communicator = await listening(user)
    await sync_to_async(incident_transition)(incident=incident, to="acknowledged", actor=user)
    assert await communicator.receive_json_from(timeout=WAIT) == {"type": "changed"}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_note_does_not_disturb_the_dashboard(incident, user):
    communicator = await listening(user)
    await sync_to_async(incident_note_add)(incident=incident, text="looking", actor=user)
    assert await communicator.receive_nothing(timeout=1)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_dashboard_socket_refuses_an_anonymous_visitor():
    communicator = WebsocketCommunicator(application, "/ws/dashboard/")
    assert await communicator.connect() == (False, 4401)
