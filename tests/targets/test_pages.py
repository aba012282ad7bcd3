"""The Targets page, the step card's target and readiness, and a run the console could not
start for its own configuration, as people see them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incident_console.errors import ConfirmationRequired
from incident_console.incidents.postmortem import postmortem_markdown
from incident_console.runs import execution, services
from incident_console.targets.models import TargetCheck
from incident_console.targets.services import targets_check
from tests.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def drill_targets(ready_targets, write_targets, monkeypatch):
    """prod-host ready; prod-db with a password variable nobody set."""
    monkeypatch.delenv("IC_TEST_UNSET_PASSWORD", raising=False)
    password = {"password": "env:IC_TEST_UNSET_PASSWORD"}
    write_targets(
        {
            "prod-host": ready_targets["prod-host"],
            "prod-db": {**ready_targets["prod-db"], "credentials": password},
        }
    )


def test_the_targets_page_asks_a_login(client):
    response = client.get("/targets/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_viewer_reads_each_targets_state_and_what_to_set(client, viewer, drill_targets, sshd):
    client.force_login(viewer)
    html = client.get("/targets/").content.decode()
    assert '<tr id="target-prod-host" class="target-row target-ready">' in html
    assert f"<code>127.0.0.1:{sshd.port}</code>" in html
    assert '<tr id="target-prod-db" class="target-row target-not_configured">' in html
    assert (
        "<strong>Set:</strong> prod-db has no password: set the environment variable "
        "IC_TEST_UNSET_PASSWORD on the worker"
    ) in html
    assert '<a href="/targets/">Targets</a>' in html


def test_opening_the_page_again_within_a_minute_does_not_check_again(client, viewer, drill_targets):
    client.force_login(viewer)
    client.get("/targets/")
    first = TargetCheck.objects.get(name="prod-host").checked_at
    client.get("/targets/")
    assert TargetCheck.objects.get(name="prod-host").checked_at == first


def test_check_again_checks_every_target_now(client, viewer, drill_targets):
    client.force_login(viewer)
    client.get("/targets/")
    first = TargetCheck.objects.get(name="prod-host").checked_at
    response = client.post("/targets/")
    assert response.status_code == 302 and response["Location"] == "/targets/"
    assert TargetCheck.objects.get(name="prod-host").checked_at > first


def test_the_targets_page_says_which_notification_settings_are_missing(client, viewer, settings):
    settings.SLACK_WEBHOOK_URL = ""
    settings.TELEGRAM_BOT_TOKEN = "token"
    settings.TELEGRAM_CHAT_ID = "42"
    client.force_login(viewer)
    html = client.get("/targets/").content.decode()
    assert '<h2 id="notifications">' in html
    slack = html.split('<tr id="channel-slack">')[1].split("</tr>")[0]
    telegram = html.split('<tr id="channel-telegram">')[1].split("</tr>")[0]
    assert "not configured" in slack and "<code>SLACK_WEBHOOK_URL</code>" in slack
    assert '<span class="readiness ready">configured</span>' in telegram


def card(client, incident, step_id: str) -> str:
    return client.get(f"/incidents/{incident.pk}/steps/{step_id}/card/").content.decode()


def test_a_step_card_names_its_target_and_real_host(
    client, user, make_incident, drill_targets, sshd
):
    incident = make_incident("targets-drill")
    client.force_login(user)
    html = card(client, incident, "uptime")
    assert f'<span class="badge" data-role="target">ssh · prod-host (127.0.0.1:{sshd.port})' in html


def test_a_step_card_shows_not_checked_before_any_check(client, user, make_incident, drill_targets):
    incident = make_incident("targets-drill")
    client.force_login(user)
    assert 'class="readiness unchecked"' in card(client, incident, "uptime")


def test_a_step_card_shows_its_targets_last_check(client, user, make_incident, drill_targets):
    targets_check()
    incident = make_incident("targets-drill")
    client.force_login(user)
    assert 'class="readiness ready" href="/targets/#target-prod-host"' in card(
        client, incident, "uptime"
    )
    db_card = card(client, incident, "check-db")
    assert 'class="readiness not_configured" href="/targets/#target-prod-db"' in db_card
    assert ">not configured</a>" in db_card


def test_rendering_a_card_never_checks_a_target(client, user, make_incident, drill_targets):
    TargetCheck.objects.create(
        name="prod-host", kind="ssh", state="unreachable", reason="old", checked_at=timezone.now()
    )
    incident = make_incident("targets-drill")
    client.force_login(user)
    card(client, incident, "uptime")
    assert TargetCheck.objects.get(name="prod-host").reason == "old"


def test_a_destructive_step_asks_for_its_targets_name_not_its_host(
    user, make_incident, drill_targets, sshd
):
    incident = make_incident("targets-drill")
    preview = services.step_run_preview(incident=incident, step_id="wipe", params={})
    with pytest.raises(ConfirmationRequired, match="type the target's name to confirm"):
        services.step_run_start(
            incident=incident,
            step_id="wipe",
            actor=user,
            params={},
            confirm=f"127.0.0.1:{sshd.port}",
            digest=preview.digest,
            dispatch=False,
        )
    run = services.step_run_start(
        incident=incident,
        step_id="wipe",
        actor=user,
        params={},
        confirm="prod-host",
        digest=preview.digest,
        dispatch=False,
    )
    assert run.target == "prod-host"


# The run's output is stored from another thread, which must see the committed rows.
executes = pytest.mark.django_db(transaction=True)


def run_step(incident, user, step_id: str):
    run = services.step_run_start(
        incident=incident, step_id=step_id, actor=user, params={}, dispatch=False
    )
    return execution.step_run_execute(run_id=run.pk, task_id=run.task_id)


@executes
def test_a_missing_credential_fails_the_run_as_console_not_configured(
    client, user, make_incident, drill_targets
):
    incident = make_incident("targets-drill")
    run = run_step(incident, user, "check-db")
    assert run.status == "failed"
    assert run.failure_cause == "console_not_configured"
    assert run.detail == (
        "prod-db has no password: set the environment variable IC_TEST_UNSET_PASSWORD on the worker"
    )
    assert incident.timeline.get(kind="run_finished").message == (
        "“Check the database connection” did not run: console not configured: " + run.detail
    )
    client.force_login(user)
    html = card(client, incident, "check-db")
    assert 'class="step card run-failed cause-console_not_configured ' in html
    assert '<span class="status run-status not-configured"' in html
    assert f"console not configured: {run.detail} · " in html
    assert '<a href="/targets/#target-prod-db">Targets</a>' in html


@executes
def test_the_api_and_the_postmortem_tell_a_not_configured_run_from_a_failed_one(
    make_api_client, user, make_incident, drill_targets
):
    incident = make_incident("targets-drill")
    run = run_step(incident, user, "check-db")
    body = make_api_client(user).get(f"/api/runs/{run.pk}/").json()
    assert body["failure_cause"] == "console_not_configured"
    assert "| did not run: console not configured |" in postmortem_markdown(incident)


@executes
def test_an_unreachable_target_fails_the_run_as_the_targets_failure(
    client, user, make_incident, ready_targets, write_targets
):
    write_targets({"prod-db": {**ready_targets["prod-db"], "port": free_port()}})
    incident = make_incident("targets-drill")
    run = run_step(incident, user, "check-db")
    assert (run.status, run.failure_cause) == ("failed", "target")
    client.force_login(user)
    html = card(client, incident, "check-db")
    assert (
        '<span class="status run-status" data-role="status" data-swap="status">failed</span>'
        in html
    )
    assert "console not configured" not in html


@executes
def test_an_unknown_host_key_fails_the_run_as_console_not_configured(
    user, make_incident, ready_targets, write_targets, tmp_path
):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    write_targets({"prod-host": {**ready_targets["prod-host"], "known_hosts": str(empty)}})
    run = run_step(make_incident("targets-drill"), user, "uptime")
    assert (run.status, run.failure_cause) == ("failed", "console_not_configured")
    assert run.detail.startswith("the host key of [127.0.0.1]:")


def test_a_step_on_the_consoles_own_host_has_no_readiness_badge(client, user, incident):
    client.force_login(user)
    html = card(client, incident, "count")
    assert (
        '<span class="badge" data-role="target">shell · local (the console&#x27;s own host)' in html
    )
    assert 'class="readiness' not in html
