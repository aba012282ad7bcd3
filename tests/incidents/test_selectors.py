"""Reads shared by the pages and the API."""

import pytest

from incident_console.errors import InvalidInput
from incident_console.incidents.models import Incident
from incident_console.incidents.selectors import incidents_filtered, latest_runs

pytestmark = pytest.mark.django_db


def test_a_bad_date_filter_is_invalid_input_naming_the_field(incident):
    with pytest.raises(InvalidInput) as error:
        incidents_filtered(Incident.objects.all(), {"opened_after": "yesterday"})
    assert error.value.fields == {"opened_after": "must be a date, YYYY-MM-DD"}


def test_the_api_answers_a_bad_date_filter_in_the_projects_error_shape(api_client, incident):
    response = api_client.get("/api/incidents/?opened_before=someday")
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": "invalid",
            "detail": "opened_before: must be a date, YYYY-MM-DD",
            "fields": {"opened_before": "must be a date, YYYY-MM-DD"},
        },
    )


def test_the_review_page_says_what_is_wrong_with_a_bad_date(incident, user, client):
    client.force_login(user)
    response = client.get("/incidents/?opened_after=someday")
    assert response.status_code == 400
    assert "opened_after: must be a date, YYYY-MM-DD" in response.content.decode()


def test_latest_runs_keeps_each_steps_most_recent_run(incident, make_run):
    make_run(incident, "count", status="failed")
    newest = make_run(incident, "count")
    other = make_run(incident, "echo")
    assert latest_runs(incident) == {"count": newest, "echo": other}
