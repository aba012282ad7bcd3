import os
import threading
import time

import pytest

from executors.base import ExecutorError
from executors.ssh import SSHExecutor, SSHTarget


def target(sshd, **overrides) -> SSHTarget:
    fields = {
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": sshd.user,
        "known_hosts": str(sshd.known_hosts),
        "private_key": sshd.private_key,
    }
    return SSHTarget(**{**fields, **overrides})


def run(sshd, step, params=None, *, timeout=15.0, cancel=None, **target_overrides):
    executor = SSHExecutor(target=target(sshd, **target_overrides), timeout=timeout, kill_grace=1.0)
    spec = executor.render(step, params or {})
    lines = []
    result = executor.run(spec, lambda s, t: lines.append((s, t)), cancel or threading.Event())
    return result, lines


def text_of(lines, stream):
    return "".join(t for s, t in lines if s == stream)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_remote_command_streams_stdout_and_stderr_and_returns_its_exit_code(sshd):
    result, lines = run(sshd, {"script": "echo out; echo err >&2; exit 4"})
    assert (result.status, result.exit_code) == ("failed", 4)
    assert text_of(lines, "stdout") == "out\n"
    assert text_of(lines, "stderr") == "err\n"


def test_a_successful_remote_command_succeeds(sshd):
    result, lines = run(sshd, {"argv": ["echo", "{{ word }}"]}, {"word": "a; touch /tmp/nope"})
    assert result.status == "succeeded"
    assert text_of(lines, "stdout") == "a; touch /tmp/nope\n"


def test_remote_output_arrives_while_the_command_runs(sshd):
    arrivals = []
    executor = SSHExecutor(target=target(sshd), timeout=10)
    spec = executor.render({"script": "echo first; sleep 1; echo second"}, {})
    executor.run(spec, lambda s, t: arrivals.append((time.monotonic(), t)), threading.Event())
    assert [t for _, t in arrivals] == ["first\n", "second\n"]
    assert arrivals[1][0] - arrivals[0][0] > 0.8


def test_large_output_on_both_streams_does_not_deadlock(sshd):
    script = (
        "head -c 3000000 /dev/zero | tr '\\0' o | fold -w 99 & "
        "head -c 3000000 /dev/zero | tr '\\0' e | fold -w 99 >&2; wait"
    )
    result, lines = run(sshd, {"script": script}, timeout=60)
    assert result.status == "succeeded"
    assert len(text_of(lines, "stdout").replace("\n", "")) == 3_000_000
    assert len(text_of(lines, "stderr").replace("\n", "")) == 3_000_000


def test_the_timeout_covers_the_whole_command_and_ends_the_remote_processes(sshd, tmp_path):
    pid_file = tmp_path / "remote.pid"
    script = f"sleep 60 & echo $! > {pid_file}; while true; do echo tick; sleep 0.2; done"
    started = time.monotonic()
    result, lines = run(sshd, {"script": script}, timeout=1.5)
    assert result.status == "timed_out"
    assert time.monotonic() - started < 8
    time.sleep(0.5)
    assert not alive(int(pid_file.read_text()))


def test_cancel_ends_the_remote_command_not_only_the_channel(sshd, tmp_path):
    pid_file = tmp_path / "remote.pid"
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    result, _ = run(sshd, {"script": f"sleep 120 & echo $! > {pid_file}; wait"}, cancel=cancel)
    assert result.status == "cancelled"
    time.sleep(0.5)
    assert not alive(int(pid_file.read_text()))


def test_an_unknown_host_key_is_refused(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(ExecutorError, match="is unknown: refusing"):
        run(sshd, {"argv": ["true"]}, known_hosts=str(empty))


def test_a_changed_host_key_is_refused(sshd, tmp_path):
    other = tmp_path / "known_hosts"
    other.write_text(
        f"[127.0.0.1]:{sshd.port} ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    )
    with pytest.raises(ExecutorError, match="does not match known_hosts"):
        run(sshd, {"argv": ["true"]}, known_hosts=str(other))


def test_trust_on_first_use_accepts_and_records_an_unknown_key(sshd, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    result, _ = run(sshd, {"argv": ["true"]}, known_hosts=str(known_hosts), trust_on_first_use=True)
    assert result.status == "succeeded"
    assert len(result.notes) == 1 and "trusted the new host key" in result.notes[0]
    assert sshd.host_public_key.split()[1] in known_hosts.read_text()
    again, _ = run(sshd, {"argv": ["true"]}, known_hosts=str(known_hosts), trust_on_first_use=True)
    assert again.notes == ()


def test_a_wrong_user_key_is_refused(sshd, tmp_path):
    import subprocess

    key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with pytest.raises(ExecutorError, match="authentication"):
        run(sshd, {"argv": ["true"]}, private_key=key.read_text())


def test_an_unreachable_host_is_refused_as_unreachable(sshd):
    from tests.servers import free_port

    with pytest.raises(ExecutorError, match="cannot reach"):
        run(sshd, {"argv": ["true"]}, port=free_port())


@pytest.mark.parametrize(
    "value",
    ["$(touch {canary})", "`touch {canary}`", '"; touch {canary}; "', "'; touch {canary}; '"],
)
def test_a_value_inside_double_quotes_is_printed_and_never_run_on_the_remote_host(
    sshd, tmp_path, value
):
    value = value.format(canary=tmp_path / "canary")
    result, lines = run(sshd, {"script": 'echo "value={{ v }}"'}, {"v": value})
    assert result.status == "succeeded"
    assert text_of(lines, "stdout") == f"value={value}\n"
    assert not (tmp_path / "canary").exists()


def test_the_remote_command_assigns_each_value_quoted_before_the_script(sshd):
    executor = SSHExecutor(target=target(sshd), timeout=5)
    spec = executor.render({"script": 'echo "{{ v }}" {{ v }}'}, {"v": "it's $(x)"})
    assignment = "IC_PARAM_v='it'\"'\"'s $(x)'"
    assert spec["command"] == assignment + '\necho "${IC_PARAM_v}" "${IC_PARAM_v}"'


def test_a_placeholder_inside_single_quotes_is_refused_for_ssh_too(sshd):
    executor = SSHExecutor(target=target(sshd), timeout=5)
    with pytest.raises(ExecutorError, match="inside single quotes"):
        executor.render({"script": "echo '{{ v }}'"}, {"v": "x"})


def test_a_200_kb_value_is_refused_with_the_size_in_words_before_connecting(sshd):
    executor = SSHExecutor(target=target(sshd, port=1), timeout=5)
    with pytest.raises(ExecutorError, match=r"^the command is 195\.\d KiB; the limit is 128 KiB$"):
        executor.render({"argv": ["echo", "{{ v }}"]}, {"v": "a" * 200_000})
