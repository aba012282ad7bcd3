"""Alert intake on a Russian site: the timeline says what the alerts did in Russian, whatever
language the Alertmanager request carries."""

import pytest
from rest_framework.test import APIClient

from incident_console.incidents.models import Incident
from tests.test_alerts import FIRING, resolved

pytestmark = pytest.mark.django_db
TOKEN = "am-webhook-token-123"


@pytest.fixture
def alertmanager(settings, scenarios):
    settings.ALERTMANAGER_TOKEN = TOKEN
    settings.LANGUAGE_CODE = "ru"
    settings.TIME_ZONE = "Europe/Moscow"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


def post(client, payload):
    return client.post(
        "/api/alerts/alertmanager/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_a_firing_alert_is_written_on_the_timeline_in_russian(alertmanager):
    assert post(alertmanager, FIRING).status_code == 200
    incident = Incident.objects.get()
    entry = incident.timeline.filter(kind="alert").get()
    assert entry.message == "Алерт DatabaseDown сработал на db1:9187: pg_up == 0 for 1m"


def test_a_resolved_alert_is_written_on_the_timeline_in_russian(alertmanager):
    post(alertmanager, FIRING)
    post(alertmanager, resolved(FIRING))
    incident = Incident.objects.get()
    assert incident.timeline.filter(kind="alert").last().message == (
        "Алерт DatabaseDown снят на db1:9187"
    )
