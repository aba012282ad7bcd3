"""No parameter value ever runs as code, whatever surrounds its placeholder.

For each quoting context a placeholder may stand in, values drawn from shell metacharacters
(and attacks that would create a canary file if they ran) reach the command byte for byte: the
command writes what it received to a file, the test compares bytes, and the canary must not
exist.  Locally (bash, the value in an environment variable) and over SSH (the remote /bin/sh,
the value in a quoted assignment before the script).  Every refused context is refused before
anything runs.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executors.base import ExecutorError
from executors.shell import ShellExecutor
from executors.ssh import SSHExecutor, SSHTarget

CANARY = Path(tempfile.gettempdir()) / f"ic-injection-canary-{os.getpid()}"

METACHARACTERS = [
    *"$`\"'\\;|&<>(){}[]*?~!#=%^,:@+- \t\r",
    "$(", "${", "$((", "`", "\\\\", "'\"'", "{a,b}", "~root", "[a-z]*", "$HOME", "${IFS}",
    "$1", "-n", "--", "*/", "%s", "{{", "}}", "\x7f", "é", "😀",
]  # fmt: skip
ATTACKS = [
    f"$(touch {CANARY})",
    f"`touch {CANARY}`",
    f"'; touch {CANARY}; '",
    f'"; touch {CANARY}; "',
    f"; touch {CANARY}",
    f"| touch {CANARY}",
    f"&& touch {CANARY}",
    f"a[$(touch {CANARY})]",
    f"${{IFS}}$(touch${{IFS}}{CANARY})",
]
pieces = st.lists(
    st.sampled_from(METACHARACTERS) | st.text(alphabet="ab/. ", max_size=3), max_size=12
).map("".join)
# What Parameter.validate_value lets through: one line of text without NUL.
any_line = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n"), max_size=30
)
values = st.one_of(
    pieces, st.tuples(pieces, st.sampled_from(ATTACKS), pieces).map("".join), any_line
)

# (script, what the command writes to OUT for a value v); OUT is a file of the test.
SCRIPTS = {
    "bare": ("printf '%s' {{ v }} > OUT", lambda v: v),
    "double-quotes": ("printf '%s' \"v={{ v }}.\" > OUT", lambda v: f"v={v}."),
    "part-of-a-word": ("printf '%s' pre{{ v }}suf > OUT", lambda v: f"pre{v}suf"),
    "command-substitution": ("printf '%s' \"$(printf '%s' {{ v }})\" > OUT", lambda v: v),
    "quotes-in-substitution": ('x="$(printf "%s" "{{ v }}")"; printf %s "$x" > OUT', lambda v: v),
    "assignment": ("x={{ v }}; printf '%s' \"$x\" > OUT", lambda v: v),
    "case-pattern": ("case {{ v }} in {{ v }}) printf same > OUT;; esac", lambda v: "same"),
    "for-list": ("for x in {{ v }}; do printf '%s;' \"$x\"; done > OUT", lambda v: f"{v};"),
    "twice": ("printf '%s|%s' {{ v }} \"{{ v }}\" > OUT", lambda v: f"{v}|{v}"),
}
BASH_ONLY = {"here-string": ("cat <<< {{ v }} > OUT", lambda v: f"{v}\n")}
WRITE_ARG = ["sh", "-c", 'printf "%s" "$1" > "$2"', "_"]
ARGVS = {
    "argv-element": ([*WRITE_ARG, "{{ v }}", "OUT"], lambda v: v),
    "argv-part-of-an-element": ([*WRITE_ARG, "pre{{ v }}suf", "OUT"], lambda v: f"pre{v}suf"),
}
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def _no_canary():
    CANARY.unlink(missing_ok=True)
    yield
    CANARY.unlink(missing_ok=True)


def received(executor, step: dict, value: str) -> bytes:
    """Run ``step`` with ``value``; what the command wrote to OUT, and nothing else happened."""
    with tempfile.TemporaryDirectory() as directory:
        out = str(Path(directory) / "out")
        filled = {
            key: [out if arg == "OUT" else arg for arg in text]
            if isinstance(text, list)
            else text.replace("OUT", out)
            for key, text in step.items()
        }
        lines = []
        spec = executor.render(filled, {"v": value})
        result = executor.run(spec, lambda s, t: lines.append((s, t)), threading.Event())
        assert (result.status, lines) == ("succeeded", [])
        assert not CANARY.exists()
        return Path(out).read_bytes()


def ssh_executor(sshd) -> SSHExecutor:
    target = SSHTarget(
        host="127.0.0.1",
        port=sshd.port,
        user=sshd.user,
        known_hosts=str(sshd.known_hosts),
        private_key=sshd.private_key,
    )
    return SSHExecutor(target=target, timeout=15)


@pytest.mark.parametrize("context", [*SCRIPTS, *BASH_ONLY])
@PROPERTY
@given(value=values)
def test_a_script_receives_the_value_byte_for_byte_and_runs_nothing_else(context, value):
    script, expected = {**SCRIPTS, **BASH_ONLY}[context]
    got = received(ShellExecutor(timeout=10), {"script": script}, value)
    assert got == expected(value).encode()


@pytest.mark.parametrize("context", list(ARGVS))
@PROPERTY
@given(value=values)
def test_an_argv_element_receives_the_value_byte_for_byte(context, value):
    argv, expected = ARGVS[context]
    assert received(ShellExecutor(timeout=10), {"argv": argv}, value) == expected(value).encode()


@pytest.mark.parametrize("context", [*SCRIPTS, *ARGVS])
@settings(PROPERTY, max_examples=12)
@given(value=values)
def test_over_ssh_the_remote_command_receives_the_value_byte_for_byte(sshd, context, value):
    step = {"script": SCRIPTS[context][0]} if context in SCRIPTS else {"argv": ARGVS[context][0]}
    expected = {**SCRIPTS, **ARGVS}[context][1]
    assert received(ssh_executor(sshd), step, value) == expected(value).encode()


REFUSED = {
    "single-quotes": ("echo '{{ v }}'", "inside single quotes"),
    "ansi-c-quotes": ("echo $'{{ v }}'", "inside $'…'"),
    "heredoc": ("cat <<EOF\n{{ v }}\nEOF", "inside a here-document"),
    "quoted-heredoc": ("cat <<'EOF'\n{{ v }}\nEOF", "inside a here-document"),
    "tab-heredoc": ("cat <<-EOF\n\t{{ v }}\n\tEOF", "inside a here-document"),
    "backticks": ("echo `echo {{ v }}`", "inside backticks"),
    "parameter-expansion": ("echo ${x:-{{ v }}}", "inside ${…}"),
    "arithmetic": ("echo $(( {{ v }} + 1 ))", "inside arithmetic"),
    "arithmetic-command": ("(( {{ v }} > 1 ))", "inside arithmetic"),
    "arithmetic-test": ("[[ {{ v }} -gt 1 ]]", "compares numbers"),
    "comment": ("true # {{ v }}", "inside a comment"),
    "after-backslash": ("echo \\{{ v }}", "right after a backslash"),
    "after-dollar": ('echo "${{ v }}"', "right after a $"),
    "eval": ("eval echo {{ v }}", "an argument of eval"),
    "bash-c": ('bash -c "echo {{ v }}"', "the command string of bash -c"),
    "sh-c-via-sudo": ('sudo -u root sh -c "echo {{ v }}"', "the command string of sh -c"),
    "ssh-remote-command": ("ssh host echo {{ v }}", "an argument of ssh"),
    "ssh-remote-quoted": ("ssh host 'echo {{ v }}'", "inside single quotes"),
    "python-c": ('python3 -c "print({{ v }})"', "the code given to python3 -c"),
    "awk-program": ('awk "/{{ v }}/" f', "the awk program"),
    "here-string-to-a-shell": ('bash <<< "{{ v }}"', "a here-string given to bash"),
    "array-subscript": ("a[{{ v }}]=1", "an array subscript"),
    "integer-variable": ("declare -i n; n={{ v }}", "an integer or reference variable"),
    "reserved-name": ('echo "$IC_PARAM_v" {{ v }}', "names are reserved"),
}


@pytest.mark.parametrize("context", list(REFUSED))
def test_a_refused_context_is_refused_before_anything_runs_locally_and_over_ssh(context):
    script, reason = REFUSED[context]
    for executor in (ShellExecutor(timeout=1), SSHExecutor(target=SSHTarget("h", "u"), timeout=1)):
        with pytest.raises(ExecutorError, match=r"^script: .*" + re.escape(reason)):
            executor.render({"script": script}, {"v": f"$(touch {CANARY})"})
    assert not CANARY.exists()


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["bash", "-c", "echo {{ v }}"], "the command string of bash -c"),
        (["sh", "-ec", "echo {{ v }}"], "the command string of sh -c"),
        (["env", "X=1", "sh", "-c", "{{ v }}"], "the command string of sh -c"),
        (["ssh", "host", "{{ v }}"], "an argument of ssh"),
        (["find", "/", "-exec", "sh", "-c", "rm {{ v }}", ";"], "the command string of sh -c"),
        (["psql", "-c", "SELECT '{{ v }}'"], "the code given to psql -c"),
    ],
)
def test_an_argv_element_a_program_reads_as_code_is_refused(argv, reason):
    with pytest.raises(
        ExecutorError, match=re.escape(f"argv: placeholder {{{{ v }}}} is in {reason}")
    ):
        ShellExecutor(timeout=1).render({"argv": argv}, {"v": "x"})
