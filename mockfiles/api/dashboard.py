"""The dashboard: ``GET /_mock/``, a page the mock serves about itself.

The page (static HTML, CSS and JavaScript shipped in ``mockfiles/static``; no framework,
no build step) polls ``GET /_mock/state`` and shows, per tenant, every panel the
services registered (:mod:`mockfiles.dashboard`), the journal, the clock and the
profile. ``GET /_mock/calls/{index}`` gives one journal entry in full (request and
response, keys hidden); ``GET /_mock/files/{file_id}/content`` streams a file's bytes.
These are control routes: the same access rule applies to them as to the others.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from functools import lru_cache
from importlib.resources import files as package_files
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import safe_json
from ..auth import SHARED_TENANT, key_hint
from ..backend import Backend
from ..control import ControlService
from ..dashboard import MAX_ROWS, Panel, panels_of
from ..errors import NoSuchFile, NotFound
from ..journal import Call
from .context import control_of
from .render import JSON, BlobResponse
from .routing import MethodDispatch

PREFIX = "/_mock"
#: Journal entries the page lists (the newest).
MAX_CALLS = 200
#: Tenants the page shows (those with the most recent activity first).
MAX_TENANTS = 100
#: Bytes of a request or response body shown in a call's detail.
MAX_BODY_CHARS = 64 * 1024

_ASSETS = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
}
_PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}
_SECRET_HEADERS = frozenset({"authorization", "api-key", "proxy-authorization", "cookie"})


@lru_cache(maxsize=8)
def asset(name: str) -> bytes:
    """A static file of the dashboard, as shipped in the package."""
    return package_files("mockfiles").joinpath("static", name).read_bytes()


# -- the state the page polls ----------------------------------------------------------


def snapshot(control: ControlService) -> dict[str, Any]:
    """What the page shows, as JSON-ready data."""
    backend = control.backend
    now = backend.now()
    every_call = list(backend.journal)
    total_calls = len(every_call)
    calls = every_call[: -MAX_CALLS - 1 : -1]
    active = {call.tenant for call in calls}
    tenants = []
    for label in _tenants(backend, calls):
        # Later services are built over earlier ones (a batch makes its output file
        # through Files when it is brought up to now): read them first, show them last.
        read = [
            [_panel(panel, service, label) for panel in panels_of(service)]
            for service in reversed(backend.services)
        ]
        panels = [panel for service_panels in reversed(read) for panel in service_panels]
        if label in active or any(panel["rows"] for panel in panels):
            tenants.append({"label": label, "who": _who(backend, label), "panels": panels})
        if len(tenants) == MAX_TENANTS:
            break
    return {
        "profile": {"name": backend.profile.name, "base_path": backend.profile.base_path},
        "clock": {"now": now, "offset": backend.clock.offset},
        "tenants": tenants,
        "journal": {
            "total": total_calls,
            "calls": [_summary(total_calls - 1 - n, call) for n, call in enumerate(calls)],
        },
    }


def _tenants(backend: Backend, calls: list[Call]) -> list[str]:
    """Tenant labels: most recently active first, then any other that holds state."""
    ordered = dict.fromkeys(call.tenant for call in calls if call.tenant is not None)
    ordered.update(dict.fromkeys(backend.store.tenants()))
    # a copy first: another thread may be adding an identity
    ordered.update(dict.fromkeys(reversed(list(backend.authenticator.identities))))
    return list(ordered)


def _who(backend: Backend, label: str) -> str:
    if label == SHARED_TENANT and not backend.authenticator.isolate_tenants:
        return "every API key (tenants shared)"
    identity = backend.authenticator.identity_of(label)
    return str(identity) if identity is not None else "a key this server has not seen"


def _panel(panel: Panel, service: object, tenant: str) -> dict[str, Any]:
    rows = list(panel.rows(service, tenant, MAX_ROWS))[:MAX_ROWS]
    return {
        "title": panel.title,
        "columns": [
            {"key": col.key, "label": col.label, "kind": col.kind} for col in panel.columns
        ],
        "rows": [{col.key: row.get(col.key) for col in panel.columns} for row in rows],
        "empty": panel.empty,
        "truncated": len(rows) == MAX_ROWS,
    }


def _summary(index: int, call: Call) -> dict[str, Any]:
    return {
        "index": index,
        "method": call.method,
        "path": call.path,
        "query": call.query_string,
        "status": call.status,
        "at": call.at,
        "tenant": call.tenant,
    }


# -- one call in full --------------------------------------------------------------------


def call_detail(backend: Backend, index: int) -> dict[str, Any]:
    """A journal entry with its request and response (keys shown as hints only)."""
    calls = list(backend.journal)
    if not 0 <= index < len(calls):
        raise NotFound(
            f"No journal entry {index}: the journal holds {len(calls)} call(s) "
            "(it is emptied by a reset).",
            param="index",
        )
    call = calls[index]
    request_headers = _headers(call.raw_request_headers)
    multipart = bool(call.form or call.files) or any(
        name == "content-type" and value.startswith("multipart/") for name, value in request_headers
    )
    return {
        **_summary(index, call),
        "who": _who(backend, call.tenant) if call.tenant else None,
        "request": {
            "headers": request_headers,
            "form": dict(call.form),
            "files": [
                {
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "bytes": upload.size,
                    "sha256": upload.sha256,
                }
                for upload in call.files
            ],
            **({} if multipart else _body(call.request_body, request_headers)),
        },
        "response": {
            "status": call.status,
            "headers": _headers(call.raw_response_headers),
            **_body(call.response_body, _headers(call.raw_response_headers)),
        },
    }


def _headers(raw: tuple[tuple[bytes, bytes], ...]) -> list[tuple[str, str]]:
    shown = []
    for raw_name, raw_value in raw:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in _SECRET_HEADERS:
            scheme, _, token = value.partition(" ")
            value = f"{scheme} {key_hint(token)}" if token else key_hint(value)
        shown.append((name, value))
    return shown


def _body(body: bytes, headers: list[tuple[str, str]]) -> dict[str, Any]:
    """``body`` (text, pretty JSON, or a note for binary data) and its size."""
    content_type = next((value for name, value in headers if name == "content-type"), "")
    shown: dict[str, Any] = {"bytes": len(body)}
    if not body:
        shown["body"] = ""
        return shown
    try:  # a cut inside a character is not binary data: leave that character out
        text = codecs.getincrementaldecoder("utf-8")().decode(body[:MAX_BODY_CHARS])
    except UnicodeDecodeError:
        shown["body"] = None  # binary
        return shown
    if "json" in content_type and len(body) <= MAX_BODY_CHARS:
        with contextlib.suppress(ValueError):
            text = json.dumps(safe_json.loads(body), indent=2, ensure_ascii=False)
    shown["body"] = text
    shown["truncated"] = len(body) > MAX_BODY_CHARS
    return shown


# -- routes ------------------------------------------------------------------------------


async def page(request: Request) -> Response:
    """``GET /_mock/``: the dashboard page."""
    return Response(asset("dashboard.html"), media_type="text/html", headers=_PAGE_HEADERS)


async def static(request: Request) -> Response:
    """``GET /_mock/static/{name}``: the page's CSS and JavaScript."""
    name = request.path_params["name"]
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"No dashboard asset named {name!r}.")
    return Response(asset(name), media_type=media_type, headers=_PAGE_HEADERS)


async def state(request: Request) -> Response:
    """``GET /_mock/state``: what the page shows, as JSON."""
    return JSON(snapshot(control_of(request.scope)), headers={"cache-control": "no-store"})


async def call(request: Request) -> Response:
    """``GET /_mock/calls/{index}``: one journal entry in full."""
    raw = request.path_params["index"]
    if not raw.isdigit():
        raise NotFound(f"No journal entry {raw!r}: entries are numbered from 0.", param="index")
    detail = call_detail(control_of(request.scope).backend, int(raw))
    return JSON(detail, headers={"cache-control": "no-store"})


async def file_content(request: Request) -> Response:
    """``GET /_mock/files/{file_id}/content``: a file's bytes, whoever owns it."""
    backend = control_of(request.scope).backend
    file_id = request.path_params["file_id"]
    backend.now()  # expire what is due first
    record = backend.store.find(file_id)
    if record is None:
        raise NoSuchFile(file_id)
    return BlobResponse(record.blob, record.filename)


async def redirect(request: Request) -> Response:
    """``GET /_mock``: to the page."""
    return Response(status_code=307, headers={"location": f"{PREFIX}/"})


DASHBOARD_ROUTES = [
    Route(f"{PREFIX}/", MethodDispatch(GET=page)),
    Route(PREFIX, MethodDispatch(GET=redirect)),
    Route(f"{PREFIX}/static/{{name}}", MethodDispatch(GET=static)),
    Route(f"{PREFIX}/state", MethodDispatch(GET=state)),
    Route(f"{PREFIX}/calls/{{index}}", MethodDispatch(GET=call)),
    Route(f"{PREFIX}/files/{{file_id}}/content", MethodDispatch(GET=file_content)),
]
