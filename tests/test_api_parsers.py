"""Every JSON endpoint answers a body nested past any sane depth with a 400."""

import pytest

from incident_console.api_parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels"


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_opening_an_incident_with_100k_nested_brackets_is_a_400(api_client, scenarios):
    response = api_client.post("/api/incidents/", nested(100_000), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_a_preview_with_100k_nested_brackets_in_its_params_is_a_400(api_client, incident):
    body = '{"params": {"n": ' + nested(100_000) + "}}"
    response = api_client.post(
        f"/api/incidents/{incident.pk}/steps/count/preview/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_json_nested_below_the_recursion_limit_but_past_the_bound_is_a_400(api_client, incident):
    body = '{"params": {"n": ' + nested(MAX_JSON_DEPTH) + "}}"
    response = api_client.post(
        f"/api/incidents/{incident.pk}/steps/count/preview/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_json_within_the_bound_is_parsed(api_client, scenarios):
    response = api_client.post(
        "/api/incidents/", {"scenario": "disk-full", "title": "x"}, format="json"
    )
    assert response.status_code == 201
