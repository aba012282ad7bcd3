"""Drill: two web processes and two workers on one Redis; the web process a browser is
connected to dies mid-stream.  The page reconnects, through the same address, to the other
web process and resumes with ``after=<seq>``: no gap, no duplicate.

Service mode.  A small TCP proxy on loopback stands in for the load balancer in front of the
web processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import celery_process, stop_process, wait_for_worker
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.servers import start_console

pytestmark = [pytest.mark.service, pytest.mark.drill, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


class SwitchingProxy:
    """Forwards every new connection to the current backend port."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def switch(self, backend: int) -> None:
        self.backend = backend
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.backend))
            except OSError:
                client.close()
                continue
            self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


def service_env() -> dict:
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "OUTPUT_FLUSH_INTERVAL": "0.05",
        "RUNBOOK_DIRS": str(ROOT / "tests" / "fixtures" / "runbooks"),
    }


def start_web(log_path: Path) -> tuple[subprocess.Popen, int]:
    process, url = start_console(service_env(), log_path)
    return process, int(url.rsplit(":", 1)[1])


@pytest.fixture
def two_webs(tmp_path):
    webs = [start_web(tmp_path / f"web-{name}.log") for name in ("a", "b")]
    yield webs
    for process, _ in webs:
        if process.poll() is None:
            stop_process(process)


@pytest.fixture
def second_worker(celery_worker):
    process = celery_process(
        "worker",
        "--pool=threads",
        "--concurrency=4",
        "--without-gossip",
        "--without-mingle",
        "-n",
        "second@%h",
        log_name="celery-second.log",
        env={"RUNBOOK_DIRS": str(ROOT / "tests" / "fixtures" / "runbooks")},
    )
    wait_for_worker(process, "second@")
    yield process
    stop_process(process)


def test_the_page_resumes_on_the_other_web_process_without_gap_or_duplicate(
    celery_worker, second_worker, two_webs, make_user, make_incident
):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    (web_a, port_a), (_, port_b) = two_webs
    user = make_user("drill", "commander")
    incident = make_incident("test-drill", actor=user)
    proxy = SwitchingProxy(port_a)
    expected = "".join(f"tick {i}\n" for i in range(1, 81))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=f"http://127.0.0.1:{proxy.port}")
            page.goto("/login/")
            page.fill("input[name=username]", "drill")
            page.fill("input[name=password]", "pw-123456")
            page.click("button[type=submit]")
            page.wait_for_url("**/")
            page.goto(f"/incidents/{incident.pk}/")
            page.fill("#step-slow input[name=lines]", "80")
            page.click("#step-slow [data-action=run]")
            expect(page.locator("#step-slow [data-role=output]")).to_contain_text("tick 10\n")
            os.killpg(web_a.pid, signal.SIGKILL)
            proxy.switch(port_b)
            page.wait_for_selector("#step-slow.run-succeeded", timeout=30000)
            shown = page.inner_text("#step-slow [data-role=output]")
            browser.close()
    finally:
        proxy.close()
    assert shown == expected
