"""Control routes under ``/_mock`` for clients that cannot call Python.

``POST /_mock/reset``, ``POST /_mock/clock`` (``{"advance": s}`` or ``{"set": t}``),
``GET /_mock/journal`` (the scenario so far), ``POST /_mock/scenario`` (load one),
``POST /_mock/files`` (seed a file), ``POST /_mock/urls`` (register a URL for imports).
They are not authenticated and not journaled.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from ..control import ControlService
from ..errors import InvalidRequest, MockFilesError
from ..scenario_format import ScenarioError, content_bytes
from .render import JSON, error_response, file_object
from .routing import MethodDispatch, invalid_url

PREFIX = "/_mock"
CONTROL_KEY = "mockfiles.control"


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise InvalidRequest("The body must be JSON.") from None


def _number(body: Any, key: str) -> float:
    value = body.get(key) if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{key}' must be a number of seconds, got {value!r}.", param=key)
    return float(value)


def control_of(scope: Scope) -> ControlService:
    """The control service the request acts on (put in the scope by :class:`ControlApp`)."""
    control: ControlService = scope[CONTROL_KEY]
    return control


async def reset(request: Request) -> Response:
    control = control_of(request.scope)
    control.reset()
    return JSON({"reset": True})


async def clock(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _json(request)
    if isinstance(body, dict) and "advance" in body:
        now = control.advance_clock(_number(body, "advance"))
    elif isinstance(body, dict) and "set" in body:
        now = control.set_clock(_number(body, "set"))
    else:
        raise InvalidRequest('Send {"advance": seconds} or {"set": unix_time}.')
    return JSON({"now": now})


async def journal(request: Request) -> Response:
    return JSON(control_of(request.scope).scenario())


async def scenario(request: Request) -> Response:
    control = control_of(request.scope)
    try:
        report = control.load_scenario(await _json(request))
    except ScenarioError as exc:
        raise InvalidRequest(f"Not a loadable scenario: {exc}.") from None
    return JSON({"loaded": True, "files": sum(report.files.values()), "tenants": report.describe()})


async def seed(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _json(request)
    try:
        record = control.seed_file(
            content_bytes(body.get("content", {})),
            filename=body.get("filename", "file.jsonl"),
            purpose=body.get("purpose", "batch_output"),
            expires_after_seconds=body.get("expires_after_seconds"),
            created_at=body.get("created_at"),
            api_key=body.get("api_key"),
            project=body.get("project"),
        )
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidRequest(f"Cannot seed that file: {exc}.") from None
    return JSON(file_object(control.backend.files, record))


async def urls(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _json(request)
    try:
        control.backend.urls.register(
            body["url"],
            content_bytes(body.get("content", {"text": ""})),
            status=int(body.get("status", 200)),
            headers=body.get("headers"),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidRequest(f"Cannot register that URL: {exc}.") from None
    return JSON({"registered": body["url"]})


CONTROL_ROUTES = [
    Route(f"{PREFIX}/reset", MethodDispatch(POST=reset)),
    Route(f"{PREFIX}/clock", MethodDispatch(POST=clock)),
    Route(f"{PREFIX}/journal", MethodDispatch(GET=journal)),
    Route(f"{PREFIX}/scenario", MethodDispatch(POST=scenario)),
    Route(f"{PREFIX}/files", MethodDispatch(POST=seed)),
    Route(f"{PREFIX}/urls", MethodDispatch(POST=urls)),
]

#: One router for every mock: the mock travels in the scope.
CONTROL_ROUTER = Router(routes=CONTROL_ROUTES, default=invalid_url)


class ControlApp:
    """The control routes for one mock; errors render as the provider's envelope."""

    def __init__(self, control: ControlService) -> None:
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CONTROL_KEY] = self.control
        try:
            await CONTROL_ROUTER(scope, receive, send)
        except MockFilesError as error:
            await error_response(error)(scope, receive, send)
