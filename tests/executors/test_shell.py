import os
import threading
import time
from pathlib import Path

import pytest

from executors.base import ExecutorError, Result
from executors.shell import ShellExecutor


def run(spec_or_step, params=None, *, timeout=10.0, cancel=None, **options):
    executor = ShellExecutor(timeout=timeout, kill_grace=1.0, **options)
    spec = executor.render(spec_or_step, params or {})
    lines: list[tuple[str, str]] = []
    result = executor.run(
        spec, lambda stream, text: lines.append((stream, text)), cancel or threading.Event()
    )
    return result, lines


def text_of(lines, stream):
    return "".join(text for s, text in lines if s == stream)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    )
    return state not in ("Z", "X")


def test_stdout_and_stderr_are_streamed_line_by_line_each_in_order():
    result, lines = run({"script": "for i in 1 2 3; do echo out $i; echo err $i >&2; done"})
    assert result == Result("succeeded", 0)
    assert text_of(lines, "stdout") == "out 1\nout 2\nout 3\n"
    assert text_of(lines, "stderr") == "err 1\nerr 2\nerr 3\n"
    assert all(text.endswith("\n") for _, text in lines)


def test_lines_arrive_while_the_command_is_still_running():
    arrivals = []
    executor = ShellExecutor(timeout=10)
    spec = executor.render({"script": "echo first; sleep 1; echo second"}, {})
    executor.run(spec, lambda s, t: arrivals.append((time.monotonic(), t)), threading.Event())
    assert [t for _, t in arrivals] == ["first\n", "second\n"]
    assert arrivals[1][0] - arrivals[0][0] > 0.8


@pytest.mark.parametrize("code", [1, 3, 42])
def test_a_non_zero_exit_is_a_failure_with_its_exit_code(code):
    result, _ = run({"script": f"exit {code}"})
    assert result == Result("failed", code)


def test_an_unknown_command_fails_with_127_and_says_so():
    result, lines = run({"argv": ["no-such-command-here"]})
    assert result.status == "failed" and result.exit_code == 127
    assert "command not found: no-such-command-here" in text_of(lines, "stderr")


def test_a_timeout_kills_the_whole_process_group_including_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pid_file}; wait"
    started = time.monotonic()
    result, lines = run({"script": script}, timeout=1.0)
    assert result.status == "timed_out"
    assert time.monotonic() - started < 5
    assert "timed out after 1 s" in text_of(lines, "stderr")
    child = int(pid_file.read_text())
    time.sleep(0.2)
    assert not pid_alive(child)


def test_a_process_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    result, _ = run({"script": "trap '' TERM; sleep 30"}, timeout=0.5)
    assert result.status == "timed_out"
    assert result.exit_code == -9


def test_cancel_stops_the_command_and_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    result, lines = run({"script": f"sleep 60 & echo $! > {pid_file}; wait"}, cancel=cancel)
    assert result.status == "cancelled"
    time.sleep(0.2)
    assert not pid_alive(int(pid_file.read_text()))


def test_a_background_child_left_behind_is_stopped_when_the_step_ends(tmp_path):
    pid_file = tmp_path / "child.pid"
    result, _ = run({"script": f"sleep 60 >/dev/null 2>&1 & echo $! > {pid_file}"})
    assert result.status == "succeeded"
    time.sleep(0.2)
    assert not pid_alive(int(pid_file.read_text()))


@pytest.mark.parametrize(
    "step", [{"argv": ["echo", "{{ value }}"]}, {"script": "echo {{ value }}"}]
)
def test_a_parameter_is_data_never_shell_text(tmp_path, step):
    target = tmp_path / "pwned"
    value = f"x; touch {target}; $(touch {target}) `touch {target}`"
    result, lines = run(step, {"value": value})
    assert result.status == "succeeded"
    assert text_of(lines, "stdout") == value + "\n"
    assert not target.exists()


def test_the_rendered_script_shows_each_value_and_the_reference_to_it():
    executor = ShellExecutor(timeout=1)
    spec = executor.render({"script": "du -sh {{ dir }}/*"}, {"dir": "/var/my dir"})
    assert executor.describe(spec) == "IC_PARAM_dir='/var/my dir'\ndu -sh \"${IC_PARAM_dir}\"/*"


def test_a_value_reaches_the_script_in_its_own_environment_variable():
    spec = ShellExecutor(timeout=1).render({"script": "du -sh {{ dir }}/*"}, {"dir": "/srv"})
    assert spec == {
        "argv": ["/bin/bash", "-c", 'du -sh "${IC_PARAM_dir}"/*'],
        "script": 'du -sh "${IC_PARAM_dir}"/*',
        "env": {"IC_PARAM_dir": "/srv"},
    }


def test_a_path_value_still_globs_what_follows_it_in_the_script(tmp_path):
    (tmp_path / "my dir").mkdir()
    (tmp_path / "my dir" / "a.log").write_text("")
    result, lines = run({"script": "ls {{ dir }}/*.log"}, {"dir": str(tmp_path / "my dir")})
    assert result.status == "succeeded"
    assert text_of(lines, "stdout") == f"{tmp_path}/my dir/a.log\n"


@pytest.mark.parametrize(
    "value",
    ["$(touch {canary})", "`touch {canary}`", '"; touch {canary}; "', "'; touch {canary}; '"],
)
def test_a_value_inside_double_quotes_is_printed_and_never_run(tmp_path, value):
    value = value.format(canary=tmp_path / "canary")
    result, lines = run({"script": 'echo "value={{ v }}"'}, {"v": value})
    assert result.status == "succeeded"
    assert text_of(lines, "stdout") == f"value={value}\n"
    assert not (tmp_path / "canary").exists()


def test_a_placeholder_inside_single_quotes_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ExecutorError, match="inside single quotes"):
        ShellExecutor(timeout=1).render({"script": "echo '{{ v }}'"}, {"v": "x"})


def test_a_placeholder_in_the_command_string_of_bash_c_in_argv_is_refused():
    with pytest.raises(ExecutorError, match="the command string of bash -c"):
        ShellExecutor(timeout=1).render({"argv": ["bash", "-c", "echo {{ v }}"]}, {"v": "x"})


def test_a_200_kb_value_is_refused_with_the_size_in_words_before_anything_runs():
    executor = ShellExecutor(timeout=5)
    with pytest.raises(ExecutorError) as error:
        spec = executor.render({"argv": ["echo", "{{ v }}"]}, {"v": "a" * 200_000})
        executor.run(spec, lambda s, t: None, threading.Event())
    assert str(error.value) == "the command is 195.3 KiB; the limit is 128 KiB"


def test_a_200_kb_value_in_a_script_is_refused_too():
    with pytest.raises(ExecutorError, match=r"^the command is 195\.4 KiB; the limit is 128 KiB$"):
        ShellExecutor(timeout=5).render({"script": "echo {{ v }}"}, {"v": "a" * 200_000})


def test_a_spec_too_long_for_the_system_is_refused_in_words_when_run_directly():
    executor = ShellExecutor(timeout=5)
    with pytest.raises(ExecutorError, match="^the command is 195.3 KiB; the limit is 128 KiB$"):
        executor.run({"argv": ["echo", "a" * 200_000]}, lambda s, t: None, threading.Event())


def test_a_missing_parameter_value_is_refused_by_name():
    with pytest.raises(ExecutorError) as error:
        ShellExecutor(timeout=1).render({"argv": ["echo", "{{ nope }}"]}, {})
    assert str(error.value) == "no value for parameter 'nope'"


def test_very_long_lines_are_split_so_no_buffer_grows_without_bound():
    from executors.lines import LineSplitter

    splitter = LineSplitter(max_line=16384)
    pieces = splitter.feed(b"a" * 50000)
    assert [len(piece) for piece in pieces] == [16384, 16384, 16384]
    assert splitter.flush() == ["a" * 848]


def test_the_splitter_hands_on_whole_lines_and_keeps_the_unfinished_one():
    from executors.lines import LineSplitter

    splitter = LineSplitter()
    assert splitter.feed(b"one\ntwo\nthr") == ["one\ntwo\n"]
    assert splitter.feed(b"ee\r") == ["three\r"]
    assert splitter.feed(b"\nfour") == ["\n"]
    assert splitter.flush() == ["four"]


def test_the_splitter_escapes_control_bytes_even_beside_a_character_cut_in_two():
    from executors.lines import LineSplitter

    splitter = LineSplitter()
    cyrillic = "ж".encode()
    assert splitter.feed(b"a\x1b[31m" + cyrillic[:1]) == []
    assert splitter.feed(cyrillic[1:] + b"\x00\n") == ["a\\x1b[31mж\\x00\n"]


def test_a_very_long_line_arrives_whole_and_in_order():
    result, lines = run({"script": "head -c 50000 /dev/zero | tr '\\0' a; echo"}, max_line=16384)
    assert result.status == "succeeded"
    assert text_of(lines, "stdout") == "a" * 50000 + "\n"


def test_binary_output_is_shown_as_visible_escapes():
    result, lines = run({"script": "printf 'a\\x00b\\x07c\\xff\\n'"})
    assert text_of(lines, "stdout") == "a\\x00b\\x07c\ufffd\n"


def test_a_partial_line_is_shown_before_the_command_finishes():
    arrivals = []
    executor = ShellExecutor(timeout=10, partial_line_after=0.2)
    spec = executor.render({"script": "printf 'Progress...'; sleep 1.5; echo done"}, {})
    start = time.monotonic()
    executor.run(
        spec, lambda s, t: arrivals.append((time.monotonic() - start, t)), threading.Event()
    )
    assert arrivals[0][1] == "Progress..."
    assert arrivals[0][0] < 1.0
    assert "".join(t for _, t in arrivals) == "Progress...done\n"


def test_large_output_on_both_streams_does_not_deadlock():
    script = (
        "head -c 3000000 /dev/zero | tr '\\0' o | fold -w 99 & "
        "head -c 3000000 /dev/zero | tr '\\0' e | fold -w 99 >&2; wait"
    )
    result, lines = run({"script": script}, timeout=30)
    assert result.status == "succeeded"
    assert len(text_of(lines, "stdout").replace("\n", "")) == 3_000_000
    assert len(text_of(lines, "stderr").replace("\n", "")) == 3_000_000
