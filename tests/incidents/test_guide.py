"""The guided order on the incident page: progress, the next step, blocked steps, alternatives."""

import re

import pytest
from django.test import Client

from incident_console.incidents.guide import incident_guide

pytestmark = pytest.mark.django_db


@pytest.fixture
def drill(make_incident):
    return make_incident("guide-drill")


def page_of(user, path: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def card(page: str, step_id: str) -> str:
    return re.search(rf'<li class="[^"]*" id="step-{step_id}".*?</li>', page, re.S).group(0)


def test_nothing_run_is_none_of_six_done_and_the_first_step_is_next(drill):
    guide = incident_guide(drill)
    assert (guide.done, guide.total) == (0, 6)
    assert guide.next_step["id"] == "check"
    assert guide.steps["check"].is_next


def test_the_guide_follows_the_latest_runs(drill, make_run):
    make_run(drill, "check")
    make_run(drill, "restart-host")
    guide = incident_guide(drill)
    assert (guide.done, guide.next_step["id"]) == (2, "download")
    assert guide.steps["restart-compose"].state == "alternative_done"
    assert guide.steps["restart-compose"].done_by.option == "on the production host"


def test_after_the_last_finished_run_failed_its_on_failure_step_is_next(drill, make_run):
    make_run(drill, "check", status="failed", finished_at="2026-01-01T10:00:00Z")
    guide = incident_guide(drill)
    assert guide.next_step["id"] == "call-lead"
    assert guide.after_failure_of == "Check the service"


def test_a_run_finished_after_the_failure_ends_the_detour(drill, make_run):
    make_run(drill, "check", status="failed", finished_at="2026-01-01T10:00:00Z")
    make_run(drill, "download", finished_at="2026-01-01T10:05:00Z")
    guide = incident_guide(drill)
    assert (guide.next_step["id"], guide.after_failure_of) == ("check", "")


def test_a_blocked_step_names_the_titles_it_needs(drill):
    restore = incident_guide(drill).steps["restore"]
    assert (restore.state, restore.unmet_needs) == ("blocked", ["Download the backup"])


def test_the_page_shows_progress_and_the_next_step(user, drill):
    page = page_of(user, f"/incidents/{drill.pk}/")
    assert "0 of 6 done" in page
    assert re.search(r'Next step</span>\s*<a href="#step-check">1\. Check the service</a>', page)
    assert "guide-next" in card(page, "check")


def test_the_guide_fragment_is_what_the_page_swaps_in(user, drill, make_run):
    make_run(drill, "check")
    fragment = page_of(user, f"/incidents/{drill.pk}/guide/")
    assert 'id="guide" data-swap="guide"' in fragment
    assert "1 of 6 done" in fragment
    assert '<a href="#step-download">2. Download the backup</a>' in fragment


def test_the_guide_fragment_of_a_restricted_incident_is_not_found_for_outsiders(make_user, drill):
    drill.restricted = True
    drill.save(update_fields=["restricted"])
    outsider = make_user("olga", "responder")
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/incidents/{drill.pk}/guide/").status_code == 404


def test_a_blocked_step_card_says_what_it_needs_with_run_disabled(responder, drill):
    restore = card(page_of(responder, f"/incidents/{drill.pk}/"), "restore")
    assert "Blocked: needs Download the backup" in restore
    assert re.search(
        r'data-action="run" disabled title="Blocked: needs Download the backup"', restore
    )


def test_a_responder_gets_no_override_box(responder, drill):
    restore = card(page_of(responder, f"/incidents/{drill.pk}/"), "restore")
    assert "override-reason" not in restore
    assert "guide-overridable" not in restore


def test_a_commander_gets_an_override_box_with_a_label(user, drill):
    restore = card(page_of(user, f"/incidents/{drill.pk}/"), "restore")
    assert "guide-overridable" in restore.split(">", 1)[0]
    assert re.search(r"<label>Reason to go ahead[^<]*<input data-role=\"override-reason\"", restore)
    assert "Run anyway" in restore


def test_a_blocked_manual_step_cannot_be_marked_done_but_can_be_skipped(responder, drill):
    confirm = card(page_of(responder, f"/incidents/{drill.pk}/"), "confirm")
    assert 'data-action="done" disabled' in confirm
    assert 'data-action="skip">' in confirm


def test_once_its_need_succeeded_a_step_is_no_longer_blocked(user, drill, make_run):
    make_run(drill, "download")
    restore = card(page_of(user, f"/incidents/{drill.pk}/steps/restore/card/"), "restore")
    assert "Blocked" not in restore
    assert "guide-overridable" not in restore
    assert re.search(r'data-action="run">Run</button>', restore)


def test_the_ways_of_a_group_name_each_other_and_show_done_another_way(user, drill, make_run):
    make_run(drill, "restart-compose")
    page = page_of(user, f"/incidents/{drill.pk}/")
    host = card(page, "restart-host")
    assert "Done another way (with compose)" in host
    assert "or: with compose" in host
    assert "Done</span>" in card(page, "restart-compose")
    assert "1 of 6 done" in page
