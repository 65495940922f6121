"""The one pure ASGI middleware in front of the routes.

For every HTTP request it records a journal entry, adds ``x-request-id``,
``openai-version`` and ``openai-processing-ms`` (and, where the profile says so,
``openai-organization`` / ``openai-project``) to the response and, under the guarded
prefix, authenticates the caller (401 otherwise) and puts the caller's tenant
and the backend in the scope. It renders every :class:`MockFilesError` as the
provider's envelope. One layer, so the hot path stays short.
"""

from __future__ import annotations

import os
import time
from binascii import hexlify
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ..backend import Backend
from ..errors import InvalidRequest, MockFilesError, ServerError
from ..faults import Fault, InjectedDisconnect
from ..journal import Call, Journal, RawHeaders, headers_weight
from ..profiles import AuthScheme
from .context import (
    BACKEND_KEY,
    CALL_KEY,
    DRIVEN_KEY,
    IN_PROCESS_KEY,
    TENANT_KEY,
    WHOLE_RESPONSE_KEY,
)
from .render import WHOLE_RESPONSES, error_response
from .routing import QuickRouter

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SEQUENCES = (list, tuple)

#: The API version the service reports in ``openai-version``.
OPENAI_VERSION = b"2020-10-01"
OPENAI_VERSION_HEADER = (b"openai-version", OPENAI_VERSION)
#: ``openai-processing-ms`` for the first few milliseconds, built once.
_PROCESSING_MS = tuple((b"openai-processing-ms", str(ms).encode()) for ms in range(100))
#: ``openai-organization`` / ``openai-project`` when the client sent none.
MOCK_ORGANIZATION = (b"openai-organization", b"org-mockfiles")
MOCK_PROJECT = (b"openai-project", b"proj_mockfiles")
_MOCK_IDENTITY_HEADERS = (MOCK_ORGANIZATION, MOCK_PROJECT)
#: What ``openai-processing-ms`` (but its value), ``openai-version`` and ``x-request-id``
#: (but its value) weigh in the journal's estimate (see :func:`headers_weight`).
_ADDED_WEIGHT = headers_weight(
    [(b"openai-processing-ms", b""), OPENAI_VERSION_HEADER, (b"x-request-id", b"")]
)


#: Request ids drawn ahead, from one read of ``os.urandom`` per 64.
_REQUEST_IDS: deque[bytes] = deque()
os.register_at_fork(after_in_child=_REQUEST_IDS.clear)  # a child draws its own


def _request_id() -> bytes:
    """``req_`` and 32 random hex digits (``os.urandom``, read 64 ids at a time)."""
    while True:
        try:
            return _REQUEST_IDS.popleft()  # atomic: threads never share an id
        except IndexError:
            block = hexlify(os.urandom(16 * 64))
            _REQUEST_IDS.extend(b"req_" + block[i : i + 32] for i in range(0, len(block), 32))


def _recording(receive: Receive, call: Call, budget: int) -> Receive:
    """``receive`` that also keeps each body chunk (a reference, not a copy) while the
    body fits the journal's ``budget``, and counts its size either way."""
    chunks = call.request_chunks = []

    async def receive_and_keep() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body")
            if body:
                call.request_size += len(body)
                if call.request_size <= budget:
                    chunks.append(body)
                elif not call.request_dropped:
                    chunks.clear()  # over the whole budget: the journal keeps no body
                    call.request_dropped = True
        return message

    return receive_and_keep


_AUTH_HEADERS: dict[AuthScheme, tuple[bytes, ...]] = {
    "bearer": (b"authorization",),
    "api-key": (b"api-key",),
    "api-key-or-bearer": (b"api-key", b"authorization"),
}


def api_key_from(scheme: AuthScheme, headers: list[tuple[bytes, bytes]]) -> str | None:
    """The API key (or bearer token) sent the way ``scheme`` says, or None."""
    wanted = _AUTH_HEADERS[scheme]
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name in wanted:
            found[name] = value.decode("latin-1").strip()
    for name in wanted:
        text = found.get(name, "")
        if name == b"authorization":
            kind, _, token = text.partition(" ")
            text = token.strip() if kind.lower() == "bearer" else ""
        if text:
            return text
    return None


async def _apply(fault: Fault, scope: Scope, send: Send) -> None:
    """Delay, drop or fail the request as the fault says (or let it through)."""
    if fault.delay:
        if scope.get(DRIVEN_KEY):
            time.sleep(fault.delay)  # driven without a loop: block the calling thread
        else:
            await anyio.sleep(fault.delay)
    if fault.drop is not None:
        if not scope.get(IN_PROCESS_KEY):
            # A server cannot abort a connection through ASGI: promise a body, send
            # part of it, and fail, so the server closes the connection mid-response.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1000")],
                }
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise InjectedDisconnect(fault.drop)
    error = fault.error()
    if error is not None:
        raise error


def refuse_ambiguous_length(headers: list[tuple[bytes, bytes]]) -> None:
    """A request with both Transfer-Encoding and Content-Length is refused (400), as
    careful servers do (RFC 9112 6.3: such a message may be a smuggling attempt)."""
    names = {name for name, _ in headers}
    if b"transfer-encoding" in names and b"content-length" in names:
        raise InvalidRequest(
            "The request has both Transfer-Encoding and Content-Length headers; send one."
        )


def _api_key_of(scheme: AuthScheme, named: Mapping[bytes, bytes]) -> str | None:
    """:func:`api_key_from` for headers that name each header once."""
    for name in _AUTH_HEADERS[scheme]:
        raw = named.get(name)
        if raw is None:
            continue
        text = raw.decode("latin-1").strip()
        if name == b"authorization":
            kind, _, token = text.partition(" ")
            text = token.strip() if kind.lower() == "bearer" else ""
        if text:
            return text
    return None


def _text(value: bytes) -> str | None:
    return value.decode("latin-1").strip() or None


def _organization_headers_of(
    named: Mapping[bytes, bytes], pair: Callable[[tuple[bytes, bytes]], tuple[bytes, bytes]]
) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """:func:`organization_headers` for headers that name each header once (shared)."""
    organization, project = MOCK_ORGANIZATION, MOCK_PROJECT
    value = named.get(b"openai-organization")
    if value is not None and value.strip():
        organization = pair((b"openai-organization", value.strip()))
    value = named.get(b"openai-project")
    if value is not None and value.strip():
        project = pair((b"openai-project", value.strip()))
    return organization, project


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1").strip() or None
    return None


def organization_headers(request_headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``openai-organization`` and ``openai-project`` as the service answers them: the
    ones the client named, else the mock's."""
    organization, project = MOCK_ORGANIZATION, MOCK_PROJECT
    for name, value in request_headers:
        if name == b"openai-organization" and value.strip():
            organization = (name, value.strip())
        elif name == b"openai-project" and value.strip():
            project = (name, value.strip())
    return [organization, project]


def check_required_query(required: Mapping[str, tuple[str, str]], query_string: bytes) -> None:
    """Raise the profile's error for the first required query parameter that is absent."""
    present = {name for name, _ in parse_qsl(query_string.decode("latin-1"))}
    for name, (message, code) in required.items():
        if name not in present:
            raise InvalidRequest(message, param=name, code=code)


#: What the gateway reads off one request's header list: the headers as the journal
#: keeps them, whether both Transfer-Encoding and Content-Length are sent, the API key
#: and project they name, and the ``openai-organization`` / ``openai-project`` pair the
#: response carries (empty where the profile sends none) with its journal weight.
RequestFacts = tuple[RawHeaders, bool, str | None, str | None, tuple[tuple[bytes, bytes], ...], int]

#: Distinct header lists of bodiless requests whose facts are remembered (the cache
#: starts over beyond it).
_FACTS_CACHE_SIZE = 256


class _Answering:
    """One request's answer on its way out: the gateway's headers added to it, and its
    status, headers and body kept in the journal entry."""

    __slots__ = (
        "added_weight",
        "began",
        "call",
        "downstream",
        "journal",
        "organization",
        "request_id",
        "sent_weight",
        "started",
    )

    def __init__(
        self,
        call: Call,
        journal: Journal,
        organization: tuple[tuple[bytes, bytes], ...],
        organization_weight: int,
        downstream: Send,
    ) -> None:
        self.call = call
        self.journal = journal
        self.organization = organization
        self.downstream = downstream
        try:
            self.request_id = (b"x-request-id", _REQUEST_IDS.popleft())  # atomic
        except IndexError:
            self.request_id = (b"x-request-id", _request_id())
        #: What the headers the gateway adds weigh in the journal, but for the value of
        #: ``openai-processing-ms`` (see :func:`headers_weight`).
        self.added_weight = organization_weight + len(self.request_id[1]) + _ADDED_WEIGHT
        #: What the response headers weigh in the journal, once they are known.
        self.sent_weight: int | None = None
        #: Whether the response has started (an error can no longer be answered).
        self.started = False
        self.began = time.perf_counter()

    def headers(self, status: int, raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The response's headers as sent (the app's, then the gateway's), kept in the
        journal entry with ``status``."""
        self.started = True
        elapsed_ms = max(0, int((time.perf_counter() - self.began) * 1000))
        shared = self.journal.shared
        # pairs_of makes a new list (a list or tuple is read as it is)
        headers = shared.pairs_of(raw if type(raw) in _SEQUENCES else list(raw))  # type: ignore[arg-type]
        weight = headers_weight(headers) + self.added_weight
        headers += self.organization
        processing = (
            _PROCESSING_MS[elapsed_ms]
            if elapsed_ms < len(_PROCESSING_MS)
            else shared.pair((b"openai-processing-ms", str(elapsed_ms).encode()))
        )
        self.sent_weight = weight + len(processing[1])
        headers.append(processing)
        headers.append(OPENAI_VERSION_HEADER)
        headers.append(self.request_id)
        call = self.call
        call.status = status
        call.raw_response_headers = tuple(headers)
        return headers

    def keep(self, body: bytes) -> None:
        """Count a body chunk, and keep it (a reference, not a copy) within the budget."""
        call = self.call
        call.response_size += len(body)
        if call.response_size <= self.journal.max_bytes:
            call.response_chunks.append(body)
        elif not call.response_dropped:
            call.response_chunks.clear()
            call.response_dropped = True

    async def send(self, message: Message) -> None:
        """The ``send`` the app behind the gateway is given."""
        if message["type"] == "http.response.start":
            message["headers"] = self.headers(message["status"], message.get("headers", ()))
        elif message.get("body"):
            self.keep(message["body"])
        await self.downstream(message)

    async def answer(self, response: Response, scope: Scope, receive: Receive) -> None:
        """Send ``response``: a whole one (:data:`render.WHOLE_RESPONSES`, no background
        task) as its own ``__call__`` would, without the layers between; any other by
        calling it."""
        if type(response) not in WHOLE_RESPONSES or response.background is not None:
            await response(scope, receive, self.send)
            return
        status = response.status_code
        headers = self.headers(status, response.raw_headers)
        body: bytes = response.body  # type: ignore[assignment]  # rendered to bytes
        whole = scope.get(WHOLE_RESPONSE_KEY)
        if whole is not None and whole[0] == self.downstream:
            if body:
                self.keep(body)
            whole[1](status, headers, body)  # the in-process transport takes it at once
            return
        # As :meth:`send` would: the body is kept once the start message has gone out.
        await self.downstream({"type": "http.response.start", "status": status, "headers": headers})
        if body:
            self.keep(body)
        await self.downstream({"type": "http.response.body", "body": body})


class GatewayMiddleware:
    """Journal, request ids and authentication for the routes behind it; all state is
    the backend's.

    A request a plain route serves (see :meth:`QuickRouter.resolve`) is answered here:
    the endpoint called, and a whole response (:data:`render.WHOLE_RESPONSES`) sent
    without the router's, the dispatcher's and the response's own ASGI layers; the
    messages the client receives are the same.
    """

    def __init__(self, routes: QuickRouter, *, backend: Backend, guarded_prefix: str) -> None:
        self.routes = routes
        self.backend = backend
        self.journal = backend.journal
        self.authenticator = backend.authenticator
        self.faults = backend.faults
        self.guarded_prefix = guarded_prefix
        self.required_query = backend.profile.required_query
        self.error_detail = backend.profile.error_detail
        self.organization_headers = backend.profile.organization_headers
        # A bodiless request's header list, as sent -> its facts (see RequestFacts).
        self._known: dict[RawHeaders, RequestFacts] = {}

    def facts(
        self, request_headers: Sequence[tuple[bytes, bytes]], *, remember: bool = False
    ) -> RequestFacts:
        """What the gateway needs of ``request_headers``, read the way the rules for
        repeated headers say (each name looked up once where each is sent once);
        ``remember``: the journal shares the whole list, not only its pairs."""
        shared = self.journal.shared
        scheme = self.authenticator.scheme
        named = dict(request_headers)
        organization: tuple[tuple[bytes, bytes], ...]
        if len(named) == len(request_headers):
            ambiguous = b"transfer-encoding" in named and b"content-length" in named
            key = _api_key_of(scheme, named)
            raw_project = named.get(b"openai-project")
            project = None if raw_project is None else _text(raw_project)
            if not self.organization_headers:
                organization = ()
            elif b"openai-organization" in named or b"openai-project" in named:
                organization = _organization_headers_of(named, shared.pair)
            else:
                organization = _MOCK_IDENTITY_HEADERS
        else:
            names = {name for name, _ in request_headers}
            ambiguous = b"transfer-encoding" in names and b"content-length" in names
            key = api_key_from(scheme, list(request_headers))
            project = _header(list(request_headers), b"openai-project")
            organization = (
                tuple(map(shared.pair, organization_headers(list(request_headers))))
                if self.organization_headers
                else ()
            )
        journal_headers = (
            shared.headers(tuple(request_headers))
            if remember
            else tuple(shared.pairs_of(request_headers))
        )
        return journal_headers, ambiguous, key, project, organization, headers_weight(organization)

    def _facts_of_bodiless(self, request_headers: list[tuple[bytes, bytes]]) -> RequestFacts:
        as_sent = tuple(request_headers)
        try:
            known = self._known.get(as_sent)
        except TypeError:  # a server that gives headers as lists: read each time
            return self.facts(request_headers)
        if known is None:
            if len(self._known) >= _FACTS_CACHE_SIZE:
                self._known.clear()
            known = self._known[as_sent] = self.facts(as_sent, remember=True)
        return known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.routes(scope, receive, send)
            return
        method = scope["method"]
        request_headers = scope["headers"]
        # A request with a body has headers of its own (its length, a multipart
        # boundary): read each time, its pairs shared, its list not remembered.
        journal_headers, ambiguous, key, project, organization, organization_weight = (
            self.facts(request_headers)
            if method in BODY_METHODS
            else self._facts_of_bodiless(request_headers)
        )
        journal = self.journal
        call = Call(
            method,
            scope["path"],
            scope["query_string"].decode("latin-1"),
            journal_headers,
            self.backend.clock.now(),
        )
        scope[CALL_KEY] = call
        scope[BACKEND_KEY] = self.backend
        journal.append(call)
        answering = _Answering(call, journal, organization, organization_weight, send)
        if method in BODY_METHODS:
            receive = _recording(receive, call, journal.max_bytes)
        try:
            if ambiguous:
                refuse_ambiguous_length(request_headers)
            if self.faults.queued:
                fault = self.faults.take(method, scope["path"])
                if fault is not None:
                    await _apply(fault, scope, answering.send)
            if scope["path"].startswith(self.guarded_prefix):
                scope[TENANT_KEY] = call.tenant = self.authenticator.authenticate(key, project)
                if self.required_query:
                    check_required_query(self.required_query, scope["query_string"])
            endpoint = self.routes.resolve(scope)
            if endpoint is None:
                await self.routes(scope, receive, answering.send)
            else:
                response = await endpoint(Request(scope, receive))
                await answering.answer(response, scope, receive)
        except MockFilesError as error:
            if answering.started:
                raise
            await answering.answer(error_response(error, detail=self.error_detail), scope, receive)
        except InjectedDisconnect:
            raise
        except Exception:
            # A bug in the mock: answer like the service would, then let it surface.
            if not answering.started:
                await answering.answer(
                    error_response(ServerError(), detail=self.error_detail), scope, receive
                )
            raise
        finally:
            journal.settle(call, answering.sent_weight)
