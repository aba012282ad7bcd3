import json
import re
from pathlib import Path

import pytest
from django.test import Client

from incident_console.incidents.models import Incident
from incident_console.incidents.services import (
    incident_note_add,
    incident_restrict,
    incident_transition,
)
from incident_console.runs.models import OutputChunk, StepRun
from incident_console.runs.services import step_run_start

ROOT = Path(__file__).resolve().parents[2]

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
    run_anyway = page.count('data-override="true"')  # the apply step needs its plan
    assert page.count('data-action="run"') - run_anyway == len(titles) - len(manual)
    assert run_anyway == 1
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


def page_as(user, path):
    client = Client()
    client.force_login(user)
    return client.get(path)


def run_button(html: str) -> str:
    return re.search(r'<button[^>]*data-action="run"[^>]*>', html).group(0)


def test_a_viewers_step_card_has_its_run_button_disabled(incident, viewer):
    card = page_as(viewer, f"/incidents/{incident.pk}/steps/count/card/").content.decode()
    assert run_button(card) == (
        '<button type="button" class="button primary" data-action="run" disabled '
        'title="Your role cannot run this step">'
    )


def test_a_responders_step_card_has_its_run_button_enabled(incident, responder):
    card = page_as(responder, f"/incidents/{incident.pk}/steps/count/card/").content.decode()
    assert run_button(card) == '<button type="button" class="button primary" data-action="run">'


def test_a_responder_cannot_run_a_destructive_step_from_its_card(incident, responder):
    card = page_as(responder, f"/incidents/{incident.pk}/steps/wipe/card/").content.decode()
    assert 'disabled title="Your role cannot run this step"' in run_button(card)


def test_a_running_step_offers_cancel_and_not_run(incident, user):
    step_run_start(incident=incident, step_id="count", actor=user, params={}, dispatch=False)
    card = page_as(user, f"/incidents/{incident.pk}/steps/count/card/").content.decode()
    assert 'title="This step is already queued or running"' in run_button(card)
    assert '<button type="button" class="button" data-action="cancel">Cancel</button>' in card
    assert 'data-swap="status">queued</span>' in card


def test_a_resolved_incidents_cards_offer_no_run(incident, user):
    for status in ("acknowledged", "resolved"):
        incident_transition(incident=incident, to=status, actor=user)
    card = page_as(user, f"/incidents/{incident.pk}/steps/count/card/").content.decode()
    assert 'title="The incident is resolved; reopen it to run steps"' in run_button(card)


def test_the_card_of_an_unknown_step_is_a_404(incident, user):
    assert page_as(user, f"/incidents/{incident.pk}/steps/nope/card/").status_code == 404


def test_the_card_of_a_restricted_incident_is_a_404_for_an_outsider(incident, user, viewer):
    incident_restrict(incident=incident, restricted=True, actor=user)
    assert page_as(viewer, f"/incidents/{incident.pk}/steps/count/card/").status_code == 404
    assert page_as(viewer, f"/incidents/{incident.pk}/head/").status_code == 404


def test_a_viewer_sees_the_lifecycle_moves_disabled(incident, viewer):
    head = page_as(viewer, f"/incidents/{incident.pk}/head/").content.decode()
    assert (
        '<button type="button" class="button small" data-transition="acknowledged" disabled '
        'title="Your role cannot make this change">acknowledged</button>'
    ) in head


def test_a_responder_may_acknowledge_but_not_resolve(incident, responder):
    head = page_as(responder, f"/incidents/{incident.pk}/head/").content.decode()
    assert 'data-transition="acknowledged">acknowledged</button>' in head
    assert 'data-transition="resolved" disabled' in head


def test_the_head_fragment_shows_the_current_status(incident, user):
    incident_transition(incident=incident, to="acknowledged", actor=user)
    head = page_as(user, f"/incidents/{incident.pk}/head/").content.decode()
    assert 'id="incident-status">acknowledged</span>' in head


def test_the_page_gives_the_script_the_finished_statuses_of_the_model(incident, user):
    html = page_as(user, f"/incidents/{incident.pk}/").content.decode()
    state = json.loads(re.search(r'id="page-state"[^>]*>(.*?)</script>', html).group(1))
    finished = [s for s in StepRun.Status.values if s not in StepRun.ACTIVE_STATUSES]
    assert state["finished_statuses"] == finished
    assert state["incident_changes"] == {
        "status_changed": "status",
        "updated": "details",
        "not_sent": "notifications",
        "notification": "notifications",
    }


def test_the_script_restates_no_status_or_role(incident):
    script = (ROOT / "static" / "js" / "console.js").read_text()
    for word in ('"succeeded"', '"timed_out"', '"commander"', '"responder"', '"viewer"'):
        assert word not in script


def test_the_timeline_beside_the_steps_shows_the_newest_entry_first(incident, user):
    incident_note_add(incident=incident, text="latest word", actor=user)
    html = page_as(user, f"/incidents/{incident.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert timeline.index("latest word") < timeline.index("Opened")
