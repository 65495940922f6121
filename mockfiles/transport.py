"""In-process transports for httpx and httpx2, sync and async.

A request becomes an ASGI call into the app in the calling thread: the sync transport
drives the app's coroutine directly (no thread, no event loop per request); the async
transport awaits it on the caller's loop. Neither library is imported until a transport
for it is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from functools import cache
from itertools import chain
from operator import itemgetter
from types import ModuleType
from typing import Any, Literal
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Scope

from .asgi_scope import DRIVEN_KEY, IN_PROCESS_KEY, WHOLE_RESPONSE_KEY
from .coroutines import drive
from .faults import InjectedDisconnect

Library = Literal["httpx", "httpx2"]
LIBRARIES: tuple[Library, ...] = ("httpx", "httpx2")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def library_module(library: Library) -> ModuleType:
    """Import ``httpx`` or ``httpx2``, with an actionable error when it is missing."""
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {LIBRARIES}, not {library!r}")
    imported = sys.modules.get(library)
    if imported is not None and not getattr(imported.__spec__, "_initializing", False):
        return imported  # what import_module returns (a module still importing: it waits)
    try:
        return importlib.import_module(library)
    except ImportError:
        raise ImportError(
            f"{library} is not installed: `pip install {library}`, or ask for a transport "
            f"of the library you use (library='httpx' or 'httpx2')."
        ) from None


@cache
def installed_libraries() -> tuple[Library, ...]:
    """Which of httpx and httpx2 can be imported (looked up once)."""
    return tuple(lib for lib in LIBRARIES if importlib.util.find_spec(lib) is not None)


def default_library() -> Library:
    """``httpx`` when it is installed, else ``httpx2``."""
    installed = installed_libraries()
    if not installed:
        raise ImportError("neither httpx nor httpx2 is installed: `pip install httpx` (or httpx2)")
    return installed[0]


def _scope(request: Any, quick: bool) -> Scope:
    """The ASGI scope of ``request``; ``quick`` reads the URL's and headers' private
    parts at once (what their public properties read, see :func:`_quick_build_applies`)."""
    url = request.url
    held = request.headers._list if quick else ()
    if quick:
        parsed = url._uri_reference
        scheme: str = parsed.scheme
        path_text: str = parsed.path or "/"
        path = unquote(path_text) if "%" in path_text else path_text
        raw_path = path_text.encode("ascii")
        query: bytes = (parsed.query or "").encode("ascii")
        host: str = parsed.host
        if "xn--" in host:  # an IDNA name: the public property decodes it
            host = url.host
        port: int | None = parsed.port
    else:
        scheme = url.scheme
        path = url.path
        raw_path = url.raw_path.split(b"?", 1)[0]
        query = url.query
        host = url.host
        port = url.port
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": scheme,
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(lower, value) for _, lower, value in held]
        if quick
        else _request_headers(request.headers),
        "client": ("127.0.0.1", 0),
        "server": (host, port or _DEFAULT_PORTS.get(scheme, 80)),
        "extensions": {},
        IN_PROCESS_KEY: True,
    }


def _declared_length(request: Any, scope: Scope) -> int | None:
    headers = scope["headers"]
    if b"content-length" not in map(_NAME, headers):
        return None  # what the library would say, without searching its list
    values = [value for name, value in headers if name == b"content-length"]
    if len(values) == 1 and values[0].isdigit():  # plain ASCII digits: read as it would
        return int(values[0])
    declared = request.headers.get("content-length")
    return int(declared) if declared is not None and declared.isdigit() else None


_NAME = itemgetter(0)


#: How many responses took the quick build (read by the tests: if a library changes so
#: that the quick build no longer applies, they fail instead of silently going slow).
QUICK_BUILDS = [0]


def build_response(
    module: ModuleType, status: int, headers: list[tuple[bytes, bytes]], body: bytes, request: Any
) -> Any:
    """``module.Response(status, headers=headers, content=body, request=request)``, built
    for less.

    The public constructor normalizes each header through a few function calls and
    runs the body through the content decoders and a chunker to read it. For a body
    that is already whole, not content-encoded, with its Content-Length declared (or
    empty), and headers of bytes (as ASGI has them), this makes the same object state
    directly: the headers' private ``_list`` of (name, lower-case name, value), and the
    ``_content``, ``is_stream_consumed`` and ``is_closed`` that ``read()`` would leave.
    Anything else, or a library whose objects no longer match the public ones (checked
    once per library, see :func:`_quick_build_applies`), takes the public path.
    """
    named = dict(headers)
    if (
        b"content-encoding" in named
        or (body and b"content-length" not in named)
        or not _QUICK_OK[module]
    ):
        return module.Response(status, headers=headers, content=body, request=request)
    try:
        b"".join(chain.from_iterable(headers))  # every name and value bytes-like
    except TypeError:
        return module.Response(status, headers=headers, content=body, request=request)
    return _quick_response(module, status, headers, body, request)


def _quick_response(
    module: ModuleType, status: int, headers: list[tuple[bytes, bytes]], body: bytes, request: Any
) -> Any:
    """The state ``module.Response(status, headers=headers, content=body, request=request)``
    ends in, set directly (what the public constructor and ``read()`` would set)."""
    quick_headers = module.Headers.__new__(module.Headers)
    quick_headers._list = [(name, name.lower(), value) for name, value in headers]
    quick_headers._encoding = None
    response = module.Response.__new__(module.Response)
    response.status_code = status
    response.headers = quick_headers
    response._request = request
    response.next_request = None
    response.extensions = {}
    response.history = []
    response.is_closed = True
    response.is_stream_consumed = True
    response.default_encoding = "utf-8"
    response.stream = module.ByteStream(body)
    response._num_bytes_downloaded = 0
    response._content = body
    QUICK_BUILDS[0] += 1
    return response


#: URLs whose scopes the quick reading must give exactly as the public one does.
_SAMPLE_URLS = (
    "http://mockfiles.local/v1/files/file-abc",
    "https://api.example.com/v1/files?limit=20&after=file-x&purpose=batch",
    "http://127.0.0.1:8123/v1/files/a%20b%2Fc/content?q=%C3%A9",
    "http://example.com:80/",
    "https://example.com:443",
    "http://xn--bcher-kva.example/v1/files",
    "http://[::1]:9000/openai/files?api-version=2024-10-21",
)


def _quick_build_applies(module: ModuleType) -> bool:
    """Whether the quick build leaves a response exactly as the public one would, and
    the quick reading of a request's URL and headers gives the scope the public
    properties give (checked once per library, on samples)."""
    try:
        body = b'{"ok":true}'
        headers = [
            (b"content-length", b"11"),
            (b"Content-Type", b"application/json"),
            (b"x-request-id", b"req_1"),
        ]
        request = module.Request("GET", "http://mockfiles.local/", headers={"X-One": "1"})
        public = module.Response(200, headers=headers, content=body, request=request)
        quick = _quick_response(module, 200, headers, body, request)
        QUICK_BUILDS[0] -= 1  # a sample, not a response served
        if _state(public) != _state(quick):
            return False
        for url in _SAMPLE_URLS:
            sample = module.Request("POST", url, headers={"X-One": "1", "content-length": "0"})
            if _scope(sample, True) != _scope(sample, False):
                return False
        return True
    except Exception:  # any surprise: the public path
        return False


def _request_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    """A request's headers as ASGI has them (lower-case names), read the public way."""
    return [(name.lower(), value) for name, value in headers.raw]


def _state(response: Any) -> dict[str, Any]:
    """A response's attributes, comparable: streams by their bytes, headers by their
    attributes; what the public path caches and the quick one computes on demand (the
    headers' encoding, the content decoder) made alike."""
    response.headers.encoding  # noqa: B018 - cached on first use
    state = dict(vars(response))
    state.pop("_decoder", None)
    stream = state.pop("stream")
    state["stream"] = (type(stream), list(stream))
    state["headers"] = (type(response.headers), vars(response.headers))
    return state


class _QuickOk(dict[ModuleType, bool]):
    def __missing__(self, module: ModuleType) -> bool:
        ok = self[module] = _quick_build_applies(module)
        return ok


_QUICK_OK = _QuickOk()


#: Request body chunks smaller than this are passed to the app joined, up to this size
#: (a multipart body arrives from the client in many small pieces: boundaries, part
#: headers, short fields). Larger chunks are passed on as they are, never copied.
COALESCE_BYTES = 64 * 1024


class _Exchange:
    """One request/response exchange with the app: feeds the body, gathers the reply."""

    __slots__ = ("_chunks", "_done", "_held", "_left", "_source", "body", "headers", "status")

    def __init__(self, chunks: Iterable[bytes], declared_length: int | None = None) -> None:
        self._source = chunks
        #: Iterated from the first read only (a request without a body is never read).
        self._chunks: Iterator[bytes] | None = None
        #: A socket server reads no more than Content-Length says; neither do we.
        self._left = declared_length
        self._done = False
        #: A large chunk read while joining small ones, passed on next.
        self._held: bytes | None = None
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []

    def _next_chunk(self) -> bytes | None:
        if self._held is not None:
            chunk, self._held = self._held, None
            return chunk
        if self._chunks is None:
            self._chunks = iter(self._source)
        for chunk in self._chunks:
            if chunk:
                return chunk
        return None

    async def receive(self) -> Message:
        if self._done:
            return {"type": "http.disconnect"}
        if self._left != 0:
            chunk = self._next_chunk()
            if chunk is not None:
                if len(chunk) < COALESCE_BYTES:
                    pieces = [chunk]
                    size = len(chunk)
                    while size < COALESCE_BYTES and (self._left is None or size < self._left):
                        more = self._next_chunk()
                        if more is None:
                            break
                        if len(more) >= COALESCE_BYTES:
                            self._held = more
                            break
                        pieces.append(more)
                        size += len(more)
                    chunk = self._joined(pieces)
                return self._within_length(chunk)
        return self._end()

    @staticmethod
    def _joined(pieces: list[bytes]) -> bytes:
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _end(self) -> Message:
        self._done = True
        if self._left:  # fewer bytes than Content-Length promised: a server would give up
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"", "more_body": False}

    def _within_length(self, chunk: bytes) -> Message:
        if self._left is not None:
            if len(chunk) >= self._left:
                chunk = chunk[: self._left]
            self._left -= len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers", ())
            self.headers = headers if type(headers) is list else list(headers)
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body:
                self.body.append(body)

    def take_whole(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """A whole response at once: what :meth:`send` makes of its start message and
        one final body message."""
        self.status = status
        self.headers = headers
        if body:
            self.body.append(body)

    def response(self, module: ModuleType, request: Any) -> Any:
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        return build_response(
            module,
            self.status,
            self.headers,
            bytes(body) if isinstance(body, memoryview) else body,
            request,
        )


class _AsyncExchange(_Exchange):
    """An exchange whose request body is an async byte stream."""

    __slots__ = ("_async_chunks", "_async_source")

    def __init__(self, chunks: AsyncIterable[bytes], declared_length: int | None = None) -> None:
        super().__init__((), declared_length)
        self._async_source = chunks
        #: Iterated from the first read only (a request without a body is never read).
        self._async_chunks: AsyncIterator[bytes] | None = None

    async def _anext_chunk(self) -> bytes | None:
        if self._held is not None:
            chunk, self._held = self._held, None
            return chunk
        if self._async_chunks is None:
            self._async_chunks = aiter(self._async_source)
        async for chunk in self._async_chunks:
            if chunk:
                return chunk
        return None

    async def receive(self) -> Message:
        if self._done:
            return {"type": "http.disconnect"}
        if self._left != 0:
            chunk = await self._anext_chunk()
            if chunk is not None:
                if len(chunk) < COALESCE_BYTES:
                    pieces = [chunk]
                    size = len(chunk)
                    while size < COALESCE_BYTES and (self._left is None or size < self._left):
                        more = await self._anext_chunk()
                        if more is None:
                            break
                        if len(more) >= COALESCE_BYTES:
                            self._held = more
                            break
                        pieces.append(more)
                        size += len(more)
                    chunk = self._joined(pieces)
                return self._within_length(chunk)
        return self._end()


_NETWORK_ERRORS = {
    "connect": "ConnectError",
    "timeout": "ReadTimeout",
    "read": "RemoteProtocolError",
}


def _network_error(module: ModuleType, dropped: InjectedDisconnect, request: Any) -> Exception:
    """The library's own exception for a dropped connection of this kind."""
    error_class = getattr(module, _NETWORK_ERRORS[dropped.kind])
    error: Exception = error_class(str(dropped), request=request)
    return error


@cache
def _transport_classes(library: Library) -> tuple[type[Any], type[Any]]:
    module = library_module(library)

    class InProcessTransport(module.BaseTransport):  # type: ignore[name-defined,misc]
        """Sends each request to an ASGI app in the calling thread."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        def handle_request(self, request: Any) -> Any:
            scope = _scope(request, _QUICK_OK[module])
            chunks: Iterable[bytes] = request.stream
            exchange = _Exchange(chunks, _declared_length(request, scope))
            scope[DRIVEN_KEY] = True
            scope[WHOLE_RESPONSE_KEY] = (exchange.send, exchange.take_whole)
            try:
                # An ASGI app is a coroutine function: its call is a coroutine.
                drive(self.app(scope, exchange.receive, exchange.send))  # type: ignore[arg-type]
            except InjectedDisconnect as dropped:
                raise _network_error(module, dropped, request) from None
            return exchange.response(module, request)

    class AsyncInProcessTransport(module.AsyncBaseTransport):  # type: ignore[name-defined,misc]
        """Sends each request to an ASGI app on the caller's event loop."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def handle_async_request(self, request: Any) -> Any:
            scope = _scope(request, _QUICK_OK[module])
            exchange = _AsyncExchange(request.stream, _declared_length(request, scope))
            scope[WHOLE_RESPONSE_KEY] = (exchange.send, exchange.take_whole)
            try:
                await self.app(scope, exchange.receive, exchange.send)
            except InjectedDisconnect as dropped:
                raise _network_error(module, dropped, request) from None
            return exchange.response(module, request)

    InProcessTransport.__qualname__ = f"InProcessTransport[{library}]"
    AsyncInProcessTransport.__qualname__ = f"AsyncInProcessTransport[{library}]"
    return InProcessTransport, AsyncInProcessTransport


def sync_transport(app: ASGIApp, library: Library | None = None) -> Any:
    """A ``library.BaseTransport`` that serves requests from ``app`` in-process."""
    return _transport_classes(library or default_library())[0](app)


def async_transport(app: ASGIApp, library: Library | None = None) -> Any:
    """A ``library.AsyncBaseTransport`` that serves requests from ``app`` in-process."""
    return _transport_classes(library or default_library())[1](app)
