import re
from pathlib import Path

import pytest

from runbooks.loader import load_runbook_dirs, load_runbook_file

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
slug: sample
title: Sample
steps:
  - id: first
    title: First
    executor: shell
    argv: [echo, "{{ word }}"]
    params:
      - {name: word, default: hi}
"""


def write(tmp_path: Path, text: str, name: str = "sample.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_file_loads_with_its_steps_parameters_and_a_version(tmp_path):
    loaded, error = load_runbook_file(write(tmp_path, VALID))
    assert error is None
    assert loaded.runbook.slug == "sample"
    assert [step.id for step in loaded.runbook.steps] == ["first"]
    assert loaded.runbook.steps[0].params[0].default == "hi"
    assert len(loaded.version) == 12


def test_the_version_changes_when_the_file_changes(tmp_path):
    first, _ = load_runbook_file(write(tmp_path, VALID))
    second, _ = load_runbook_file(write(tmp_path, VALID.replace("First", "Second")))
    assert first.version != second.version


def test_every_shipped_runbook_loads():
    report = load_runbook_dirs([ROOT / "runbooks"])
    assert report.errors == []
    assert "disk-full" in {loaded.runbook.slug for loaded in report.runbooks}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("slug: x\ntitle: [unclosed\n", 3, "invalid YAML"),
        ("- just\n- a list\n", 1, "must be a mapping"),
        ("slug: x\nsteps: []\n", 1, "title: Field required"),
        ("slug: Bad Slug\ntitle: t\nsteps: []\n", 1, "slug: String should match pattern"),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: telepathy\n",
            6,
            "steps[0].executor: Input should be 'shell', 'manual', 'ssh', 'postgres', 's3', "
            "'http' or 'docker'",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: shell\n",
            4,
            "a shell step needs exactly one of argv or script",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: s3\n",
            4,
            "a s3 step needs an action",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: s3\n"
            "    action: list\n    args: {prefix: '{{ day }}'}\n",
            4,
            "placeholders without a parameter: day",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: manual\n"
            "    params: [{name: k, from: {step: b, output: key}}]\n"
            "  - {id: b, title: B, executor: manual}\n",
            1,
            "parameter k comes from b, which is not an earlier step",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: shell\n"
            "    argv: [rm, '{{ path }}']\n",
            4,
            "placeholders without a parameter: path",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - {id: a, title: A, executor: manual}\n"
            "  - {id: a, title: B, executor: manual}\n",
            1,
            "step ids repeat: a",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - {id: a, title: A, executor: manual, on_failure: zz}\n",
            1,
            "on_failure names unknown step zz",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: manual\n"
            "    colour: red\n",
            7,
            "steps[0].colour: Extra inputs are not permitted",
        ),
    ],
)
def test_an_invalid_file_is_reported_with_its_line_and_reason(tmp_path, text, line, reason):
    path = write(tmp_path, text)
    loaded, error = load_runbook_file(path)
    assert loaded is None
    assert error.path == path
    assert error.line == line
    assert reason in error.reason
    assert str(error).startswith(f"{path}:{line}: ")


def test_a_bad_file_does_not_stop_the_others_from_loading(tmp_path):
    write(tmp_path, VALID, "a-good.yaml")
    write(tmp_path, "slug: broken\n", "b-broken.yaml")
    report = load_runbook_dirs([tmp_path])
    assert [loaded.runbook.slug for loaded in report.runbooks] == ["sample"]
    assert [error.path.name for error in report.errors] == ["b-broken.yaml"]


def test_a_slug_defined_twice_is_an_error_naming_the_first_file(tmp_path):
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "b.yaml")
    report = load_runbook_dirs([tmp_path])
    assert len(report.runbooks) == 1
    assert "already defined in" in report.errors[0].reason
    assert report.errors[0].path.name == "b.yaml"


def test_a_missing_directory_is_reported(tmp_path):
    report = load_runbook_dirs([tmp_path / "nope"])
    assert report.errors[0].reason == "runbook directory does not exist"


@pytest.mark.parametrize(
    ("param", "raw", "expected"),
    [
        ({"name": "n", "type": "integer", "min": 1, "max": 9}, "5", 5),
        ({"name": "n", "type": "integer", "default": 7}, "", 7),
        ({"name": "p", "type": "path"}, "/var/log", "/var/log"),
        ({"name": "c", "type": "choice", "choices": ["a", "b"]}, "b", "b"),
        ({"name": "s", "pattern": "[a-z]+"}, "abc", "abc"),
    ],
)
def test_a_parameter_accepts_valid_values(param, raw, expected):
    from runbooks.schema import Parameter

    assert Parameter(**param).validate_value(raw) == expected


@pytest.mark.parametrize(
    ("param", "raw", "message"),
    [
        ({"name": "n", "type": "integer", "min": 1, "max": 9}, "10", "must be at most 9"),
        ({"name": "n", "type": "integer"}, "1; rm -rf /", "must be a whole number"),
        ({"name": "p", "type": "path"}, "relative/dir", "must be an absolute path"),
        ({"name": "c", "type": "choice", "choices": ["a", "b"]}, "z", "must be one of a, b"),
        ({"name": "s", "pattern": "[a-z]+"}, "abc1", "must match [a-z]+"),
        ({"name": "s"}, "", "is required"),
        ({"name": "s"}, "two\nlines", "must be one line of text"),
    ],
)
def test_a_parameter_refuses_invalid_values_saying_why(param, raw, message):
    from runbooks.schema import Parameter

    with pytest.raises(ValueError, match=re.escape(message)):
        Parameter(**param).validate_value(raw)
