"""HTTP health checks: method, URL, expected status; report status, latency and a body excerpt."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from threading import Event
from typing import Any, ClassVar
from urllib.parse import urljoin

from executors.base import SYSTEM_PREFIX, Emit, ExecutorError, Result, Spec, render_args, require

METHODS = {"GET", "HEAD", "POST"}


class HTTPExecutor:
    kind: ClassVar[str] = "http"

    def __init__(
        self,
        *,
        timeout: float,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        excerpt_chars: int = 500,
    ) -> None:
        self.timeout = timeout
        self.base_url = base_url
        self.headers = dict(headers or {})
        self.excerpt_chars = excerpt_chars

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        args = render_args(step.get("args", {}), params)
        require(args, "url")
        method = str(args.get("method", "GET")).upper()
        if method not in METHODS:
            raise ExecutorError(
                f"method must be one of {', '.join(sorted(METHODS))}", permanent=True
            )
        url = urljoin(self.base_url, args["url"]) if self.base_url else args["url"]
        if not url.startswith(("http://", "https://")):
            raise ExecutorError("url must be http:// or https://", permanent=True)
        return {"method": method, "url": url, "expect_status": int(args.get("expect_status", 200))}

    def describe(self, spec: Spec) -> str:
        return f"{spec['method']} {spec['url']} (expect {spec['expect_status']})"

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        request = urllib.request.Request(spec["url"], method=spec["method"], headers=self.headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, reason, body = response.status, response.reason, response.read(65536)
        except urllib.error.HTTPError as error:
            status, reason, body = error.code, error.reason, error.read(65536)
        except TimeoutError:
            emit("stderr", f"{SYSTEM_PREFIX}no answer within {self.timeout:g} s\n")
            return Result("timed_out", None, "no answer")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError | socket.timeout):
                emit("stderr", f"{SYSTEM_PREFIX}no answer within {self.timeout:g} s\n")
                return Result("timed_out", None, "no answer")
            emit("stderr", f"{SYSTEM_PREFIX}request failed: {reason}\n")
            return Result("failed", None, f"request failed: {reason}")
        latency_ms = (time.monotonic() - started) * 1000
        return self._report(spec, emit, status, reason, body, latency_ms)

    def _report(self, spec, emit, status, reason, body: bytes, latency_ms: float) -> Result:
        emit("stdout", f"HTTP {status} {reason} in {latency_ms:.0f} ms\n")
        excerpt = body.decode("utf-8", "replace")[: self.excerpt_chars]
        if excerpt:
            emit("stdout", f"{excerpt}\n")
        outputs = {"status": status, "latency_ms": round(latency_ms)}
        if status == spec["expect_status"]:
            return Result("succeeded", 0, outputs=outputs)
        emit("stderr", f"{SYSTEM_PREFIX}expected HTTP {spec['expect_status']}, got {status}\n")
        return Result("failed", 1, f"HTTP {status}", outputs=outputs)
