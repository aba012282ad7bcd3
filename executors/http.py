"""HTTP health checks: method, URL, expected status; report status, latency and a body excerpt.

The target's credentials travel as request headers, so the URL's origin (scheme, host, port)
always comes from the target: a parameter fills only a path segment or a query value, encoded,
and a redirect to another origin is reported, never followed.
"""

from __future__ import annotations

import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPMessage
from threading import Event
from typing import IO, Any, ClassVar
from urllib.parse import quote, urljoin, urlsplit

from executors.base import (
    SYSTEM_PREFIX,
    Emit,
    ExecutorError,
    Result,
    Spec,
    render_args,
    require,
)
from executors.masking import mask_all
from executors.placeholders import PLACEHOLDER

METHODS = {"GET", "HEAD", "POST"}
DEFAULT_PORTS = {"http": 80, "https": 443}
# What precedes a URL's first placeholder: a relative reference (neither "//…" nor "scheme:…"),
# or "scheme://host[:port]" already closed by "/", "?" or "#".
_ORIGIN_ENDED = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#]+[/?#]|(?![a-z][a-z0-9+.-]*:|//)[^\s]", re.I)


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
        step_args = step.get("args", {})
        require(step_args, "url")
        args = render_args({k: v for k, v in step_args.items() if k != "url"}, params)
        method = str(args.get("method", "GET")).upper()
        if method not in METHODS:
            raise ExecutorError(f"method must be one of {', '.join(sorted(METHODS))}")
        url = self._url(str(step_args["url"]), params)
        return {"method": method, "url": url, "expect_status": int(args.get("expect_status", 200))}

    def _url(self, template: str, params: Mapping[str, Any]) -> str:
        first = PLACEHOLDER.search(template)
        if first and not _ORIGIN_ENDED.match(template[: first.start()]):
            raise ExecutorError(
                "a parameter can fill only a path segment or a query value of url, "
                "never its scheme, host or port"
            )
        path, mark, query = template.partition("?")
        filled = _fill(path, params) + mark + _fill(query, params)
        if any(segment in (".", "..") for segment in urlsplit(filled).path.split("/")):
            raise ExecutorError("url cannot contain . or .. path segments")
        url = urljoin(self.base_url, filled) if self.base_url else filled
        if urlsplit(url).scheme not in DEFAULT_PORTS:
            raise ExecutorError("url must be http:// or https://")
        if self.base_url and origin(url) != origin(self.base_url):
            raise ExecutorError(f"url {url} is not on the target's origin {self.base_url}")
        return url

    def describe(self, spec: Spec) -> str:
        return f"{spec['method']} {spec['url']} (expect {spec['expect_status']})"

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        """Send the request; the status, latency and a masked body excerpt go to ``emit``."""
        request = urllib.request.Request(spec["url"], method=spec["method"], headers=self.headers)
        redirects = _SameOriginRedirects(origin(spec["url"]))
        opener = urllib.request.build_opener(redirects)
        started = time.monotonic()
        try:
            with opener.open(request, timeout=self.timeout) as response:
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
        if redirects.refused:
            emit(
                "stderr",
                f"{SYSTEM_PREFIX}not following a redirect to another origin: {redirects.refused}\n",
            )
        return self._report(spec, emit, status, reason, body, latency_ms)

    def _report(
        self, spec: Spec, emit: Emit, status: int, reason: str, body: bytes, latency_ms: float
    ) -> Result:
        emit("stdout", f"HTTP {status} {reason} in {latency_ms:.0f} ms\n")
        excerpt = self._excerpt(body)
        if excerpt:
            emit("stdout", f"{excerpt}\n")
        outputs = {"status": status, "latency_ms": round(latency_ms)}
        if status == spec["expect_status"]:
            return Result("succeeded", 0, outputs=outputs)
        emit("stderr", f"{SYSTEM_PREFIX}expected HTTP {spec['expect_status']}, got {status}\n")
        return Result("failed", 1, f"HTTP {status}", outputs=outputs)

    def _excerpt(self, body: bytes) -> str:
        # Masked whole, then cut: a cut first could leave a credential's first characters,
        # which no masker downstream can recognise any more.
        return mask_all(body.decode("utf-8", "replace"), self._secrets())[: self.excerpt_chars]

    def _secrets(self) -> list[str]:
        """The credentials this executor holds: its header values, without a scheme (Bearer)."""
        return [value.strip().split(" ", 1)[-1] for value in self.headers.values()]


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def _fill(text: str, params: Mapping[str, Any]) -> str:
    """Placeholders in a path or a query, each value percent-encoded whole ("/" and "&" too)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise ExecutorError(f"no value for parameter {name!r}")
        return quote(str(params[name]), safe="")

    return PLACEHOLDER.sub(value, text)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects on the same origin only: urllib would send the target's credentials
    headers to wherever a Location points."""

    def __init__(self, allowed: tuple[str, str, int | None]) -> None:
        self.allowed = allowed
        self.refused = ""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if origin(urljoin(req.full_url, newurl)) != self.allowed:
            self.refused = newurl
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)
