import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from incident_console.incidents.models import Scenario

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "markdown"


def test_the_command_writes_reviewable_yaml_and_prints_what_it_could_not_map(tmp_path):
    out = StringIO()
    call_command("import_runbook", str(FIXTURES / "english.md"), "--out", str(tmp_path), stdout=out)
    written = sorted(p.name for p in tmp_path.glob("*.yaml"))
    assert written == ["payment-api-returns-502.yaml"]
    data = yaml.safe_load((tmp_path / written[0]).read_text())
    assert data["title"] == "Payment API returns 502"
    assert "1 runbooks" in out.getvalue()


def test_the_command_refuses_an_empty_file_clearly(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    with pytest.raises(CommandError, match="the document is empty"):
        call_command("import_runbook", str(empty), "--out", str(tmp_path))
    assert not list(tmp_path.glob("*.yaml"))


def test_the_upload_page_previews_before_saving_and_saves_on_confirm(
    user, settings, tmp_path, scenarios
):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    client = Client()
    client.force_login(user)
    upload = SimpleUploadedFile("no-code.md", (FIXTURES / "no-code.md").read_bytes())
    preview = client.post("/runbooks/import/", {"file": upload, "action": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Office internet is down" in page and "office-internet-is-down.yaml" in page
    assert not list(tmp_path.glob("*.yaml")), "nothing is saved before confirmation"
    text = (FIXTURES / "no-code.md").read_text()
    saved = client.post("/runbooks/import/", {"text": text, "action": "save"})
    assert saved.status_code == 302
    assert (tmp_path / "office-internet-is-down.yaml").exists()
    assert Scenario.objects.filter(slug="office-internet-is-down", is_active=True).exists()


def test_the_upload_page_shows_a_clear_error_for_a_broken_file(user):
    client = Client()
    client.force_login(user)
    response = client.post("/runbooks/import/", {"text": "no headings", "action": "preview"})
    assert response.status_code == 400
    assert "no scenario found" in response.content.decode()


# Who may import, and how large a document may be.

PREVIEW = "/runbooks/import/"


def test_a_viewer_cannot_preview_an_import(viewer):
    client = Client()
    client.force_login(viewer)
    text = (FIXTURES / "no-code.md").read_text()
    response = client.post(PREVIEW, {"text": text, "action": "preview"})
    assert response.status_code == 403
    assert "importing runbooks needs the responder role" in response.content.decode()


def test_a_responder_can_preview_an_import(responder):
    client = Client()
    client.force_login(responder)
    text = (FIXTURES / "no-code.md").read_text()
    response = client.post(PREVIEW, {"text": text, "action": "preview"})
    assert response.status_code == 200
    assert "office-internet-is-down.yaml" in response.content.decode()


def test_an_upload_larger_than_the_limit_is_refused_with_413(responder, settings):
    settings.IMPORT_MAX_BYTES = 2048
    client = Client()
    client.force_login(responder)
    upload = SimpleUploadedFile("big.md", b"# Big\n```\nls\n```\n" + b"x" * 2048)
    response = client.post(PREVIEW, {"file": upload, "action": "preview"})
    assert response.status_code == 413
    assert "larger than 2048 bytes (IMPORT_MAX_BYTES)" in response.content.decode()


def test_pasted_text_larger_than_the_limit_is_refused_with_413(responder, settings):
    settings.IMPORT_MAX_BYTES = 2048
    client = Client()
    client.force_login(responder)
    response = client.post(PREVIEW, {"text": "# Big\n" + "я" * 1100, "action": "preview"})
    assert response.status_code == 413
    assert "larger than 2048 bytes (IMPORT_MAX_BYTES)" in response.content.decode()


def test_a_body_far_over_the_limit_is_refused_with_413_before_it_is_parsed(responder, settings):
    settings.IMPORT_MAX_BYTES = 2048
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000  # parsing it would answer 400, not 413
    client = Client()
    client.force_login(responder)
    response = client.post(PREVIEW, {"text": "x" * 200_000, "action": "preview"})
    assert response.status_code == 413


def test_the_command_refuses_a_file_larger_than_the_limit(tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 2048
    big = tmp_path / "big.md"
    big.write_text("# Big\n```\nls\n```\n" + "x" * 2048)
    with pytest.raises(CommandError, match=r"more than IMPORT_MAX_BYTES \(2048\)"):
        call_command("import_runbook", str(big), "--out", str(tmp_path))
    assert not list(tmp_path.glob("*.yaml"))


# Slugs that exist already.

DISK_FULL = "# Disk full\n\n## Actions\n1. Look at the graphs.\n"


def commander_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_preview_offers_a_free_slug_for_a_shipped_runbooks_slug(
    user, scenarios, settings, tmp_path
):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    response = commander_client(user).post(PREVIEW, {"text": DISK_FULL, "action": "preview"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="slug-0" value="disk-full-2"' in page
    assert 'name="replace-0"' not in page


def test_saving_under_a_shipped_runbooks_slug_is_refused(user, scenarios, settings, tmp_path):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    response = commander_client(user).post(
        PREVIEW, {"text": DISK_FULL, "action": "save", "slug-0": "disk-full"}
    )
    assert response.status_code == 409
    assert "“disk-full” is a shipped runbook" in response.content.decode()
    assert not list(tmp_path.iterdir())
    assert Scenario.objects.get(slug="disk-full").source_path.endswith("runbooks/disk-full.yaml")


def test_a_shipped_runbook_cannot_be_replaced(user, scenarios, settings, tmp_path):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    response = commander_client(user).post(
        PREVIEW, {"text": DISK_FULL, "action": "save", "replace-0": "1"}
    )
    assert response.status_code == 409
    assert "only an earlier import can be replaced" in response.content.decode()
    assert not list(tmp_path.iterdir())


def test_saving_under_the_offered_slug_keeps_the_shipped_runbook(
    user, scenarios, settings, tmp_path
):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    response = commander_client(user).post(
        PREVIEW, {"text": DISK_FULL, "action": "save", "slug-0": "disk-full-2"}
    )
    assert response.status_code == 302
    assert yaml.safe_load((tmp_path / "disk-full-2.yaml").read_text())["slug"] == "disk-full-2"
    assert Scenario.objects.get(slug="disk-full-2").title == "Disk full"
    assert Scenario.objects.get(slug="disk-full").source_path.endswith("runbooks/disk-full.yaml")


def save(client, text: str, **fields):
    return client.post(PREVIEW, {"text": text, "action": "save", **fields})


OFFICE = (FIXTURES / "no-code.md").read_text()
OFFICE_V2 = OFFICE.replace("wait five minutes", "wait ten minutes")


def test_saving_an_earlier_imports_slug_without_replace_is_refused(
    user, scenarios, settings, tmp_path
):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    client = commander_client(user)
    assert save(client, OFFICE).status_code == 302
    before = (tmp_path / "office-internet-is-down.yaml").read_text()
    response = save(client, OFFICE_V2)
    assert response.status_code == 409
    assert "was imported before" in response.content.decode()
    assert 'name="replace-0"' in response.content.decode()
    assert (tmp_path / "office-internet-is-down.yaml").read_text() == before


def test_replacing_an_earlier_import_keeps_its_incidents_on_their_version(
    user, scenarios, settings, tmp_path, make_incident
):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    client = commander_client(user)
    assert save(client, OFFICE).status_code == 302
    old = make_incident("office-internet-is-down")
    old_version = old.scenario.version
    assert save(client, OFFICE_V2, **{"replace-0": "1"}).status_code == 302
    old.refresh_from_db()
    assert old.scenario.version == old_version
    assert "wait five minutes" in old.scenario.steps[1]["instructions"]
    assert old.scenario.is_active is False
    new = make_incident("office-internet-is-down")
    assert new.scenario.version != old_version
    assert "wait ten minutes" in new.scenario.steps[1]["instructions"]


# A slug defined twice on disk: reported for the later file, never fatal.


@pytest.fixture
def duplicate_dir(tmp_path):
    """A directory whose file defines disk-full again, as a saved import once could."""
    shipped = ROOT / "runbooks" / "sites" / "ringo" / "runbooks" / "disk-full.yaml"
    copy = yaml.safe_load(shipped.read_text())
    copy["title"] = "Imported disk full"
    (tmp_path / "disk-full.yaml").write_text(yaml.safe_dump(copy))
    return tmp_path


def test_a_slug_defined_twice_is_a_warning_for_the_later_file(settings, duplicate_dir):
    from django.core.checks import run_checks

    settings.RUNBOOK_DIRS = [*settings.RUNBOOK_DIRS, duplicate_dir]
    found = [(m.id, m.msg) for m in run_checks() if m.id.startswith("runbooks.")]
    assert [id_ for id_, _ in found if id_ in ("runbooks.E001", "runbooks.W003")] == [
        "runbooks.W003"
    ]
    message = next(msg for id_, msg in found if id_ == "runbooks.W003")
    assert message.startswith(f"{duplicate_dir / 'disk-full.yaml'}:1: slug 'disk-full'")


def test_scenarios_sync_skips_the_later_file_of_a_slug_defined_twice(settings, duplicate_dir):
    from incident_console.incidents.services import scenarios_sync

    settings.RUNBOOK_DIRS = [*settings.RUNBOOK_DIRS, duplicate_dir]
    scenarios_sync()
    shipped = Scenario.objects.get(slug="disk-full")
    assert (shipped.title, shipped.is_active) == ("Disk full", True)
    assert shipped.source_path.endswith("runbooks/disk-full.yaml")


@pytest.mark.parametrize("command", [["check"], ["migrate", "--noinput"]])
def test_manage_py_still_runs_with_a_slug_defined_twice(command, duplicate_dir, tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(VAR_DIR=str(tmp_path_factory.mktemp("var")), RUNBOOK_DIRS=str(duplicate_dir))
    done = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "runbooks.W003" in done.stderr
