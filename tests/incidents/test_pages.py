import pytest
from django.test import Client

from incident_console.incidents.models import Incident
from incident_console.runs.models import OutputChunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/incidents/new/", "/incidents/1/", "/incidents/1/timeline/", "/runs/1/output.txt"],
)
def test_every_page_needs_a_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_logging_in_leads_to_the_dashboard(user):
    response = Client().post("/login/", {"username": "alice", "password": "pw-123456"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_dashboard_lists_open_incidents(browser, incident):
    page = browser.get("/").content.decode()
    assert incident.title in page and "SEV3" in page


def test_the_new_incident_form_offers_every_scenario_with_its_symptoms(browser, scenarios):
    page = browser.get("/incidents/new/").content.decode()
    assert "Переполнение диска" in page
    assert "CriticalDiskUsage" in page


def test_opening_an_incident_from_the_form_redirects_to_it(browser, scenarios):
    response = browser.post(
        "/incidents/new/", {"scenario": "disk-full", "title": "", "severity": "sev1"}
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.title, incident.severity) == ("Disk full", "sev1")


def test_an_unknown_scenario_in_the_form_is_an_error_and_creates_nothing(browser, scenarios):
    response = browser.post("/incidents/new/", {"scenario": "bogus"})
    assert response.status_code == 400
    assert "no scenario" in response.content.decode()
    assert not Incident.objects.exists()


def test_the_incident_page_shows_symptoms_and_every_step_in_order(browser, make_incident):
    incident = make_incident("disk-full")
    page = browser.get(f"/incidents/{incident.pk}/").content.decode()
    titles = [step["title"] for step in incident.scenario.steps]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "No space left on device" in page
    manual = [step for step in incident.scenario.steps if step["executor"] == "manual"]
    assert page.count('data-action="run"') == len(titles) - len(manual)
    assert page.count('data-action="done"') == len(manual)


def test_manual_steps_get_mark_done_and_skip_buttons(browser, make_incident):
    incident = make_incident("database-down")
    page = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert page.count('data-action="done"') == 2
    assert page.count('data-action="skip"') == 2


def test_the_timeline_page_lists_entries_with_run_output_links(browser, incident, make_run):
    run = make_run(incident, step_title="Print numbered lines", command_display="seq 1")
    incident.timeline.create(
        kind="run_finished", message="“Print numbered lines” succeeded", run=run
    )
    page = browser.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert "Opened SEV3 incident" in page
    assert f"/runs/{run.pk}/output.txt" in page


def test_the_full_output_is_served_as_text_in_order(browser, incident, make_run):
    run = make_run(incident, step_title="Count", command_display="seq 2", status="running")
    OutputChunk.objects.create(run=run, seq=2, stream="stdout", text="2\n")
    OutputChunk.objects.create(run=run, seq=1, stream="stdout", text="1\n")
    response = browser.get(f"/runs/{run.pk}/output.txt")
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("1\n2\n")
    assert "# $ seq 2" in body


def test_a_parameter_from_an_earlier_step_is_prefilled_with_its_output(
    browser, make_incident, make_run
):
    incident = make_incident("database-down")
    make_run(
        incident,
        "list-backups",
        executor="s3",
        target="backups-bucket",
        outputs={"latest_key": "postgres/full/ringo_20240115_020000.sql.gz"},
    )
    page = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'value="postgres/full/ringo_20240115_020000.sql.gz"' in page


def test_a_long_timeline_is_paged_with_the_time_between_entries_kept_across_pages(
    browser, incident
):
    from incident_console.incidents.models import TimelineEntry

    TimelineEntry.objects.bulk_create(
        TimelineEntry(incident=incident, kind="note", message=f"note {i}") for i in range(600)
    )
    first = browser.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    second = browser.get(f"/incidents/{incident.pk}/timeline/?page=2").content.decode()
    assert "entries 1–500 of 601" in first and "note 498" in first and "note 499" not in first
    assert "entries 501–601 of 601" in second and "note 599" in second
    assert "note 498" not in second


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "+0.2 s"), (45, "+45 s"), (192, "+3 min 12 s"), (7500, "+2 h 05 min")],
)
def test_the_time_between_timeline_entries_reads_like_a_person_would_say_it(seconds, text):
    from datetime import timedelta

    from incident_console.incidents.views import _gap

    assert _gap(timedelta(seconds=seconds)) == text
