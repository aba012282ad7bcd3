import threading

import pytest

from executors.base import ExecutorError
from executors.http import HTTPExecutor
from tests.servers import free_port, start_http


@pytest.fixture(scope="module")
def http_server():
    url, server = start_http()
    yield url
    server.shutdown()


def check(base_url, url, *, expect=200, timeout=5.0):
    executor = HTTPExecutor(timeout=timeout, base_url=base_url)
    spec = executor.render({"args": {"url": url, "expect_status": expect}}, {})
    lines = []
    return executor.run(spec, lambda s, t: lines.append((s, t)), threading.Event()), lines, spec


def test_a_healthy_endpoint_succeeds_and_shows_status_latency_and_body(http_server):
    result, lines, spec = check(http_server, "/api/health/")
    assert result.status == "succeeded"
    assert lines[0][1].startswith("HTTP 200 OK in ") and lines[0][1].endswith(" ms\n")
    assert lines[1] == ("stdout", '{"status": "ok"}\n')
    assert result.outputs["status"] == 200
    assert spec["url"] == f"{http_server}/api/health/"


def test_an_unexpected_status_fails_and_says_what_came_back(http_server):
    result, lines, _ = check(http_server, "/broken/api/health/")
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "expected HTTP 200, got 500" in lines[-1][1]
    assert "database unavailable" in lines[1][1]


def test_the_expected_status_can_be_an_error_status(http_server):
    result, _, _ = check(http_server, "/broken/", expect=500)
    assert result.status == "succeeded"


def test_a_slow_endpoint_times_out(http_server):
    result, lines, _ = check(http_server, "/slow/", timeout=0.5)
    assert result.status == "timed_out"
    assert "no answer within 0.5 s" in lines[-1][1]


def test_a_closed_port_fails_with_the_reason():
    result, lines, _ = check(f"http://127.0.0.1:{free_port()}", "/api/health/")
    assert result.status == "failed"
    assert "request failed" in lines[-1][1]


def test_a_url_that_is_not_http_is_refused():
    with pytest.raises(ExecutorError, match="http"):
        HTTPExecutor(timeout=1).render({"args": {"url": "file:///etc/passwd"}}, {})
