"""Service mode: the real `celery worker` records a run it could not start for the console's own
configuration as such.  The worker reads the site's targets file, where prod-db's password
is the variable RINGO_DB_PASSWORD, which the worker does not have."""

import os
import time

import pytest
from rest_framework.test import APIClient

from incident_console.runs.models import StepRun

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def test_the_worker_marks_a_run_without_its_credential_console_not_configured(
    celery_worker, make_incident, user
):
    assert "RINGO_DB_PASSWORD" not in os.environ, "the worker would have the password"
    incident = make_incident("targets-drill")
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(f"/api/incidents/{incident.pk}/steps/check-db/run/", {}, format="json")
    assert response.status_code == 202
    deadline = time.monotonic() + 30
    run = StepRun.objects.get(pk=response.json()["run"])
    while not run.is_finished:
        assert time.monotonic() < deadline, "the worker never finished the run"
        time.sleep(0.1)
        run.refresh_from_db()
    assert run.status == "failed"
    assert run.failure_cause == "console_not_configured"
    assert run.detail == (
        "prod-db has no password: set the environment variable RINGO_DB_PASSWORD on the worker"
    )
    assert run.worker, "the worker, not this process, ran it"
