"""The shipped runbooks checked against the customer's runbook: each step runs where the seed
means it, no default picks a backup, date or file for the person, and the team's own scripts
are what a step says it runs."""

import re
from pathlib import Path

import pytest
import yaml

from runbooks.schema import Runbook

SITE = Path(__file__).resolve().parents[2] / "runbooks" / "sites" / "ringo"
RUNBOOKS = sorted((SITE / "runbooks").glob("*.yaml"))
# Only calls to outside APIs belong on the console's worker: GitHub, AWS IAM, Terraform's cloud.
WORKER_PROGRAMS = {"gh", "aws", "terraform"}
A_DATE = re.compile(r"20\d{2}-?\d{2}-?\d{2}")


def load(path: Path) -> Runbook:
    return Runbook.model_validate(yaml.safe_load(path.read_text()))


def every_step() -> list:
    return [
        pytest.param(step, id=f"{path.stem}:{step.id}")
        for path in RUNBOOKS
        for step in load(path).steps
    ]


def program(step) -> str:
    words = step.argv or (step.script or "").split()
    return words[0] if words else ""


@pytest.mark.parametrize("step", every_step())
def test_a_step_on_the_worker_only_calls_an_outside_api(step):
    if step.executor == "shell":
        assert program(step) in WORKER_PROGRAMS


@pytest.mark.parametrize("step", every_step())
def test_every_target_is_a_real_place_of_the_site(step):
    targets = yaml.safe_load((SITE / "targets.yaml").read_text())["targets"]
    if step.executor not in ("shell", "manual", "customer_notice"):
        assert step.target in targets


@pytest.mark.parametrize("step", every_step())
def test_no_default_names_a_backup_a_date_or_a_file_to_act_on(step):
    for param in step.params:
        if param.default is None:
            continue
        assert param.from_ is None, f"{param.name}: a chained value is never defaulted"
        assert not A_DATE.search(str(param.default)), f"{param.name} defaults to a date"
        assert param.name not in ("key", "backup_key", "version_id"), param.name


@pytest.mark.parametrize("step", every_step())
def test_a_title_naming_a_teams_script_runs_that_script(step):
    for script in ("restore-postgres.sh", "test-restore.sh", "rotate-secrets.sh"):
        if script in step.title:
            assert step.executor == "ssh" and step.target == "prod-host"
            assert program(step).endswith(f"/scripts/{script}")


def test_each_team_script_has_the_built_in_way_beside_it():
    for path in RUNBOOKS:
        runbook = load(path)
        for step in runbook.steps:
            if program(step).endswith(("restore-postgres.sh", "test-restore.sh")):
                ways = runbook.ways(step.one_of or "")
                assert len(ways) == 2 and ways[1].executor in ("postgres", "s3"), path.name


@pytest.mark.parametrize("step", every_step())
def test_terraform_applies_only_a_plan_a_person_has_seen(step):
    if program(step) != "terraform":
        return
    if "apply" in step.argv:
        assert "-auto-approve" not in step.argv
        plan_file = step.argv[-1]
        assert plan_file.endswith(".tfplan") and step.destructive and len(step.needs) == 1
        steps = {other.id: other for path in RUNBOOKS for other in load(path).steps}
        planner = steps[step.needs[0]]
        assert "plan" in planner.argv and f"-out={plan_file}" in planner.argv
        assert not planner.destructive


@pytest.mark.parametrize("step", every_step())
def test_every_pattern_says_in_words_what_it_expects_with_an_example_that_fits(step):
    for param in step.params:
        if param.pattern:
            example = param.expect.split(" like ", 1)[1].split(" ", 1)[0]
            assert re.fullmatch(param.pattern, example), f"{param.name}: {param.expect}"
