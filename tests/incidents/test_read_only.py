"""Pages offer only what the API would accept from this person.

A viewer's incident page is read-only: every field and button is disabled or absent.  A
responder's offers no destructive run, no approval and no commander-only control.  Both are
rendered from the same role checks the services make, and the API still refuses.
"""

from html.parser import HTMLParser

import pytest

from incident_console.runs.services import step_run_start

pytestmark = pytest.mark.django_db

CONTROLS = {"input", "select", "textarea", "button"}
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr", "area", "base"}


class OfferedControls(HTMLParser):
    """The form controls a person can use on a page: not disabled, not read-only, not inside a
    disabled fieldset or a hidden box, not the top bar's log-out."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, dict]] = []
        self.offered: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in CONTROLS and self._usable(tag, attrs):
            step = next((a["data-step"] for _, a in reversed(self.open) if "data-step" in a), None)
            self.offered.append({"tag": tag, "step": step, **attrs})
        if tag not in VOID:
            self.open.append((tag, attrs))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def _usable(self, tag, attrs) -> bool:
        if "disabled" in attrs or "readonly" in attrs or attrs.get("type") == "hidden":
            return False
        for open_tag, open_attrs in self.open:
            if open_tag == "header" or "hidden" in open_attrs:
                return False
            if open_tag == "fieldset" and "disabled" in open_attrs:
                return False
        return True


def offered(client, user, url) -> list[dict]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    parser = OfferedControls()
    parser.feed(response.content.decode())
    return parser.offered


def describe(control: dict) -> str:
    what = control.get("data-action") or control.get("data-transition") or control.get("name")
    return f"{control['tag']} {what} on {control['step'] or 'the page'}"


def test_a_viewers_incident_page_offers_no_control(incident, viewer, client):
    assert offered(client, viewer, incident.get_absolute_url()) == []


def test_a_viewers_incident_page_says_it_is_read_only(incident, viewer, client):
    client.force_login(viewer)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "this page is read-only" in page
    assert 'data-form="note"' not in page


def test_a_viewers_step_card_fragment_offers_no_control(incident, viewer, client):
    assert offered(client, viewer, f"{incident.get_absolute_url()}steps/count/card/") == []


def test_a_responders_incident_page_offers_no_destructive_run(incident, responder, client):
    controls = offered(client, responder, incident.get_absolute_url())
    on_wipe = [describe(control) for control in controls if control["step"] == "wipe"]
    assert on_wipe == []


def test_a_responders_incident_page_offers_no_commander_control(incident, responder, client):
    controls = offered(client, responder, incident.get_absolute_url())
    commander_only = [
        describe(control)
        for control in controls
        if control.get("data-transition") not in (None, "acknowledged")
        or control.get("name") in ("impact", "restricted")
        or control.get("data-override")
    ]
    assert commander_only == []


def test_a_responder_still_runs_notes_and_acknowledges(incident, responder, client):
    controls = {
        describe(control) for control in offered(client, responder, incident.get_absolute_url())
    }
    assert {
        "button run on count",
        "input lines on count",
        "button done on call-lead",
        "input text on the page",
        "button acknowledged on the page",
    } <= controls


def test_a_responder_is_not_offered_an_approval(make_incident, user, responder, client):
    incident = make_incident("approval-drill")
    step_run_start(incident=incident, step_id="guarded", actor=user, params={}, dispatch=False)
    controls = offered(client, responder, incident.get_absolute_url())
    approvals = [
        describe(control) for control in controls if "approve" in control.get("data-action", "")
    ]
    assert approvals == []


def test_a_commander_is_offered_every_control(incident, user, client):
    controls = {describe(control) for control in offered(client, user, incident.get_absolute_url())}
    assert {"button run on wipe", "input dir on wipe", "input impact on the page"} <= controls


def test_a_viewers_maintenance_page_offers_no_control(viewer, client):
    assert offered(client, viewer, "/maintenance/") == []


def test_a_responder_completes_checklists_but_runs_no_maintenance_duty(responder, client):
    actions = {
        control.get("data-action") for control in offered(client, responder, "/maintenance/")
    }
    assert "run-maintenance" not in actions


def test_a_commander_runs_maintenance_duties_from_the_page(user, client):
    actions = {control.get("data-action") for control in offered(client, user, "/maintenance/")}
    assert "run-maintenance" in actions


def test_a_viewers_contacts_and_dashboard_pages_offer_no_control(incident, viewer, client):
    assert (offered(client, viewer, "/contacts/"), offered(client, viewer, "/")) == ([], [])


def test_the_api_still_refuses_a_viewers_note(incident, viewer, make_api_client):
    response = make_api_client(viewer).post(
        f"/api/incidents/{incident.pk}/notes/", {"text": "hi"}, format="json"
    )
    assert response.status_code == 403


def test_the_api_still_refuses_a_responders_destructive_run(incident, responder, make_api_client):
    response = make_api_client(responder).post(
        f"/api/incidents/{incident.pk}/steps/wipe/run/", {"params": {}}, format="json"
    )
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "running a destructive step needs the commander role",
    )
