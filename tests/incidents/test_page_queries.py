"""The pages people keep open read a fixed number of queries, however much data there is.

A count is a specification, not a timing: `make bench` measures the time (bench/pages.py).
"""

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from incident_console.incidents.models import Incident, Scenario, TimelineEntry
from incident_console.runs.models import StepRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


def queries_of(client: Client, url: str) -> int:
    client.get(url)  # sessions, translations and templates loaded once, as on a live site
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # execute_wrapper, not CaptureQueriesContext: each request empties Django's query log.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200
    return len(executed)


def add_incidents(count: int, user, *, status: str) -> None:
    scenarios = list(Scenario.objects.filter(slug__in=["test-drill", "disk-full"]))
    Incident.objects.bulk_create(
        Incident(
            scenario=scenarios[i % len(scenarios)],
            title=f"{status} {i}",
            severity=("sev1", "sev2", "sev3", "sev4")[i % 4],
            status=status,
            opened_by=user,
            commander=user,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("url", ["/", "/dashboard/open/"])
def test_the_dashboard_reads_as_many_queries_with_200_open_incidents_as_with_2(
    browser, user, scenarios, url
):
    add_incidents(2, user, status="open")
    add_incidents(2, user, status="resolved")
    few = queries_of(browser, url)
    add_incidents(198, user, status="acknowledged")
    add_incidents(198, user, status="closed")
    assert queries_of(browser, url) == few


def test_the_review_list_reads_as_many_queries_with_600_past_incidents_as_with_2(
    browser, user, scenarios
):
    add_incidents(2, user, status="closed")
    few = queries_of(browser, "/incidents/")
    add_incidents(598, user, status="resolved")
    assert queries_of(browser, "/incidents/") == few


def test_the_incident_page_reads_as_many_queries_with_300_entries_and_runs_as_with_3(
    browser, user, incident, make_run
):
    def add(count: int) -> None:
        for step_id in ("count", "echo", "slow"):
            runs = [make_run(incident, step_id) for _ in range(count // 3)]
        TimelineEntry.objects.bulk_create(
            TimelineEntry(incident=incident, kind="note", message=f"note {i}", run=runs[0])
            for i in range(count)
        )

    add(3)
    few = queries_of(browser, f"/incidents/{incident.pk}/")
    add(297)
    assert StepRun.objects.filter(incident=incident).count() == 300
    assert queries_of(browser, f"/incidents/{incident.pk}/") == few


def test_a_scenario_read_in_two_languages_shows_each_its_own_title(scenarios):
    scenario = Scenario.objects.get(slug="disk-full")
    with translation.override("en"):
        english = str(scenario.shown.title)
    with translation.override("ru"):
        russian = str(scenario.shown.title)
    assert english == "Disk full" and russian == "Переполнение диска"
