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
    report = load_runbook_dirs([ROOT / "runbooks" / "sites" / "ringo" / "runbooks"])
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
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: shell\n"
            "    argv: [echo, '{{ day }}']\n    params:\n      - name: day\n"
            "        pattern: '20[0-9]{6}'\n",
            9,
            "a parameter with a pattern needs expect: what a valid value looks like, in words",
        ),
        (
            "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n    executor: telepathy\n",
            6,
            "steps[0].executor: Input should be 'shell', 'manual', 'ssh', 'postgres', 's3', "
            "'http', 'docker' or 'customer_notice'",
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


def test_every_test_fixture_runbook_loads():
    report = load_runbook_dirs([ROOT / "tests" / "fixtures" / "runbooks"])
    assert report.errors == []


def step_file(body: str) -> str:
    """A runbook with one step whose lines ``body`` gives, from line 6 on."""
    return "slug: x\ntitle: t\nsteps:\n  - id: a\n    title: A\n" + body


SAFE_CONTEXTS = """\
    executor: shell
    script: |
      du -sh {{ v }}/* "{{ v }}" pre{{ v }}suf
      x=$(date -d {{ v }}) && echo "got: $(printf '%s' "{{ v }}")"
      cat <<'EOF'
      no placeholder here
      EOF
      echo {{ v }} # a comment without one
    params: [{name: v}]
"""


def test_a_value_after_the_command_string_of_sh_c_loads(tmp_path):
    body = (
        "    executor: shell\n"
        "    argv: [sh, -c, 'echo \"$1\"', _, '{{ v }}']\n"
        "    params: [{name: v}]\n"
    )
    loaded, error = load_runbook_file(write(tmp_path, step_file(body)))
    assert (error, loaded.runbook.steps[0].argv[4]) == (None, "{{ v }}")


def test_placeholders_in_safe_quoting_contexts_load(tmp_path):
    loaded, error = load_runbook_file(write(tmp_path, step_file(SAFE_CONTEXTS)))
    assert error is None
    assert loaded.runbook.steps[0].params[0].name == "v"


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        pytest.param(
            "    executor: shell\n    script: echo '{{ v }}'\n",
            7,
            "steps[0].script: Value error, placeholder {{ v }} is inside single quotes: "
            "close the quotes before it, or use double quotes (column 7)",
            id="single-quotes",
        ),
        pytest.param(
            "    executor: ssh\n    target: h\n    script: |\n      cat <<EOF\n      {{ v }}\n"
            "      EOF\n",
            8,
            "placeholder {{ v }} is inside a here-document, whose text goes to a program that "
            "may run it: pass the value as an argument instead (line 2, column 1)",
            id="heredoc-over-ssh",
        ),
        pytest.param(
            '    executor: shell\n    script: eval "ls {{ v }}"\n',
            7,
            "placeholder {{ v }} is in an argument of eval, which may run it as code",
            id="eval",
        ),
        pytest.param(
            "    executor: ssh\n    target: h\n    script: ssh other 'rm {{ v }}'\n",
            8,
            "placeholder {{ v }} is inside single quotes",
            id="ssh-remote-quoted",
        ),
        pytest.param(
            "    executor: shell\n    script: ssh other rm {{ v }}\n",
            7,
            "placeholder {{ v }} is in an argument of ssh, which may run it as code",
            id="ssh-remote-bare",
        ),
        pytest.param(
            "    executor: shell\n    argv: [bash, -c, 'echo {{ v }}']\n",
            7,
            "steps[0].argv: Value error, placeholder {{ v }} is in the command string of bash -c, "
            "which runs it",
            id="argv-bash-c",
        ),
        pytest.param(
            "    executor: shell\n    script: echo `ls {{ v }}`\n",
            7,
            "placeholder {{ v }} is inside backticks: use $( … ) instead",
            id="backticks",
        ),
        pytest.param(
            "    executor: shell\n    script: echo $(( {{ v }} + 1 ))\n",
            7,
            "placeholder {{ v }} is inside arithmetic, which bash evaluates as code",
            id="arithmetic",
        ),
        pytest.param(
            "    executor: shell\n    script: 'echo hi  # {{ v }}'\n",
            7,
            "placeholder {{ v }} is inside a comment",
            id="comment",
        ),
        pytest.param(
            "    executor: postgres\n    target: db\n    action: query\n"
            "    args: {sql: \"SELECT * FROM t WHERE name = '{{ v }}'\"}\n",
            9,
            "steps[0].args: Value error, placeholder {{ v }} is inside a string literal: write "
            "{{ name }} without quotes, its value is sent as a bound parameter (column 31)",
            id="sql-literal",
        ),
        pytest.param(
            "    executor: postgres\n    target: db\n    action: query\n"
            '    args: {sql: "SELECT * FROM t{{ v }}"}\n',
            9,
            "placeholder {{ v }} is part of a bigger token",
            id="sql-glued",
        ),
        pytest.param(
            "    executor: s3\n    target: b\n    action: list\n"
            "    args: {prefix: '{{ v | identifier }}'}\n",
            4,
            "a | filter in a placeholder is only allowed in a postgres query",
            id="filter-outside-sql",
        ),
    ],
)
def test_a_placeholder_where_no_value_is_safe_is_refused_with_its_line(
    tmp_path, body, line, reason
):
    text = step_file(body + "    params: [{name: v}]\n")
    path = write(tmp_path, text)
    loaded, error = load_runbook_file(path)
    assert loaded is None
    assert (error.line, str(error).startswith(f"{path}:{line}: ")) == (line, True)
    assert reason in error.reason


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
        ({"name": "s", "pattern": "[a-z]+", "expect": "lower-case letters"}, "abc", "abc"),
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
        (
            {"name": "day", "pattern": "20[0-9]{6}", "expect": "a date like 20240115"},
            "15.01.2024",
            "must be a date like 20240115",
        ),
        ({"name": "s"}, "", "is required"),
        ({"name": "s"}, "two\nlines", "must be one line of text"),
    ],
)
def test_a_parameter_refuses_invalid_values_saying_why(param, raw, message):
    from runbooks.schema import Parameter

    with pytest.raises(ValueError, match=re.escape(message)):
        Parameter(**param).validate_value(raw)
