"""Routing helpers shared by the API and control routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..errors import InvalidURL

Endpoint = Callable[[Request], Awaitable[Response]]


class MethodDispatch:
    """An ASGI endpoint serving ``GET=...``, ``POST=...``; other methods: Invalid URL."""

    def __init__(self, **endpoints: Endpoint) -> None:
        self.table = {method.upper(): endpoint for method, endpoint in endpoints.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.table.get(scope["method"])
        if endpoint is None:
            raise InvalidURL(scope["method"], scope["path"])
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)


async def invalid_url(scope: Scope, receive: Receive, send: Send) -> None:
    """Any path the service does not serve: ``Invalid URL``, rendered by the caller (the
    gateway or the control app) in the profile's envelope."""
    raise InvalidURL(scope["method"], scope["path"])
