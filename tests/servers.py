"""Real servers on loopback for executor and walk-through tests, started and stopped by fixtures."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
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
        # Commands run over SSH find the test's stand-ins (systemctl, docker, …) first.
        f"SetEnv PATH={bin_dir}:/usr/local/bin:/usr/bin:/bin\n"
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


def start_http() -> tuple[str, ThreadingHTTPServer]:
    """Answers /api/health/ with 200, /broken/… with 500 and /slow/… after three seconds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
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
    threading.Thread(target=server.serve_forever, daemon=True).start()
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
