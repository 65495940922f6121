"""Pure ASGI middleware: request ids and the journal; authentication."""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import Authenticator
from ..errors import MockFilesError
from ..journal import Call, Journal
from ..profiles import AuthScheme
from .context import CALL_KEY, TENANT_KEY
from .render import error_response

JSON_TYPE = b"application/json"


class JournalMiddleware:
    """Adds ``x-request-id`` to every response and records each call in the journal."""

    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        call = Call(
            method=scope["method"],
            path=scope["path"],
            query_string=scope["query_string"].decode("latin-1"),
            raw_request_headers=scope["headers"],
        )
        scope[CALL_KEY] = call
        request_id = b"req_" + os.urandom(16).hex().encode()
        body_parts: list[bytes] = []

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"x-request-id", request_id)]
                message = {**message, "headers": headers}
                call.status = message["status"]
                call.raw_response_headers = headers
            elif message["type"] == "http.response.body" and _is_json(call.raw_response_headers):
                body_parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    call.response_body = b"".join(body_parts)
            await send(message)

        self.journal.append(call)
        await self.app(scope, receive, send_and_record)


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k == b"content-type" and v.startswith(JSON_TYPE) for k, v in headers)


def api_key_from(scheme: AuthScheme, headers: list[tuple[bytes, bytes]]) -> str | None:
    """The API key sent the way ``scheme`` says, or None."""
    wanted = b"authorization" if scheme == "bearer" else b"api-key"
    for name, value in headers:
        if name == wanted:
            text = value.decode("latin-1").strip()
            if scheme == "bearer":
                kind, _, token = text.partition(" ")
                text = token.strip() if kind.lower() == "bearer" else ""
            return text or None
    return None


class AuthMiddleware:
    """Answers 401 without an accepted key; records the caller's tenant in the scope."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, guarded_prefix: str) -> None:
        self.app = app
        self.authenticator = authenticator
        self.guarded_prefix = guarded_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.guarded_prefix):
            await self.app(scope, receive, send)
            return
        key = api_key_from(self.authenticator.scheme, scope["headers"])
        try:
            scope[TENANT_KEY] = self.authenticator.authenticate(key)
        except MockFilesError as error:
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
