"""Alertmanager webhook intake (payload version 4): firing, repeat, resolved, malformed."""

import copy

import pytest
from rest_framework.test import APIClient

from incident_console.alerts.models import Alert
from incident_console.incidents.models import Incident

pytestmark = pytest.mark.django_db
TOKEN = "am-webhook-token-123"

FIRING = {
    "version": "4",
    "groupKey": '{}:{alertname="DatabaseDown"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "incident-console",
    "groupLabels": {"alertname": "DatabaseDown"},
    "commonLabels": {"alertname": "DatabaseDown", "severity": "critical", "job": "postgres"},
    "commonAnnotations": {"summary": "PostgreSQL is down"},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "DatabaseDown", "severity": "critical", "instance": "db1:9187"},
            "annotations": {
                "summary": "PostgreSQL is down on db1",
                "description": "pg_up == 0 for 1m",
            },
            "startsAt": "2026-11-26T03:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=pg_up+%3D%3D+0",
            "fingerprint": "a1b2c3d4e5f60718",
        }
    ],
    "someFutureKey": {"ignored": True},
}


@pytest.fixture
def alertmanager(settings, scenarios):
    settings.ALERTMANAGER_TOKEN = TOKEN
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


def post(client, payload):
    return client.post("/api/alerts/alertmanager/", payload, format="json")


def resolved(payload):
    payload = copy.deepcopy(payload)
    payload["status"] = "resolved"
    for alert in payload["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2026-11-26T03:20:00Z"
    return payload


def test_a_firing_alert_opens_an_incident_of_its_scenario_with_labels(alertmanager):
    response = post(alertmanager, FIRING)
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert response.json() == {"opened": [incident.pk], "updated": [], "resolved": []}
    assert (incident.scenario.slug, incident.severity) == ("database-down", "sev1")
    assert incident.title == "PostgreSQL is down on db1"
    assert incident.labels["instance"] == "db1:9187"
    assert incident.labels["annotation:description"] == "pg_up == 0 for 1m"
    assert incident.opened_by.username == "alertmanager"
    alert = incident.timeline.get(kind="alert")
    assert alert.message == "Alert DatabaseDown firing on db1:9187: pg_up == 0 for 1m"


def test_repeats_of_the_group_add_to_the_open_incident_instead_of_new_ones(alertmanager):
    post(alertmanager, FIRING)
    post(alertmanager, FIRING)
    second = copy.deepcopy(FIRING)
    second["alerts"][0]["fingerprint"] = "ffff000011112222"
    second["alerts"][0]["labels"]["instance"] = "db2:9187"
    response = post(alertmanager, second)
    incident = Incident.objects.get()
    assert response.json()["updated"] == [incident.pk]
    assert Alert.objects.get(fingerprint="a1b2c3d4e5f60718").received_count == 2
    messages = list(incident.timeline.filter(kind="alert").values_list("message", flat=True))
    assert messages == [
        "Alert DatabaseDown firing on db1:9187: pg_up == 0 for 1m",
        "Alert DatabaseDown firing on db2:9187",
    ]


def test_a_resolved_alert_is_written_on_the_timeline(alertmanager):
    post(alertmanager, FIRING)
    response = post(alertmanager, resolved(FIRING))
    incident = Incident.objects.get()
    assert response.json()["resolved"] == []
    assert incident.status == "open", "database-down does not auto-resolve"
    assert (
        incident.timeline.filter(kind="alert").last().message
        == "Alert DatabaseDown resolved on db1:9187"
    )
    assert post(alertmanager, resolved(FIRING)).status_code == 200
    assert incident.timeline.filter(kind="alert").count() == 2, (
        "a repeated resolution is not noted twice"
    )


def test_a_scenario_with_auto_resolve_is_resolved_when_all_its_alerts_are(alertmanager):
    drill = copy.deepcopy(FIRING)
    drill["groupKey"] = '{}:{alertname="TestAlert"}'
    drill["alerts"][0]["labels"]["alertname"] = "TestAlert"
    post(alertmanager, drill)
    response = post(alertmanager, resolved(drill))
    incident = Incident.objects.get()
    assert response.json()["resolved"] == [incident.pk]
    assert incident.status == "resolved"


def test_an_unknown_alertname_opens_a_generic_incident(alertmanager):
    unknown = copy.deepcopy(FIRING)
    unknown["groupKey"] = '{}:{alertname="CertificateExpiring"}'
    unknown["alerts"][0]["labels"] = {"alertname": "CertificateExpiring", "severity": "warning"}
    unknown["alerts"][0]["annotations"] = {}
    post(alertmanager, unknown)
    incident = Incident.objects.get()
    assert (incident.scenario.slug, incident.severity, incident.title) == (
        "unknown-alert",
        "sev3",
        "CertificateExpiring",
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("alerts"),
        lambda p: p.update(version="3"),
        lambda p: p["alerts"][0]["labels"].pop("alertname"),
        lambda p: p["alerts"][0].update(status="burning"),
        lambda p: p["alerts"][0].update(startsAt="yesterday"),
        lambda p: p.update(alerts=[]),
    ],
)
def test_a_malformed_payload_is_a_400_and_changes_nothing(alertmanager, mutate):
    payload = copy.deepcopy(FIRING)
    mutate(payload)
    assert post(alertmanager, payload).status_code == 400
    assert not Incident.objects.exists() and not Alert.objects.exists()


def test_invalid_json_is_a_400(alertmanager):
    response = alertmanager.post(
        "/api/alerts/alertmanager/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Token {TOKEN}"])
def test_without_the_right_bearer_token_nothing_is_accepted(alertmanager, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    assert post(client, FIRING).status_code == 401
    assert not Incident.objects.exists()


def test_with_no_token_configured_the_endpoint_refuses_everything(alertmanager, settings):
    settings.ALERTMANAGER_TOKEN = ""
    assert post(alertmanager, FIRING).status_code == 401
    assert not Incident.objects.exists()
