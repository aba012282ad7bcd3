import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from executors.base import SYSTEM_PREFIX, ExecutorError
from executors.http import HTTPExecutor
from executors.masking import SecretMasker
from tests.servers import free_port, serve_in_background, start_http


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


TOKEN = "HttpTok3nSecretValue42"


class _Recorder(BaseHTTPRequestHandler):
    """Records each request's path and Authorization header; /redirect/ sends to
    ``server.location``, anything else answers ``server.body``."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.received.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.server.location)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args) -> None:
        pass


def start_recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received, server.body, server.location = [], b"ok", ""
    server.daemon_threads = True
    serve_in_background(server)
    return server


@pytest.fixture
def target():
    server = start_recorder()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()


@pytest.fixture
def other():
    """Another listener on loopback: it must never see the target's token."""
    server = start_recorder()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()


def call(target, url, params, *, emit=None):
    executor = HTTPExecutor(
        timeout=5, base_url=target.url, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    lines = []
    spec = executor.render({"args": {"url": url}}, params)
    result = executor.run(spec, emit or (lambda s, t: lines.append((s, t))), threading.Event())
    return result, lines, spec


@pytest.mark.parametrize("value", ["{other}/x", "//127.0.0.1:{port}/x"])
def test_a_url_parameter_never_sends_the_targets_token_to_another_host(target, other, value):
    value = value.format(other=other.url, port=other.server_address[1])
    with contextlib.suppress(ExecutorError):
        call(target, "{{ u }}", {"u": value})
    assert other.received == []


def test_a_path_parameter_fills_one_encoded_segment_on_the_target(target, other):
    value = f"//127.0.0.1:{other.server_address[1]}/x"
    result, _, spec = call(target, "/check/{{ u }}", {"u": value})
    encoded = f"%2F%2F127.0.0.1%3A{other.server_address[1]}%2Fx"
    assert spec["url"] == f"{target.url}/check/{encoded}"
    assert target.received == [(f"/check/{encoded}", f"Bearer {TOKEN}")]
    assert other.received == []


def test_a_query_parameter_stays_one_encoded_value(target):
    call(target, "/search?q={{ q }}&limit=5", {"q": "a&limit=999#x"})
    assert target.received == [("/search?q=a%26limit%3D999%23x&limit=5", f"Bearer {TOKEN}")]


@pytest.mark.parametrize(
    "url", ["{{ h }}", "http://{{ h }}/x", "http://127.0.0.1:{{ h }}/x", "//{{ h }}/x"]
)
def test_a_placeholder_in_the_scheme_host_or_port_is_refused(target, url):
    with pytest.raises(ExecutorError, match="never its scheme, host or port"):
        HTTPExecutor(timeout=1, base_url=target.url).render({"args": {"url": url}}, {"h": "a"})


def test_a_url_on_another_origin_than_the_target_is_refused(target, other):
    with pytest.raises(ExecutorError, match="is not on the target's origin"):
        call(target, f"{other.url}/x", {})
    assert other.received == []


def test_a_dot_segment_parameter_is_refused(target):
    with pytest.raises(ExecutorError, match=r"cannot contain \. or \.\. path segments"):
        call(target, "/api/{{ p }}/admin", {"p": ".."})
    assert target.received == []


def test_a_redirect_to_another_origin_is_not_followed(target, other):
    target.location = f"{other.url}/x"
    result, lines, _ = call(target, "/redirect/", {})
    assert other.received == []
    assert result.status == "failed" and result.outputs["status"] == 302
    assert (
        "stderr",
        f"{SYSTEM_PREFIX}not following a redirect to another origin: {other.url}/x\n",
    ) in lines


def test_a_redirect_on_the_same_origin_is_followed(target):
    target.location = "/api/health/"
    result, _, _ = call(target, "/redirect/", {})
    assert result.status == "succeeded"
    assert target.received[-1] == ("/api/health/", f"Bearer {TOKEN}")


@pytest.mark.parametrize("offset", [480, 490, 495, 499, 500])
def test_a_token_cut_by_the_body_excerpt_shows_none_of_its_characters(target, offset):
    target.body = ("." * offset + TOKEN + " rest").encode()
    out = []
    masker = SecretMasker(lambda s, t: out.append(t), [TOKEN])
    call(target, "/echo/", {}, emit=masker)
    masker.flush()
    excerpt = out[1]
    assert excerpt.startswith("." * min(offset, 500))
    assert [k for k in range(1, len(TOKEN) + 1) if TOKEN[:k] in excerpt] == []
