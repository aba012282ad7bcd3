from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from incident_console.incidents.models import Contact, EscalationLevel, Scenario

pytestmark = pytest.mark.django_db


def test_createapitoken_creates_the_user_and_prints_only_the_token():
    out = StringIO()
    call_command("createapitoken", "bot", stdout=out)
    user = get_user_model().objects.get(username="bot")
    assert out.getvalue() == Token.objects.get(user=user).key + "\n"
    assert not user.has_usable_password()


def test_createapitoken_twice_prints_the_same_token():
    first, second = StringIO(), StringIO()
    call_command("createapitoken", "bot", stdout=first)
    call_command("createapitoken", "bot", stdout=second)
    assert first.getvalue() == second.getvalue()


def test_sync_runbooks_loads_the_shipped_runbooks():
    out = StringIO()
    call_command("sync_runbooks", stdout=out, stderr=StringIO())
    assert Scenario.objects.filter(slug="disk-full", is_active=True).exists()
    assert "loaded disk-full" in out.getvalue()


def test_sync_runbooks_reports_a_bad_file_with_its_line_and_still_loads_the_rest(
    settings, tmp_path
):
    (tmp_path / "broken.yaml").write_text("slug: broken\ntitle: Broken\nsteps:\n  - id: x\n")
    settings.RUNBOOK_DIRS = [*settings.RUNBOOK_DIRS, tmp_path]
    err = StringIO()
    call_command("sync_runbooks", stdout=StringIO(), stderr=err)
    assert f"{tmp_path / 'broken.yaml'}:4: steps[0].title: Field required" in err.getvalue()
    assert Scenario.objects.filter(slug="disk-full").exists()
    with pytest.raises(CommandError):
        call_command("sync_runbooks", "--strict", stdout=StringIO(), stderr=StringIO())


def test_a_runbook_that_disappears_is_deactivated_not_deleted(settings, tmp_path):
    call_command("sync_runbooks", stdout=StringIO(), stderr=StringIO())
    settings.RUNBOOK_DIRS = [tmp_path]
    call_command("sync_runbooks", stdout=StringIO(), stderr=StringIO())
    assert Scenario.objects.get(slug="disk-full").is_active is False


def test_the_system_check_reports_a_bad_runbook(settings, tmp_path):
    from django.core.checks import run_checks

    (tmp_path / "bad.yaml").write_text("slug: bad\n")
    settings.RUNBOOK_DIRS = [tmp_path]
    errors = [e for e in run_checks() if e.id == "runbooks.E001"]
    assert len(errors) == 1 and "bad.yaml:1" in errors[0].msg


def test_ensure_admin_creates_one_administrator_and_prints_its_password_once():
    first, second = StringIO(), StringIO()
    call_command("ensure_admin", stdout=first)
    call_command("ensure_admin", stdout=second)
    assert "with password:" in first.getvalue()
    assert "with password:" not in second.getvalue()
    assert get_user_model().objects.get().is_superuser


def test_the_seed_contacts_and_escalation_levels_are_there():
    roles = set(Contact.objects.values_list("role", flat=True))
    assert {"Lead DevOps", "Backup DevOps", "Tech Lead", "Backend Lead"} <= roles
    assert list(EscalationLevel.objects.values_list("level", flat=True)) == [1, 2, 3]
