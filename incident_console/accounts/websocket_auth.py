"""Websocket authentication: the session cookie, or an ``Authorization: Token <key>`` header."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from rest_framework.authtoken.models import Token

DEFAULT_PORTS = {"http": 80, "https": 443}


# Side by side on the loop's thread pool: a hundred browsers connecting at once do not queue
# on the one thread Django's code otherwise shares.
@functools.partial(database_sync_to_async, thread_sensitive=False)
def _user_for_token(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenHeaderMiddleware:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() == "token" and key.strip():
            scope = {**scope, "user": await _user_for_token(key.strip())}
        return await self.inner(scope, receive, send)


def WebsocketAuthStack(inner):  # noqa: N802 - named like Channels' own stacks
    """Session auth first; a token header, when present, decides the user."""
    return AuthMiddlewareStack(TokenHeaderMiddleware(inner))


class SameOriginValidator:
    """Refuse a browser page from another origin (cross-site websocket hijacking).

    An Origin is accepted when scheme, host and port equal the console's own origin as the
    browser addressed it (the Host header, which must be in ALLOWED_HOSTS), or one listed in
    CSRF_TRUSTED_ORIGINS: the rule Django's CSRF check applies to forms.  Browsers always send
    Origin; a client without one is not a browser and cannot be tricked into sending someone's
    cookie, so it is let through to authenticate like any API client.
    """

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is None or origin_allowed(origin, scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def origin_allowed(origin: str, scope) -> bool:
    given = _origin(origin)
    if given is None:
        return False
    trusted = {_origin(o) for o in settings.CSRF_TRUSTED_ORIGINS}
    return given == _own_origin(scope) or given in trusted


def _own_origin(scope) -> tuple[str, str, int] | None:
    host = _header(scope, b"host")
    if host is None:
        return None
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if _is_secure(scope) else "http"
    return _origin(f"{scheme}://{domain}:{port}" if port else f"{scheme}://{domain}")


def _is_secure(scope) -> bool:
    """Like Django's ``request.is_secure()``, SECURE_PROXY_SSL_HEADER included."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        value = _header(scope, name) or ""
        return value.split(",")[0].strip() == secure_value
    return False


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None for "null" or garbage."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None
