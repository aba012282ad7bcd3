"""The commanders' setup banner: what is still to set up before an outage, each item linking
to where it is fixed; other apps add theirs through SETUP_PROBLEM_PROVIDERS."""

from __future__ import annotations

import pytest

from incident_console.incidents.models import Contact
from incident_console.setup_status import setup_problems
from incident_console.targets.services import targets_check

pytestmark = pytest.mark.django_db

BANNER = 'data-role="setup-banner"'


def maintenance_problems() -> list[dict]:
    return [{"what": "Backups not checked", "why": "no credential", "link": "/maintenance/"}]


@pytest.fixture
def nothing_set_up(settings, tmp_path):
    """The site's placeholder contacts, no notification channel, targets never checked."""
    settings.SLACK_WEBHOOK_URL = ""
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.EMAIL_HOST = ""
    targets = tmp_path / "targets.yaml"
    targets.write_text("targets: {}\n")
    settings.TARGETS_FILE = str(targets)


@pytest.fixture
def all_set_up(nothing_set_up, settings):
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/slack"
    for contact in Contact.objects.all():
        contact.name, contact.phone = "Anna Petrova", "+7 900 000-00-00"
        contact.save(update_fields=["name", "phone"])
    targets_check()


def test_a_console_with_nothing_set_up_lists_each_missing_piece(nothing_set_up):
    problems = {problem["what"]: problem for problem in setup_problems()}
    assert set(problems) == {
        "Targets not checked yet",
        "Contacts not filled in",
        "No notification channel configured",
    }
    assert problems["Targets not checked yet"]["link"] == "/targets/"
    assert problems["Contacts not filled in"]["link"] == "/contacts/"
    assert problems["Contacts not filled in"]["why"].startswith("no name or phone for ")
    assert "DigitalOcean Support" not in problems["Contacts not filled in"]["why"]
    assert problems["No notification channel configured"] == {
        "what": "No notification channel configured",
        "why": "set SLACK_WEBHOOK_URL, or TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID, or "
        "EMAIL_HOST and ONCALL_EMAIL on the web and worker hosts",
        "link": "/targets/#notifications",
    }


def test_a_target_that_is_not_ready_is_a_problem(all_set_up, write_targets, monkeypatch):
    monkeypatch.delenv("IC_TEST_UNSET", raising=False)
    write_targets({"api": {"kind": "http", "base_url": "http://127.0.0.1:9"}})
    targets_check()
    assert setup_problems() == [
        {"what": "1 of 2 targets are not ready", "why": "api: unreachable", "link": "/targets/"}
    ]


def test_a_placeholder_from_the_seed_runbook_is_not_a_phone(all_set_up):
    Contact.objects.filter(role="Lead DevOps").update(name="[ИМЯ]", phone="[ТЕЛЕФОН]")
    assert [p["why"] for p in setup_problems()] == ["no name or phone for Lead DevOps"]


def test_a_console_set_up_has_no_problem(all_set_up):
    assert setup_problems() == []


def test_other_apps_add_their_problems_through_the_providers_setting(all_set_up, settings):
    settings.SETUP_PROBLEM_PROVIDERS = ["tests.targets.test_setup_status.maintenance_problems"]
    assert setup_problems() == maintenance_problems()


def test_commanders_see_the_banner_on_the_dashboard_and_incident_pages(
    client, user, incident, nothing_set_up
):
    client.force_login(user)
    for url in ("/", f"/incidents/{incident.pk}/"):
        html = client.get(url).content.decode()
        assert BANNER in html
        assert '<a href="/targets/">Targets not checked yet</a>' in html
        assert '<a href="/contacts/">Contacts not filled in</a>' in html
        assert '<a href="/targets/#notifications">No notification channel configured</a>' in html


def test_responders_and_viewers_never_see_the_banner(
    client, responder, viewer, incident, nothing_set_up
):
    for person in (responder, viewer):
        client.force_login(person)
        assert BANNER not in client.get("/").content.decode()
        assert BANNER not in client.get(f"/incidents/{incident.pk}/").content.decode()


def test_the_banner_is_not_on_other_pages(client, user, nothing_set_up):
    client.force_login(user)
    assert BANNER not in client.get("/sla/").content.decode()


def test_the_banner_goes_once_everything_is_set_up(client, user, all_set_up):
    client.force_login(user)
    assert BANNER not in client.get("/").content.decode()


def test_no_contact_at_all_is_a_problem(all_set_up):
    Contact.objects.all().delete()
    assert setup_problems() == [
        {"what": "Contacts not filled in", "why": "nobody to call yet", "link": "/contacts/"}
    ]
