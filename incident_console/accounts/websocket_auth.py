"""Websocket authentication: the session cookie, or an ``Authorization: Token <key>`` header."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token


@database_sync_to_async
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


class BrowserOriginValidator(OriginValidator):
    """Refuse browsers from other sites (cross-site websocket hijacking).

    Browsers always send Origin; a client without one is not a browser and cannot be tricked
    into sending someone's cookie, so it is let through to authenticate like any API client.
    """

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def allowed_hosts_origin_validator(inner):
    from django.conf import settings

    hosts = ["*"] if settings.DEBUG and not settings.ALLOWED_HOSTS else settings.ALLOWED_HOSTS
    return BrowserOriginValidator(inner, hosts)
