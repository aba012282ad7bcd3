"""Importing runbooks shaped like the ones teams publish.

Each document under tests/fixtures/markdown/patterns/ is ours, written to reproduce a pattern
found in public runbooks (tests/fixtures/markdown/SOURCES.md lists them); beside it,
``<name>.expect.yaml`` says what a correct import gives, written from reading the document.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from runbooks.importer import ImportResult, dump_yaml, import_markdown
from runbooks.importer.placeholders import param_name
from runbooks.loader import parse_runbook_text

PATTERNS = Path(__file__).resolve().parents[1] / "fixtures" / "markdown" / "patterns"


@dataclass
class Imported:
    name: str
    text: str
    expect: dict
    result: ImportResult

    def steps(self) -> list[dict]:
        return [step for runbook in self.result.runbooks for step in runbook["steps"]]

    def step(self, slug: str, step_id: str) -> dict:
        runbook = next(rb for rb in self.result.runbooks if rb["slug"] == slug)
        return next(step for step in runbook["steps"] if step["id"] == step_id)

    def shown(self) -> str:
        """Everything of the import a person reads without running it."""
        texts = [s.get(f, "") for s in self.steps() for f in ("instructions", "description")]
        texts += [s.get("expected_output", "") for s in self.steps()]
        texts += [str(note) for rb in self.result.runbooks for note in rb.get("notes", [])]
        return "\n".join(str(text) for text in texts)


@pytest.fixture(scope="module", params=sorted(PATTERNS.glob("*.md")), ids=lambda p: p.stem)
def imported(request) -> Imported:
    path = request.param
    expect = yaml.safe_load(path.with_suffix(".expect.yaml").read_text())
    text = path.read_text()
    return Imported(path.stem, text, expect, import_markdown(text))


def test_every_command_of_the_document_is_kept_in_order_as_a_step(imported):
    assert [command.text for command in imported.result.commands] == imported.expect["commands"]
    for command in imported.result.commands:
        assert imported.step(command.slug, command.step)


def test_exactly_the_commands_a_destructive_rule_matches_are_destructive(imported):
    destructive = [c.text for c in imported.result.commands if c.level == "destructive"]
    assert sorted(destructive) == sorted(imported.expect["destructive"])


def test_a_command_not_known_to_only_read_asks_for_confirmation(imported):
    for command in imported.result.commands:
        step = imported.step(command.slug, command.step)
        if command.level != "safe" and step["executor"] != "manual":
            assert step.get("destructive") is True, command


def test_sample_output_is_never_run_but_kept_to_read(imported):
    commands = [line.strip() for c in imported.result.commands for line in c.text.splitlines()]
    scripts = "\n".join(
        step.get("script", "") + str(step.get("args", {}).get("sql", ""))
        for step in imported.steps()
    )
    for line in imported.expect["sample_output"]:
        assert line.strip() not in commands
        assert line.strip() not in scripts.splitlines()
        assert line.strip() in imported.shown(), line


def test_a_block_in_another_language_gets_the_executor_that_fits_or_is_shown(imported):
    for block in imported.expect["non_shell"]:
        first = block["first_line"].strip()
        steps = [s for s in imported.steps() if first in _text_of(s)]
        assert steps, first
        if block["expected"] == "postgres query":
            assert (steps[0]["executor"], steps[0]["action"]) == ("postgres", "query")
        else:
            assert steps[0]["executor"] == "manual"


def test_every_non_blank_line_of_the_document_is_accounted_for(imported):
    lines = imported.text.splitlines()
    missing = [n for n, line in enumerate(lines, start=1) if line.strip()]
    missing = [n for n in missing if n not in imported.result.ledger]
    assert missing == []


def test_the_scenarios_validate_and_load(imported, tmp_path):
    assert len(imported.result.runbooks) == imported.expect["scenarios"]
    assert imported.result.invalid == {}
    assert len(imported.result.validated) == len(imported.result.runbooks)
    for runbook in imported.result.runbooks:
        _, error = parse_runbook_text(dump_yaml(runbook), tmp_path / f"{runbook['slug']}.yaml")
        assert error is None


def test_each_placeholder_is_a_parameter_or_a_note_saying_why_not(imported):
    params = {p["name"] for s in imported.steps() for p in s.get("params", [])}
    notes = "\n".join(imported.result.unmapped)
    for written in imported.expect["placeholders"]:
        name = param_name(written.removeprefix("YOUR_"))
        assert name in params or f"{written}" in notes, written


def test_a_command_hidden_in_an_html_comment_is_never_a_step(imported):
    for hidden in imported.expect.get("never_commands", []):
        assert hidden not in [c.text for c in imported.result.commands]
        assert hidden not in "\n".join(s.get("script", "") for s in imported.steps())


def _text_of(step: dict) -> str:
    sql = str(step.get("args", {}).get("sql", ""))
    return "\n".join(str(step.get(f, "")) for f in ("instructions", "script")) + "\n" + sql
