"""The import preview's step fields: "Apply changes" shows the edited runbook, Save saves it,
and an edit that cannot be made is answered 400 with nothing saved."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

from incident_console.errors import ConfirmationRequired
from incident_console.incidents.models import Scenario
from incident_console.runs import execution, services
from incident_console.runs.models import OutputChunk

pytestmark = pytest.mark.django_db(transaction=True)
PREVIEW = "/runbooks/import/"
CACHE = """# Cache is stale

## Symptoms
- Pages show yesterday's prices

## Actions
```bash
# Count the cached pages
echo counted
# Clear the cache
echo cleared
# Warm it again
echo warmed
```
"""
COUNT = "step-0-actions-count-the-cached-pages"
CLEAR = "step-0-actions-clear-the-cache"
WARM = "step-0-actions-warm-it-again"


def shown(*names: str) -> dict[str, str]:
    """The fields the preview form sends for unchanged rows of ``names``."""
    titles = {
        COUNT: "Actions: Count the cached pages",
        CLEAR: "Actions: Clear the cache",
        WARM: "Actions: Warm it again",
    }
    fields = {}
    for name in names:
        fields.update({f"{name}-shown": "1", f"{name}-title": titles[name]})
        fields.update({f"{name}-executor": "shell", f"{name}-target": "local"})
    return fields


def edited_form(action: str, **changes: str) -> dict[str, str]:
    """Rename the first step and merge it with the second, mark it destructive, drop the third."""
    return {
        "text": CACHE,
        "action": action,
        **shown(COUNT, CLEAR, WARM),
        f"{COUNT}-title": "Count and clear the cache",
        f"{COUNT}-merge": "1",
        f"{COUNT}-destructive": "1",
        f"{WARM}-drop": "1",
        **changes,
    }


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def imported_dir(settings, tmp_path, scenarios):
    settings.IMPORTED_RUNBOOKS_DIR = tmp_path
    return tmp_path


def test_the_preview_shows_each_step_as_labelled_fields(user, imported_dir):
    page = client_of(user).post(PREVIEW, {"text": CACHE, "action": "preview"}).content.decode()
    for field in ("title", "executor", "target", "destructive", "approval", "drop", "merge"):
        assert f'name="{COUNT}-{field}"' in page
    assert f'<label class="wide">Title <input name="{COUNT}-title"' in page
    assert f'name="{WARM}-merge"' not in page, "the last step has nothing to merge with"


def test_apply_shows_the_edited_runbook_and_its_yaml_and_saves_nothing(user, imported_dir):
    response = client_of(user).post(PREVIEW, edited_form("apply"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Count and clear the cache" in page
    yaml_shown = page.split("<details", 1)[1]
    assert "script: &#x27;echo counted\n\n    echo cleared&#x27;" in yaml_shown
    assert "echo warmed" not in yaml_shown
    assert f'name="{WARM}-drop" value="1" checked' in page, "the form keeps what was chosen"
    assert not list(imported_dir.iterdir())


def test_save_writes_and_loads_the_edited_runbook(user, imported_dir):
    response = client_of(user).post(PREVIEW, edited_form("save"))
    assert response.status_code == 302
    saved = yaml.safe_load((imported_dir / "cache-is-stale.yaml").read_text())
    assert saved["steps"] == [
        {
            "id": "actions-count-the-cached-pages",
            "title": "Count and clear the cache",
            "executor": "shell",
            "script": "echo counted\necho cleared",
            "description": "Count the cached pages\n\nClear the cache",
            "destructive": True,
            "requires_approval": False,
        }
    ]
    scenario = Scenario.objects.get(slug="cache-is-stale", is_active=True)
    assert [step["title"] for step in scenario.steps] == ["Count and clear the cache"]


def test_a_refused_edit_is_answered_400_with_its_reason_and_nothing_is_saved(user, imported_dir):
    form = edited_form("save", **{f"{CLEAR}-executor": "ssh"})
    response = client_of(user).post(PREVIEW, form)
    page = response.content.decode()
    assert response.status_code == 400
    assert "step actions-clear-the-cache runs over ssh: it needs a target" in page
    assert not list(imported_dir.iterdir())
    assert not Scenario.objects.filter(slug="cache-is-stale").exists()


def test_a_refused_apply_keeps_the_form_as_sent(user, imported_dir):
    form = edited_form("apply", **{f"{WARM}-merge": "1"})
    form.pop(f"{WARM}-drop")
    page = client_of(user).post(PREVIEW, form).content.decode()
    assert "step actions-warm-it-again is the last step" in page
    assert 'value="Count and clear the cache"' in page


def test_an_unknown_executor_from_the_form_is_refused(user, imported_dir):
    response = client_of(user).post(PREVIEW, edited_form("apply", **{f"{COUNT}-executor": "bash"}))
    assert response.status_code == 400
    assert "“bash” is not an executor" in response.content.decode()


def test_a_responder_may_apply_edits_but_not_save_them(responder, imported_dir):
    client = client_of(responder)
    assert client.post(PREVIEW, edited_form("apply")).status_code == 200
    response = client.post(PREVIEW, edited_form("save"))
    assert response.status_code == 403
    assert not list(imported_dir.iterdir())


def test_the_saved_edited_step_runs_as_edited(user, imported_dir, make_incident):
    assert client_of(user).post(PREVIEW, edited_form("save")).status_code == 302
    incident = make_incident("cache-is-stale")
    step_id = "actions-count-the-cached-pages"
    with pytest.raises(ConfirmationRequired) as asked:
        services.step_run_start(
            incident=incident, step_id=step_id, actor=user, params={}, dispatch=False
        )
    run = services.step_run_start(
        incident=incident,
        step_id=step_id,
        actor=user,
        params={},
        confirm="local",
        digest=asked.value.extra["digest"],
        dispatch=False,
    )
    finished = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert (finished.status, finished.exit_code) == ("succeeded", 0)
    output = "".join(
        OutputChunk.objects.filter(run=run).order_by("seq").values_list("text", flat=True)
    )
    assert output == "counted\ncleared\n"


def test_a_refusal_is_said_in_the_readers_language(user, imported_dir):
    form = edited_form("apply", **{f"{CLEAR}-executor": "ssh"})
    response = client_of(user).post(PREVIEW, form, HTTP_ACCEPT_LANGUAGE="ru")
    page = response.content.decode()
    assert "шаг actions-clear-the-cache выполняется по ssh: ему нужна цель" in page
    assert "Объединить со следующим шагом" in page
