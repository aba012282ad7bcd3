"""The stored postmortem: written sections, action items across incidents, true facts, export."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.postmortem import postmortem_markdown
from incident_console.incidents.timeline import timeline_add

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def export(api_client, incident) -> str:
    return api_client.get(f"/api/incidents/{incident.pk}/postmortem/").content.decode()


def resolved_after(incident, minutes: float) -> Incident:
    opened = timezone.now() - timedelta(hours=6)
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=opened, resolved_at=opened + timedelta(minutes=minutes), status="resolved"
    )
    return Incident.objects.get(pk=incident.pk)


def test_a_responder_writes_the_root_cause_and_the_export_carries_it(
    incident, responder, make_api_client, api_client
):
    response = make_api_client(responder).patch(
        f"/api/incidents/{incident.pk}/postmortem/sections/",
        {"root_cause": "The WAL volume filled up.", "summary": "Writes stopped for 6 min."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["updated_by"] == "rita"
    text = export(api_client, incident)
    assert "## Summary\n\nWrites stopped for 6 min.\n\n- Scenario: Test drill" in text
    assert "## Root cause\n\nThe WAL volume filled up.\n" in text
    assert "## What went well\n\n_Not written yet._" in text


def test_a_viewer_reads_the_postmortem_but_may_not_write_it(incident, viewer, make_api_client):
    client = make_api_client(viewer)
    url = f"/api/incidents/{incident.pk}/postmortem/sections/"
    assert client.get(url).json()["root_cause"] == ""
    response = client.patch(url, {"root_cause": "guess"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Writing the postmortem needs the responder role"
    page = browser(viewer).get(f"/incidents/{incident.pk}/postmortem/").content.decode()
    assert "<textarea" not in page and "Add action item" not in page


def test_the_page_saves_the_sections_and_shows_them_rendered(incident, responder):
    client = browser(responder)
    url = f"/incidents/{incident.pk}/postmortem/"
    response = client.post(url, {"root_cause": "The **WAL** volume filled up."})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "<p>The <strong>WAL</strong> volume filled up.</p>" in page


def test_the_preview_renders_markdown_and_drops_what_could_run(incident, responder):
    response = browser(responder).post(
        f"/incidents/{incident.pk}/postmortem/preview/",
        {"text": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"},
        content_type="application/json",
    )
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_an_action_item_has_an_owner_and_a_due_date_and_shows_in_the_export(
    incident, responder, make_api_client, api_client
):
    response = make_api_client(responder).post(
        f"/api/incidents/{incident.pk}/postmortem/action-items/",
        {"text": "Alert on disk at 80%", "owner": "rita", "due": "2030-01-31"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "incident": incident.pk,
        "text": "Alert on disk at 80%",
        "owner": "rita",
        "due": "2030-01-31",
        "done": False,
        "is_overdue": False,
    }
    assert "- [ ] Alert on disk at 80% (rita, due 2030-01-31)" in export(api_client, incident)


def test_an_action_item_for_someone_unknown_is_refused(incident, api_client):
    response = api_client.post(
        f"/api/incidents/{incident.pk}/postmortem/action-items/",
        {"text": "Call the vendor", "owner": "nobody-here"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["fields"] == {"owner": "is not a user"}


def test_action_items_are_listed_across_incidents_open_first_then_soonest_due(
    make_incident, api_client
):
    first, second = make_incident(title="first"), make_incident(title="second")
    items = {}
    for incident, text, due in (
        (first, "later", "2030-06-01"),
        (second, "overdue", "2020-01-01"),
        (first, "finished", "2019-01-01"),
    ):
        items[text] = api_client.post(
            f"/api/incidents/{incident.pk}/postmortem/action-items/",
            {"text": text, "owner": "alice", "due": due},
            format="json",
        ).json()["id"]
    done = api_client.patch(f"/api/action-items/{items['finished']}/", {"done": True})
    assert done.json()["done"] is True
    listed = api_client.get("/api/action-items/").json()
    assert [(i["text"], i["incident"], i["is_overdue"]) for i in listed] == [
        ("overdue", second.pk, True),
        ("later", first.pk, False),
        ("finished", first.pk, False),
    ]


def test_the_review_page_lists_action_items_with_the_overdue_highlighted(incident, responder, user):
    client = browser(responder)
    client.post(
        f"/incidents/{incident.pk}/postmortem/action-items/",
        {"text": "Rotate the backup key", "owner": "alice", "due": "2020-02-02"},
    )
    page = browser(user).get("/incidents/").content.decode()
    row = page[page.index('id="action-items-review"') :]
    assert '<tr class="overdue"' in row and "Rotate the backup key" in row
    assert '<span class="badge danger">overdue</span>' in row


def test_the_rto_line_says_met_with_the_real_recovery_time(incident):
    text = postmortem_markdown(resolved_after(incident, 6))
    assert "- RTO 4 h: met: recovered in 6 min\n" in text


def test_the_rto_line_says_broken_when_recovery_took_longer_than_4_h(incident):
    text = postmortem_markdown(resolved_after(incident, 5 * 60 + 10))
    assert "- RTO 4 h: broken: recovered in 5 h 10 min\n" in text


def test_the_rto_line_says_still_running_only_while_unresolved(incident):
    assert "- RTO 4 h: still running (not resolved yet)\n" in postmortem_markdown(incident)


@pytest.mark.parametrize(
    ("severity", "verdict"),
    [("sev3", "RPO 24 h: met"), ("sev1", "RPO 1 h: broken: tell the customer")],
)
def test_the_rpo_line_comes_from_the_backup_and_the_restore(
    make_incident, make_run, severity, verdict
):
    incident = make_incident(severity=severity)
    backup = timezone.now() - timedelta(hours=3)
    make_run(incident, "find", outputs={"latest_modified": backup.isoformat()})
    make_run(
        incident,
        "restore",
        executor="postgres",
        command={"action": "restore"},
        started_at=backup + timedelta(hours=2),
        finished_at=timezone.now(),
    )
    text = postmortem_markdown(incident)
    assert (
        f"- {verdict} (data written between {backup:%Y-%m-%d %H:%M} "
        f"and {backup + timedelta(hours=2):%Y-%m-%d %H:%M} UTC, 2.0 h, was lost)"
    ) in text


def test_the_rpo_line_says_so_when_no_data_was_restored(incident):
    assert "- RPO 24 h: no data was restored\n" in postmortem_markdown(incident)


def test_a_manual_step_is_shown_as_manual_without_a_target(incident, make_run):
    make_run(
        incident, "call", step_title="Call the DBA", executor="manual", params={"outcome": "done"}
    )
    text = postmortem_markdown(incident)
    assert "| Call the DBA | manual (no target) | alice | done | — | — |" in text


def test_the_timeline_links_each_finished_step_to_its_output(incident, make_run, api_client):
    run = make_run(incident)
    timeline_add(
        incident=incident, kind=TimelineEntry.Kind.RUN_FINISHED, message="count succeeded", run=run
    )
    text = export(api_client, incident)
    assert f"count succeeded ([output](http://testserver/runs/{run.pk}/output.txt)) |" in text


def test_the_download_is_the_whole_postmortem_as_an_attachment(incident, responder):
    response = browser(responder).get(f"/incidents/{incident.pk}/postmortem.md")
    assert response["Content-Disposition"] == f'attachment; filename="postmortem-{incident.pk}.md"'
    text = response.content.decode()
    for heading in ("Summary", "Impact", "RTO / RPO", "Timeline", "Root cause", "Action items"):
        assert f"\n## {heading}\n" in text, heading


def test_an_action_item_due_yesterday_and_open_is_overdue(incident, user):
    from incident_console.postmortems.services import action_item_add

    item = action_item_add(
        incident=incident, actor=user, text="x", owner_username="", due=date.today() - timedelta(1)
    )
    assert item.is_overdue is True


def test_a_restricted_incident_s_postmortem_and_action_items_stay_hidden_from_outsiders(
    incident, user, responder, make_api_client
):
    from incident_console.postmortems.services import action_item_add

    action_item_add(
        incident=incident, actor=user, text="Rotate the leaked key", owner_username="", due=None
    )
    Incident.objects.filter(pk=incident.pk).update(restricted=True)
    client, api = browser(responder), make_api_client(responder)
    for path in ("postmortem/", "postmortem.md"):
        assert client.get(f"/incidents/{incident.pk}/{path}").status_code == 404, path
    assert api.get(f"/api/incidents/{incident.pk}/postmortem/sections/").status_code == 404
    assert api.get("/api/action-items/").json() == []
    assert "Rotate the leaked key" not in client.get("/incidents/").content.decode()
