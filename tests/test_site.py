"""The site: checked at startup, loaded by `manage.py load_site`, and the only place that names
one customer's things."""

import json
import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.checks import run_checks
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from incident_console.alerts.services import alertmanager_intake
from incident_console.incidents.models import Contact, EscalationLevel, Incident
from incident_console.incidents.services import scenarios_sync
from incident_console.maintenance.services import CHECKS
from tests.conftest import lines_naming

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "runbooks" / "sites"
# Names only the Ringo site may use: its product, hosts, bucket, prefix and scenarios.
RINGO_NAMES = re.compile(
    r"ringo|backups-bucket|media-bucket|prod-db|prod-host|compose-prod|postgres/full"
    r"|unknown-alert|test-restore\b|database-down|digitalocean",
    re.IGNORECASE,
)


def use_site(settings, path: Path) -> None:
    settings.SITE_DIR = path
    settings.TARGETS_FILE = str(path / "targets.yaml")
    settings.RUNBOOK_DIRS = [path / "runbooks"]


@pytest.fixture
def copy(tmp_path, settings):
    """A copy of the shipped site, run by the console, to break."""
    path = Path(shutil.copytree(SITES / "ringo", tmp_path / "ringo"))
    use_site(settings, path)
    return path


def site_messages() -> list[tuple[str, str]]:
    return [(m.id, m.msg) for m in run_checks() if m.id.startswith("site.")]


def test_the_shipped_site_passes_its_checks():
    assert site_messages() == []


def test_renaming_the_bucket_target_fails_the_check_naming_file_and_field(copy):
    text = (copy / "targets.yaml").read_text()
    (copy / "targets.yaml").write_text(text.replace("  backups-bucket:", "  backup-store:"))
    backups, retention = lines_naming(copy / "maintenance.yaml", "target: backups-bucket")
    assert site_messages() == [
        (
            "site.E002",
            f"{copy}/maintenance.yaml:{backups}: duties.backups.target: "
            "no target 'backups-bucket' in targets.yaml",
        ),
        (
            "site.E002",
            f"{copy}/maintenance.yaml:{retention}: duties.retention.target: "
            "no target 'backups-bucket' in targets.yaml",
        ),
    ]


def test_a_site_file_that_does_not_validate_fails_the_check(copy):
    (copy / "contacts.yaml").write_text("people:\n  - team: Nobody\n")
    assert site_messages() == [
        ("site.E001", f"{copy}/contacts.yaml:2: people[0].role: Field required")
    ]


def test_an_escalation_naming_someone_the_site_lacks_is_a_warning(copy):
    text = (copy / "runbooks" / "pitr.yaml").read_text()
    assert "notify" not in text
    rule = "escalation_rules:\n  - {id: call-cto, after_minutes: 5, notify: [CTO]}\nsteps:"
    (copy / "runbooks" / "pitr.yaml").write_text(text.replace("steps:", rule, 1))
    assert site_messages() == [
        (
            "site.W003",
            f"{copy}/runbooks/pitr.yaml: escalation_rules call-cto: notifies 'CTO', "
            f"not a role or level of {copy}/contacts.yaml",
        )
    ]


def test_a_customer_notice_without_its_template_is_a_warning(copy):
    (copy / "notices" / "data-loss.txt").unlink()
    assert site_messages() == [
        (
            "site.W004",
            f"{copy}/runbooks/data-loss.yaml: step notify-customer: "
            f"no template {copy}/notices/data-loss.txt",
        )
    ]


def test_a_customer_contact_naming_nobody_fails_the_check(copy):
    text = (copy / "contacts.yaml").read_text()
    (copy / "contacts.yaml").write_text(text.replace("customer: Customer", "customer: Client"))
    assert site_messages() == [
        ("site.E002", f"{copy}/contacts.yaml:35: customer: no person with role 'Client'")
    ]


@pytest.mark.django_db
def test_load_site_writes_the_contacts_levels_and_schedules_of_the_site():
    Contact.objects.all().delete()
    EscalationLevel.objects.all().delete()
    PeriodicTask.objects.filter(task="maintenance.run").delete()
    call_command("load_site", stdout=StringIO())
    assert sorted(Contact.objects.values_list("role", flat=True)) == [
        "AWS Support",
        "Backend Lead",
        "Backup DevOps",
        "Customer",
        "DigitalOcean Support",
        "Lead DevOps",
        "Tech Lead",
    ]
    level2 = EscalationLevel.objects.get(level=2)
    assert (level2.name, level2.after_minutes) == ("Development leads", 15)
    assert sorted(level2.contacts.values_list("role", flat=True)) == ["Backend Lead", "Tech Lead"]
    backups = PeriodicTask.objects.get(name="maintenance: backups")
    assert (backups.task, json.loads(backups.args), str(backups.crontab)) == (
        "maintenance.run",
        ["backups"],
        "0 6 * * * (m/h/dM/MY/d) UTC",
    )


@pytest.mark.django_db
def test_load_site_again_changes_nothing_and_keeps_what_the_admin_filled_in():
    Contact.objects.filter(role="Lead DevOps").update(name="Ivan", phone="+7 900 000-00-00")
    out = StringIO()
    call_command("load_site", stdout=out)
    assert out.getvalue() == "site Ringo Uchet: 0 created, 0 updated, 0 disabled\n"
    ivan = Contact.objects.get(role="Lead DevOps")
    assert (ivan.name, ivan.phone) == ("Ivan", "+7 900 000-00-00")
    assert Contact.objects.count() == 7


@pytest.mark.django_db
def test_load_site_update_overwrites_with_the_site(settings):
    EscalationLevel.objects.filter(level=2).update(after_minutes=99)
    call_command("load_site", "--update", stdout=StringIO())
    assert EscalationLevel.objects.get(level=2).after_minutes == 15


@pytest.mark.django_db
def test_load_site_disables_the_schedule_of_a_duty_the_site_no_longer_has(settings):
    use_site(settings, SITES / "example")
    out = StringIO()
    call_command("load_site", stdout=out)
    enabled = PeriodicTask.objects.filter(task="maintenance.run", enabled=True)
    assert list(enabled.values_list("name", flat=True)) == ["maintenance: resources"]
    assert "disabled schedule backups" in out.getvalue()


def test_the_duties_are_the_site_s(settings):
    use_site(settings, SITES / "example")
    assert [(key, check.title, check.period) for key, check in CHECKS.items()] == [
        ("resources", "Resource usage (disks under 95%)", "daily")
    ]


@pytest.mark.django_db
def test_an_alert_no_runbook_claims_opens_the_site_s_unrouted_scenario(settings):
    use_site(settings, SITES / "example")
    scenarios_sync()
    alert = {
        "status": "firing",
        "labels": {"alertname": "CertificateExpiring"},
        "fingerprint": "f1",
    }
    alertmanager_intake({"groupKey": "g", "alerts": [alert]})
    assert Incident.objects.get().scenario.slug == "service-down"


def test_the_example_site_starts_loads_and_syncs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SITE="example", VAR_DIR=str(tmp_path), LOG_LEVEL="WARNING")
    outputs = [
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        for args in (
            ["check", "--fail-level", "WARNING"],
            ["migrate", "--noinput"],
            ["load_site"],
            ["sync_runbooks", "--strict"],
        )
    ]
    assert outputs[2].splitlines()[-1] == "site Example: 3 created, 0 updated, 0 disabled"
    assert outputs[3].splitlines()[-1] == "1 runbooks loaded, 0 with errors"


def test_the_console_s_code_names_nothing_of_one_customer():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "incident_console").rglob("*"))
        if path.suffix in (".py", ".html", ".js", ".txt") and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if RINGO_NAMES.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(("name", "role"), [("ringo", "Tech Lead"), ("example", "On call")])
def test_an_import_names_the_people_of_the_running_site(settings, tmp_path, name, role):
    use_site(settings, SITES / name)
    document = tmp_path / "doc.md"
    document.write_text(
        "# Queue stuck\n**Symptoms:**\n- x\n**Escalation:**\n"
        f"- After 20 minutes call the {role.lower()}\n"
    )
    call_command("import_runbook", str(document), "--out", str(tmp_path), stdout=StringIO())
    imported = yaml.safe_load((tmp_path / "queue-stuck.yaml").read_text())
    assert imported["escalation_rules"][0]["notify"] == [role]
