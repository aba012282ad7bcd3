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
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "markdown"


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
