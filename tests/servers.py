"""Real servers on loopback for executor and walk-through tests, started and stopped by fixtures."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class SSHServer:
    port: int
    user: str
    private_key: str
    host_public_key: str
    known_hosts: Path
    bin_dir: Path
    process: subprocess.Popen

    def known_hosts_line(self) -> str:
        key_type, key = self.host_public_key.split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {key}\n"


def start_sshd(directory: Path) -> SSHServer:
    """Debian's openssh-server on a free loopback port with throwaway host and user keys."""
    directory.mkdir(parents=True, exist_ok=True)
    host_key, user_key = directory / "host_ed25519", directory / "user_ed25519"
    for key in (host_key, user_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = directory / "authorized_keys"
    authorized.write_text((directory / "user_ed25519.pub").read_text())
    authorized.chmod(0o600)
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {authorized}\nPidFile {directory / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\n"
        # Commands run over SSH find the test's stand-ins (systemctl, docker, aws, …) first; HOME
        # is a folder of the test's: bash started by sshd reads ~/.bashrc, which may put a
        # developer's own programs (a pyenv shim of aws) first on PATH.
        f"SetEnv PATH={bin_dir}:/usr/local/bin:/usr/bin:/bin HOME={directory}\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "sshd.log", "w"),  # noqa: SIM115 - lives as long as sshd
    )
    wait_for_port(port, process)
    known_hosts = directory / "known_hosts"
    server = SSHServer(
        port=port,
        user=os.environ.get("USER") or subprocess.check_output(["id", "-un"], text=True).strip(),
        private_key=user_key.read_text(),
        host_public_key=(directory / "host_ed25519.pub").read_text(),
        known_hosts=known_hosts,
        bin_dir=bin_dir,
        process=process,
    )
    known_hosts.write_text(server.known_hosts_line())
    return server


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sshd_available() -> bool:
    return Path(SSHD).exists() and shutil.which("ssh-keygen") is not None


def start_moto(directory: Path) -> tuple[str, subprocess.Popen]:
    """moto in server mode: a real S3 HTTP endpoint on loopback."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "moto.log", "w"),  # noqa: SIM115
    )
    wait_for_port(port, process)
    return f"http://127.0.0.1:{port}", process


class _HealthHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/slow"):
            time.sleep(3)
        status = 500 if self.path.startswith("/broken") else 200
        body = b'{"status": "ok"}' if status == 200 else b'{"status": "database unavailable"}'
        if self.headers.get("Authorization"):
            body += f"\nauthorization seen: {self.headers['Authorization']}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve_in_background(server) -> None:
    """Serve on a thread; shutdown() answers within 50 ms (serve_forever's default poll of
    0.5 s made every test that stops a server wait for it)."""
    serve = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serve.daemon = True
    serve.start()


def start_http() -> tuple[str, ThreadingHTTPServer]:
    """Answers /api/health/ with 200, /broken/… with 500 and /slow/… after three seconds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    server.daemon_threads = True
    serve_in_background(server)
    return f"http://127.0.0.1:{server.server_address[1]}", server


class _RecordingHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        self.server.received.append({"path": self.path, "body": body})
        status = self.server.fail_next.pop(0) if self.server.fail_next else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if status == 200 else b'{"ok": false}')

    def log_message(self, *args) -> None:
        pass


def start_recorder() -> tuple[str, ThreadingHTTPServer]:
    """An HTTP server that records every POST (Slack webhook, Telegram Bot API stand-in).

    Put status codes in ``server.fail_next`` to make the next requests fail.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    server.received = []
    server.fail_next = []
    server.daemon_threads = True
    serve_in_background(server)
    return f"http://127.0.0.1:{server.server_address[1]}", server


def start_smtp():
    """aiosmtpd on loopback, keeping every message it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages = []

        def handle_message(self, message) -> None:
            self.messages.append(message)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, inbox


class RedisServer:
    """A private redis-server on a free loopback port that a drill may kill and start again.

    No persistence: a restart comes back empty, like a Redis that lost its memory.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        log = open(self.directory / "redis.log", "a")  # noqa: SIM115 - redis-server holds it
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, self.process)

    def kill(self) -> None:
        """Stop at once, as a crash or an OOM kill would: clients see their sockets reset."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries Debian installed, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
    )
    return found[-1].parent if found else None


class PostgresServer:
    """A private PostgreSQL instance on a free loopback port, in a temporary directory.

    PostgreSQL refuses to run as root, so as root its tools run as the ``postgres`` user on a
    directory that user owns.  ``trust`` authentication: connect as ``postgres`` without a
    password.
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql/*/bin")
        self.directory = Path(tempfile.mkdtemp(prefix="ic-drill-pg-"))
        self.owner: dict = {}
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            self.owner = {"user": "postgres", "group": "postgres", "extra_groups": []}
        self.data = self.directory / "data"
        self.port = free_port()
        self._pg(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / tool), *args],
            cwd=self.directory,
            check=True,
            capture_output=True,
            **self.owner,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "postgres.log")
        self._pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects clients and shuts down cleanly; ``immediate`` is a crash."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# The label .ci/run and the docker fixtures give the dockerd they start.  Tests that restart,
# stop and prune containers run only against an engine carrying it, never a developer's own.
TEST_ENGINE_LABEL = "incident-console-test=1"
BUSYBOX = Path("/bin/busybox")


def _docker_info(field: str) -> str | None:
    result = subprocess.run(
        ["docker", "info", "--format", f"{{{{json .{field}}}}}"], capture_output=True, text=True
    )
    return result.stdout.strip() if result.returncode == 0 else None


def ensure_dockerd(log: Path) -> str | None:
    """Start Debian's dockerd unless one runs; None when the suite's engine is up, else why not.

    A dockerd started here keeps running after the tests, like the PostgreSQL and Redis .ci/run
    starts.  Its containers get no network of the host (``--bridge=none``, no iptables rules).
    """
    if shutil.which("docker") is None:
        return "the docker client is not installed (.ci/run installs docker.io)"
    if _docker_info("ID") is None:
        if shutil.which("dockerd") is None:
            return "dockerd is not installed (.ci/run installs docker.io)"
        if os.geteuid() != 0:
            return "dockerd is not running, and only root can start it"
        argv = ["dockerd", "--label", TEST_ENGINE_LABEL, "--bridge=none", "--iptables=false"]
        with open(log, "a") as output:
            subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while _docker_info("ID") is None:
            if time.monotonic() > deadline:
                return f"dockerd did not start; see {log}"
            time.sleep(0.2)
    if TEST_ENGINE_LABEL not in (_docker_info("Labels") or ""):
        return (
            f"the running Docker engine is not the test suite's own (label {TEST_ENGINE_LABEL}, "
            "started by .ci/run or these tests): its containers are not the tests' to stop or prune"
        )
    return None


def busybox_image(name: str, directory: Path, files: dict[str, str] | None = None) -> str:
    """A tiny local image: Debian's static busybox and a few applets, loaded with docker import.

    Images cannot be pulled here; ``files`` (path: text) make an image of different content.
    """
    root = directory / name.replace(":", "-")
    (root / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    for applet in ("sh", "sleep", "echo", "cat"):
        (root / "bin" / applet).symlink_to("busybox")
    for path, text in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    load = ["docker", "import", "-", name]
    subprocess.run(load, stdin=tar.stdout, check=True, capture_output=True)
    tar.wait()
    return name


CONSOLE_ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict, *args: str) -> str:
    """Run a manage.py command as a separate process; its standard output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=CONSOLE_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def start_console(env: dict, log_path: Path, timeout: float = 30) -> tuple[subprocess.Popen, str]:
    """A uvicorn process serving the console with ``env``, in its own process group; returns
    it and its base URL once /api/health/ answers (any status: a failing check is the
    caller's business).  ``process.log`` is its open log file."""
    port = free_port()
    log = open(log_path, "w")  # noqa: SIM115 - closed by the caller with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "incident_console.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=CONSOLE_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/health/", timeout=2)
            return process, url
        except urllib.error.HTTPError:
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the console did not start; see {log_path}") from None
            time.sleep(0.2)


class _TelegramHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length) or b"{}")
        bot, _, method = self.path.strip("/").partition("/")
        api: FakeTelegram = self.server.api
        if bot != f"bot{api.token}":
            return self._answer(401, {"ok": False, "description": "Unauthorized"})
        self._answer(200, api.call(method, payload))

    def _answer(self, status: int, answer: dict) -> None:
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class FakeTelegram:
    """The Bot API methods the console calls, on loopback: sendMessage keeps each message,
    getUpdates hands out button presses queued with ``press`` (long polling up to its
    timeout), answerCallbackQuery keeps each answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.messages: list[dict] = []
        self.answers: list[dict] = []
        self.polls: list[dict] = []
        self._updates: list[dict] = []
        self._next_update = 1000
        self._changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _TelegramHandler)
        self.server.api = self
        self.server.daemon_threads = True
        serve_in_background(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def call(self, method: str, payload: dict) -> dict:
        if method == "sendMessage":
            message = {**payload, "message_id": len(self.messages) + 1}
            self.messages.append(message)
            return {"ok": True, "result": message}
        if method == "getUpdates":
            self.polls.append(payload)
            return {"ok": True, "result": self._updates_from(payload)}
        if method == "answerCallbackQuery":
            self.answers.append(payload)
            return {"ok": True, "result": True}
        return {"ok": False, "description": f"Not Found: method {method}"}

    def _updates_from(self, payload: dict) -> list[dict]:
        offset = int(payload.get("offset", 0))
        with self._changed:
            self._changed.wait_for(
                lambda: any(u["update_id"] >= offset for u in self._updates),
                timeout=min(float(payload.get("timeout", 0)), 5),
            )
            # Asking from an offset confirms every update before it, as Telegram does.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates)

    def press(self, message: dict, *, username: str, first_name: str = "") -> None:
        """Someone presses the first button of ``message``."""
        button = message["reply_markup"]["inline_keyboard"][0][0]
        sender = {"id": 77, "is_bot": False, "username": username, "first_name": first_name}
        with self._changed:
            self._next_update += 1
            query = {
                "id": f"q{self._next_update}",
                "from": sender,
                "data": button["callback_data"],
                "message": {"message_id": message["message_id"]},
            }
            self._updates.append({"update_id": self._next_update, "callback_query": query})
            self._changed.notify_all()

    def stop(self) -> None:
        self.server.shutdown()
