"""`manage.py check_targets` against real servers on loopback: ready, unreachable (and why) or
not configured (and what to set), one line per target, exit status 1 when any is not ready."""

from __future__ import annotations

import pytest
from django.core.management import execute_from_command_line

from tests.servers import free_port

pytestmark = pytest.mark.django_db


def check_targets(capsys) -> tuple[int, dict[str, list[str]], str]:
    """Run the command as `manage.py` does: its exit status, its lines by target, its stderr."""
    try:
        execute_from_command_line(["manage.py", "check_targets"])
        status = 0
    except SystemExit as exit:
        status = exit.code
    out, err = capsys.readouterr()
    lines = [line.split("\t") for line in out.splitlines()]
    return status, {line[0]: line[1:] for line in lines}, err


def test_every_reachable_target_is_ready_and_the_command_exits_0(
    ready_targets, write_targets, sshd, capsys
):
    write_targets(ready_targets)
    status, lines, _ = check_targets(capsys)
    assert status == 0
    assert {name: line[2] for name, line in lines.items()} == {
        "local": "ready",
        "prod-host": "ready",
        "prod-db": "ready",
        "backups-bucket": "ready",
        "api": "ready",
        "compose-local": "ready",
        "compose-prod": "ready",
    }
    assert lines["prod-host"][:2] == ["ssh", f"127.0.0.1:{sshd.port}"]
    assert lines["prod-host"][3].startswith(f"logged in as {sshd.user} (host key ssh-ed25519 ")
    assert lines["prod-db"][:2] == ["postgres", "127.0.0.1/postgres"]
    assert lines["api"][3].startswith("GET http://127.0.0.1:")
    assert "/api/health/: HTTP 200" in lines["api"][3]
    assert lines["compose-local"][3] == "docker daemon 27.0.1-stand-in on the console's host"
    assert lines["compose-prod"][1] == f"/opt/ringo on 127.0.0.1:{sshd.port}"
    assert lines["compose-prod"][3] == "docker daemon 27.0.1-stand-in on the host it runs on"


def test_a_wrong_ssh_password_is_unreachable_and_the_password_is_never_shown(
    ready_targets, write_targets, monkeypatch, capsys
):
    monkeypatch.setenv("IC_TEST_SSH_PASSWORD", "wrong-password-9137")
    ssh = {**ready_targets["prod-host"], "credentials": {"password": "env:IC_TEST_SSH_PASSWORD"}}
    write_targets({"prod-host": ssh})
    status, lines, err = check_targets(capsys)
    assert status == 1
    assert lines["prod-host"][2:] == ["unreachable", "authentication as root was refused"]
    assert err.splitlines()[-1] == "CommandError: not ready: prod-host"
    assert "wrong-password-9137" not in str(lines)


def test_an_unknown_host_key_is_not_configured_and_says_which_known_hosts(
    ready_targets, write_targets, tmp_path, sshd, capsys
):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    write_targets({"prod-host": {**ready_targets["prod-host"], "known_hosts": str(empty)}})
    status, lines, _ = check_targets(capsys)
    assert status == 1
    assert lines["prod-host"][2:] == [
        "not configured",
        f"the host key of [127.0.0.1]:{sshd.port} is unknown: refusing to connect (add it to "
        f"{empty}, or opt the target in to trust_on_first_use)",
    ]
    assert empty.read_text() == "", "a check never trusts a host key"


def test_a_closed_port_is_unreachable(write_targets, capsys):
    port = free_port()
    database = {"host": "127.0.0.1", "port": port, "dbname": "x", "user": "postgres"}
    write_targets(
        {
            "prod-db": {"kind": "postgres", **database},
            "api": {"kind": "http", "base_url": f"http://127.0.0.1:{port}"},
        }
    )
    status, lines, _ = check_targets(capsys)
    assert status == 1
    assert lines["prod-db"][2] == "unreachable"
    assert "Connection refused" in lines["prod-db"][3]
    assert lines["api"][2:] == [
        "unreachable",
        f"GET http://127.0.0.1:{port}: [Errno 111] Connection refused",
    ]


def test_a_database_that_does_not_exist_is_unreachable(ready_targets, write_targets, capsys):
    write_targets({"prod-db": {**ready_targets["prod-db"], "dbname": "ic_no_such_database"}})
    status, lines, _ = check_targets(capsys)
    assert status == 1
    assert lines["prod-db"][2] == "unreachable"
    assert 'database "ic_no_such_database" does not exist' in lines["prod-db"][3]


def test_an_unset_credential_is_not_configured_and_says_where_to_set_it(
    ready_targets, write_targets, monkeypatch, capsys
):
    monkeypatch.delenv("IC_TEST_S3_SECRET")
    password = {"password": "env:IC_TEST_UNSET"}
    write_targets(
        {
            "backups-bucket": ready_targets["backups-bucket"],
            "prod-db": {**ready_targets["prod-db"], "credentials": password},
            "prod-host": {
                **ready_targets["prod-host"],
                "credentials": {"private_key": "file:/nonexistent/ic-test/key"},
            },
        }
    )
    status, lines, _ = check_targets(capsys)
    assert status == 1
    assert lines["backups-bucket"][2:] == [
        "not configured",
        "backups-bucket has no secret_key: set the environment variable IC_TEST_S3_SECRET on "
        "the worker",
    ]
    assert lines["prod-db"][2:] == [
        "not configured",
        "prod-db has no password: set the environment variable IC_TEST_UNSET on the worker",
    ]
    assert lines["prod-host"][2:] == [
        "not configured",
        "prod-host has no private_key: the file /nonexistent/ic-test/key cannot be read on the "
        "worker (No such file or directory)",
    ]


def test_a_docker_target_through_an_unreachable_host_says_so(ready_targets, write_targets, capsys):
    closed = {**ready_targets["prod-host"], "port": free_port()}
    write_targets({"prod-host": closed, "compose-prod": ready_targets["compose-prod"]})
    status, lines, _ = check_targets(capsys)
    assert status == 1
    assert lines["compose-prod"][2] == "unreachable"
    assert lines["compose-prod"][3].startswith("through prod-host: cannot reach [127.0.0.1]:")
