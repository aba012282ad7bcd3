"""Approvals that reach people: the other commanders are told, requests expire, break-glass."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incident_console.incidents.models import TimelineEntry
from incident_console.incidents.postmortem import postmortem_markdown
from incident_console.incidents.step_cards import step_actions
from incident_console.notifications.models import Notification
from incident_console.runs.approvals import approvals_expire, approvals_pending
from incident_console.runs.models import StepRun

pytestmark = pytest.mark.django_db

REASON = "carol is unreachable and the queue is filling"


@pytest.fixture
def approval_incident(make_incident):
    return make_incident("approval-drill", title="queue stuck")


def request_run(client, incident) -> int:
    url = f"/api/incidents/{incident.pk}/steps/guarded/run/"
    response = client.post(url, {}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "awaiting_approval"
    return response.json()["run"]


def break_glass(client, run_id, reason=REASON):
    return client.post(f"/api/runs/{run_id}/break-glass/", {"reason": reason}, format="json")


def test_a_request_notifies_the_other_commanders_with_a_link(
    api_client, second_commander, approval_incident, settings
):
    request_run(api_client, approval_incident)
    sent = Notification.objects.filter(reason="approval_requested")
    assert sent.exists()
    body = sent.first().body
    assert "alice asks a second commander (carol) to approve" in body
    assert f"{settings.CONSOLE_URL}/incidents/{approval_incident.pk}/" in body
    assert sent.first().subject.endswith("approval needed: Echo once a second commander approves")


def test_the_requester_sees_waiting_and_no_approve_button_while_others_may_approve(
    api_client, user, second_commander, approval_incident
):
    run = StepRun.objects.get(pk=request_run(api_client, approval_incident))
    step = {"id": "guarded"}
    own = step_actions(incident=approval_incident, step=step, run=run, user=user)
    other = step_actions(incident=approval_incident, step=step, run=run, user=second_commander)
    assert (own.approve_shown, own.waiting_for_other, own.break_glass) == (False, True, True)
    assert (other.approve_shown, other.approve, other.break_glass) == (True, True, False)


def test_pending_approvals_list_the_step_incident_requester_and_expiry(
    api_client, second_commander, approval_incident, settings
):
    run_id = request_run(api_client, approval_incident)
    [pending] = approvals_pending(second_commander)
    assert (pending.pk, pending.step_title, pending.incident.title) == (
        run_id,
        "Echo once a second commander approves",
        "queue stuck",
    )
    assert pending.created_by.username == "alice"
    assert pending.expires_at == pending.created_at + timedelta(
        seconds=settings.APPROVAL_EXPIRES_AFTER
    )


def test_the_dashboard_lists_pending_approvals_with_a_link(
    api_client, make_api_client, second_commander, approval_incident, client
):
    request_run(api_client, approval_incident)
    client.force_login(second_commander)
    html = client.get("/").content.decode()
    assert "Waiting for approval" in html
    assert f'href="/incidents/{approval_incident.pk}/#step-guarded"' in html
    assert "Review and approve" in html


def test_an_unanswered_request_expires_on_the_housekeeping_timer_and_can_be_asked_again(
    api_client, approval_incident, settings
):
    run_id = request_run(api_client, approval_incident)
    created = StepRun.objects.get(pk=run_id).created_at
    just_before = created + timedelta(seconds=settings.APPROVAL_EXPIRES_AFTER - 1)
    assert approvals_expire(now=just_before) == 0
    after = created + timedelta(seconds=settings.APPROVAL_EXPIRES_AFTER + 1)
    assert approvals_expire(now=after) == 1
    run = StepRun.objects.get(pk=run_id)
    assert (run.status, run.detail, run.finished_at) == (
        "cancelled",
        "approval request expired",
        after,
    )
    entry = approval_incident.timeline.get(kind=TimelineEntry.Kind.APPROVAL_EXPIRED)
    assert "expired after 30 min without an answer" in entry.message
    assert approvals_expire(now=after) == 0
    assert request_run(api_client, approval_incident) != run_id


def test_the_reaper_task_expires_old_requests(api_client, approval_incident):
    from incident_console.runs.tasks import reap_lost_runs

    run_id = request_run(api_client, approval_incident)
    StepRun.objects.filter(pk=run_id).update(created_at=timezone.now() - timedelta(hours=1))
    reap_lost_runs()
    assert StepRun.objects.get(pk=run_id).status == "cancelled"


def test_an_expired_request_cannot_be_approved(
    api_client, make_api_client, second_commander, approval_incident
):
    run_id = request_run(api_client, approval_incident)
    approvals_expire(now=timezone.now() + timedelta(hours=1))
    digest = api_client.get(f"/api/runs/{run_id}/").json()["digest"]
    approval = make_api_client(second_commander).post(
        f"/api/runs/{run_id}/approve/", {"digest": digest}, format="json"
    )
    assert approval.status_code == 409
    assert approval.json()["detail"] == "the run is cancelled, not awaiting approval"


def test_a_lone_commander_breaks_glass_with_a_reason_and_everyone_is_told(
    api_client, second_commander, approval_incident
):
    run_id = request_run(api_client, approval_incident)
    response = break_glass(api_client, run_id)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["approved_by"]) == ("queued", "alice")
    entry = approval_incident.timeline.get(kind=TimelineEntry.Kind.BREAK_GLASS)
    assert entry.message == (
        "Break-glass: ran “Echo once a second commander approves” on local without a second "
        f"commander's approval — {REASON}"
    )
    notice = Notification.objects.filter(reason="break_glass").first()
    assert "BREAK-GLASS" in notice.subject
    assert f"Reason: {REASON}" in notice.body and "Commanders: carol" in notice.body


def test_break_glass_needs_a_reason_of_ten_characters(api_client, approval_incident):
    run_id = request_run(api_client, approval_incident)
    response = break_glass(api_client, run_id, reason="  urgent  ")
    assert response.status_code == 400
    assert "at least 10 characters" in response.json()["fields"]["reason"]
    assert StepRun.objects.get(pk=run_id).status == "awaiting_approval"


def test_a_responder_cannot_break_glass(make_api_client, responder, approval_incident, api_client):
    run_id = request_run(api_client, approval_incident)
    response = break_glass(make_api_client(responder), run_id)
    assert response.status_code == 403
    assert response.json()["detail"] == "breaking glass needs the commander role"


def test_break_glass_on_a_run_no_longer_waiting_is_a_conflict(api_client, approval_incident):
    run_id = request_run(api_client, approval_incident)
    api_client.post(f"/api/runs/{run_id}/cancel/")
    assert break_glass(api_client, run_id).status_code == 409


def test_the_postmortem_has_a_break_glass_section(api_client, approval_incident):
    break_glass(api_client, request_run(api_client, approval_incident))
    markdown = postmortem_markdown(approval_incident)
    assert "## Break-glass" in markdown
    assert (
        f"alice ran “Echo once a second commander approves” on local unapproved: {REASON}"
        in markdown
    )
