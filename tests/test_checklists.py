"""The seed's duties a person does (security-log review, runbook review): checklists whose every
item is ticked by a named person, with a note, shown due or overdue on the maintenance page."""

from datetime import timedelta

import pytest

from incident_console.errors import Forbidden, InvalidInput
from incident_console.maintenance.models import ChecklistCompletion
from incident_console.maintenance.services import checklist_complete, checklists_state
from incident_console.site import current_site

pytestmark = pytest.mark.django_db
SECURITY = current_site().maintenance.checklists["security_logs"]


def complete(user, note="nothing unusual; two scans from 203.0.113.7, blocked"):
    return checklist_complete(
        checklist="security_logs", actor=user, ticked=list(SECURITY.items), note=note
    )


def state_of(key, **kwargs):
    return next(item for item in checklists_state(**kwargs) if item.key == key)


def test_the_seed_s_security_log_and_runbook_reviews_are_checklists():
    checklists = current_site().maintenance.checklists
    assert [(key, c.title.languages["ru"], c.every) for key, c in checklists.items()] == [
        ("security_logs", "Анализ логов безопасности", "week"),
        ("runbook_review", "Обзор и обновление runbooks", "month"),
    ]


def test_a_responder_completes_a_checklist_with_every_item_ticked_and_a_note(responder):
    done = complete(responder)
    assert done.completed_by == responder
    assert done.items == list(SECURITY.items)
    assert done.note == "nothing unusual; two scans from 203.0.113.7, blocked"
    assert done.title == "Security log review"
    state = state_of("security_logs")
    assert (state.state, state.last, state.due_at) == (
        "done",
        done,
        done.completed_at + timedelta(days=7),
    )


def test_a_checklist_with_an_item_left_unticked_is_refused_and_nothing_recorded(responder):
    with pytest.raises(InvalidInput, match="tick every item first: 1 of 5 not ticked"):
        checklist_complete(
            checklist="security_logs", actor=responder, ticked=SECURITY.items[:-1], note="ok"
        )
    assert not ChecklistCompletion.objects.exists()


def test_a_checklist_without_a_note_is_refused(responder):
    with pytest.raises(InvalidInput, match="write a note"):
        complete(responder, note="  ")
    assert not ChecklistCompletion.objects.exists()


def test_a_viewer_cannot_complete_a_checklist(viewer):
    with pytest.raises(Forbidden, match="completing a checklist needs the responder role"):
        complete(viewer)


def test_a_checklist_never_done_is_due(responder):
    state = state_of("runbook_review")
    assert (state.state, state.last, state.due_at) == ("due", None, None)


def test_a_checklist_is_due_after_its_period_and_overdue_after_the_grace(responder):
    done = complete(responder)
    assert state_of("security_logs", now=done.completed_at + timedelta(days=7)).state == "due"
    late = done.completed_at + timedelta(days=9)
    assert state_of("security_logs", now=late).state == "overdue"


def test_the_maintenance_page_shows_checklists_and_records_one_completed_by_form(client, responder):
    client.force_login(responder)
    page = client.get("/maintenance/").content.decode()
    assert "Security log review" in page and "never done" in page
    response = client.post(
        "/maintenance/checklists/security_logs/",
        {"item": list(SECURITY.items), "note": "checked nginx and auth.log"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/maintenance/#checklist-security_logs"
    done = ChecklistCompletion.objects.get()
    assert (done.completed_by, done.note) == (responder, "checked nginx and auth.log")
    page = client.get("/maintenance/").content.decode()
    assert f"by <strong>{responder.username}</strong>" in page


def test_a_checklist_is_completed_through_the_api_and_refused_to_a_viewer(
    make_api_client, responder, viewer
):
    url = "/api/maintenance/checklists/runbook_review/complete/"
    items = list(current_site().maintenance.checklists["runbook_review"].items)
    body = {"items": items, "note": "disk-full now runs on prod-host"}
    assert make_api_client(viewer).post(url, body, format="json").status_code == 403
    response = make_api_client(responder).post(url, body, format="json")
    assert response.status_code == 201
    assert response.json()["completed_by"] == responder.username
    assert ChecklistCompletion.objects.get().checklist == "runbook_review"
