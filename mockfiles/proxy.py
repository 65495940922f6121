"""A recording proxy: forwards every request to an upstream service and writes what
passed as a scenario, so a real service's behaviour can be replayed against the mock.

Calls to the mock's control routes (``/_mock/...``) are forwarded but not recorded: they
are not the service's traffic. An upstream that cannot be reached answers 502 with the
profile's error envelope, naming the upstream (and is not recorded either).
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.types import Message, Receive, Scope, Send

from .api.middleware import api_key_from
from .auth import key_hint, tenant_label
from .errors import MockFilesError
from .profiles import get_profile
from .scenario_format import Doc, dumps, request_doc, response_doc, scenario_doc
from .transport import default_library

#: Hop-by-hop headers and those the HTTP client recomputes.
DROPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "content-encoding",
        "accept-encoding",
    }
)


class UpstreamUnreachable(MockFilesError):
    """The upstream could not be reached (502)."""

    status = 502
    error_type = "server_error"


class RecordingProxy:
    """An ASGI app forwarding to ``upstream`` (its scheme and host; paths pass as sent)."""

    def __init__(self, upstream: str, output: str | Path, profile: str = "openai") -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--upstream must be an http(s) URL, not {upstream!r}")
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self.output = Path(output)
        self.profile = profile
        self.auth_scheme = get_profile(profile).auth_scheme
        self.error_detail = get_profile(profile).error_detail
        self.steps: list[Doc] = []
        #: Tenant label -> hint, for the scenario's ``tenants``.
        self.tenants: Doc = {}
        self._lock = threading.Lock()
        self._client: Any = None

    def _http(self) -> Any:
        if self._client is None:
            module = importlib.import_module(default_library())
            self._client = module.AsyncClient(base_url=self.upstream, timeout=120)
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope["query_string"].decode("latin-1")
        at = time.time()
        client = self._http()
        try:
            response = await client.request(
                scope["method"],
                scope["path"] + (f"?{query}" if query else ""),
                headers=[(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS],
                content=bytes(body),
            )
        except self._errors() as exc:
            await self._unreachable(send, exc)
            return
        content = response.content
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in DROPPED_HEADERS
        ]
        out_headers.append((b"content-length", str(len(content)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
        )
        await send({"type": "http.response.body", "body": content})
        if scope["path"] == "/_mock" or scope["path"].startswith("/_mock/"):
            return  # the mock's control routes: forwarded, not the service's traffic
        step = {
            "at": at,
            "request": request_doc(scope["method"], scope["path"], query, headers, bytes(body)),
            "response": response_doc(response.status_code, response.headers.multi_items(), content),
        }
        key = api_key_from(self.auth_scheme, scope["headers"])
        if key:
            project = dict(headers).get("openai-project") or None
            tenant = step["tenant"] = tenant_label(key, project)
            self.tenants.setdefault(tenant, {"key": key_hint(key), "project": project})
        self._record(step)

    def _errors(self) -> tuple[type[Exception], ...]:
        module = importlib.import_module(default_library())
        return (module.TransportError,)

    async def _unreachable(self, send: Send, exc: Exception) -> None:
        error = UpstreamUnreachable(
            f"mockfiles record: cannot reach the upstream {self.upstream}: "
            f"{exc or type(exc).__name__}",
            code="upstream_unreachable",
        )
        content = json.dumps(error.envelope(detail=self.error_detail)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
        ]
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _record(self, step: Doc) -> None:
        with self._lock:
            self.steps.append(step)
            document = scenario_doc(self.profile, time.time(), self.steps, self.tenants)
            self.output.parent.mkdir(parents=True, exist_ok=True)
            partial = self.output.with_suffix(self.output.suffix + ".partial")
            partial.write_text(dumps(document))
            os.replace(partial, self.output)
