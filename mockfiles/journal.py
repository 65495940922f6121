"""The journal: every request the mock answered, with its response, in order.

Bounded: it holds at most ``max_bytes`` (bodies plus an estimate of each call's
metadata) and ``max_calls`` events. Bodies go first, oldest first: a call keeps its
metadata (method, path, headers, status, sizes, SHA-256 of uploads, form fields) after
its bodies go; then the oldest events go (:attr:`Journal.dropped` counts them). A
refused request keeps its body only up to :data:`REFUSED_BODY_KEPT_BYTES` (enough to
replay an ordinary refusal; a refused 600 MB upload keeps nothing).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import chain
from operator import attrgetter
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

from . import safe_json
from .blobs import Blob

RawHeaders = tuple[tuple[bytes, bytes], ...]

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})

#: Default memory budget of the journal: bodies plus metadata estimate (64 MiB).
DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024
#: Default number of calls (and other events) the journal keeps.
DEFAULT_JOURNAL_CALLS = 10_000
#: Largest request body a refused call (4xx/5xx) keeps, within the budget: a scenario
#: can replay a refused form, and a refused large upload holds no memory.
REFUSED_BODY_KEPT_BYTES = 64 * 1024


class BodyDropped(LookupError):
    """The journal no longer holds this body (its budget was spent, or it was refused)."""


class UploadedFile:
    """What a call uploaded: the file's name, declared type, size and content.

    The digest is computed when first asked for (or when the journal drops the content),
    so recording an upload costs nothing on the hot path. The content stays while the
    journal's body budget allows; size and digest stay always.
    """

    __slots__ = ("_sha256", "blob", "content_type", "filename", "size")

    def __init__(self, filename: str, content_type: str | None, blob: Blob) -> None:
        self.filename = filename
        self.content_type = content_type
        #: The content, or None once the journal dropped it.
        self.blob: Blob | None = blob
        #: Bytes uploaded.
        self.size: int = blob.size
        self._sha256: str | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the uploaded bytes."""
        if self._sha256 is None:
            assert self.blob is not None  # the digest is taken before the blob is dropped
            self._sha256 = self.blob.sha256()
        return self._sha256

    @property
    def content(self) -> bytes:
        """The uploaded bytes; :class:`BodyDropped` once the journal let them go."""
        if self.blob is None:
            raise BodyDropped(
                f"the journal dropped the content of {self.filename!r} ({self.size} bytes, "
                f"sha256 {self.sha256}): over the journal's body budget, or the upload "
                "was refused"
            )
        return self.blob.read()

    def drop_content(self) -> None:
        """Let the content go, keeping its size and digest."""
        if self.blob is not None:
            self.sha256  # noqa: B018 - taken now, while the bytes are at hand
            self.blob = None

    def __repr__(self) -> str:
        return (
            f"UploadedFile({self.filename!r}, size={self.size}, content_type={self.content_type!r})"
        )


@dataclass(slots=True, init=False)
class Call:
    """One request/response pair as the mock saw it.

    Kept to tuples and one slotted object, so a long journal adds little work for the
    garbage collector.
    """

    method: str
    path: str
    query_string: str
    raw_request_headers: RawHeaders
    #: The mock clock's time when the request arrived.
    at: float
    #: The request body as it arrived (chunks kept, not copied); empty for GET/DELETE.
    request_chunks: list[bytes] | None
    status: int
    raw_response_headers: RawHeaders
    #: The response body as sent (chunks kept, not copied).
    response_chunks: list[bytes]
    form: Mapping[str, str]
    files: tuple[UploadedFile, ...]
    #: The tenant label the request acted for (None: not authenticated).
    tenant: str | None
    #: Bytes of request body received (kept or not).
    request_size: int
    #: Bytes of response body sent (kept or not).
    response_size: int
    #: True once the journal let the request body go (budget spent, or refused).
    request_dropped: bool
    #: True once the journal let the response body go (budget spent).
    response_dropped: bool
    #: Body bytes the journal counts against its budget for this call.
    held: int
    #: The journal's estimate of this call's metadata (-1: the journal let it go).
    meta: int

    def __init__(  # every field, in order, as the dataclass would take them
        self,
        method: str,
        path: str,
        query_string: str,
        raw_request_headers: RawHeaders,
        at: float = 0.0,
        request_chunks: list[bytes] | None = None,
        status: int = 0,
        raw_response_headers: RawHeaders = (),
        response_chunks: list[bytes] | None = None,
        form: Mapping[str, str] = _NO_FIELDS,
        files: tuple[UploadedFile, ...] = (),
        tenant: str | None = None,
        request_size: int = 0,
        response_size: int = 0,
        request_dropped: bool = False,
        response_dropped: bool = False,
        held: int = 0,
        meta: int = 0,
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self.raw_request_headers = raw_request_headers
        self.at = at
        self.request_chunks = request_chunks
        self.status = status
        self.raw_response_headers = raw_response_headers
        self.response_chunks = [] if response_chunks is None else response_chunks
        self.form = form
        self.files = files
        self.tenant = tenant
        self.request_size = request_size
        self.response_size = response_size
        self.request_dropped = request_dropped
        self.response_dropped = response_dropped
        self.held = held
        self.meta = meta

    @property
    def bodies_dropped(self) -> bool:
        """Whether the journal let either body go."""
        return self.request_dropped or self.response_dropped

    def drop_request_body(self) -> None:
        """Let the request body go; its size, the form fields and upload digests stay."""
        if self.request_chunks is not None:
            self.request_chunks = []
            self.request_dropped = True
        for uploaded in self.files:
            uploaded.drop_content()

    def drop_bodies(self) -> None:
        """Let the request and response bodies go; sizes, digests and fields stay."""
        self.drop_request_body()
        if self.response_size:
            self.response_chunks = []
            self.response_dropped = True
        self.held = 0

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value wins for repeated names)."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def request_body(self) -> bytes:
        """The request body as received (what was read of it; empty once dropped, see
        :attr:`bodies_dropped`)."""
        return b"".join(self.request_chunks) if self.request_chunks else b""

    @property
    def request_headers(self) -> dict[str, str]:
        """Request headers, lower-cased names."""
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_request_headers}

    @property
    def response_headers(self) -> dict[str, str]:
        """Response headers, lower-cased names."""
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_response_headers}

    @property
    def response_body(self) -> bytes:
        """The response body as sent."""
        return b"".join(self.response_chunks)

    @property
    def response_json(self) -> Any:
        """The JSON response body, or None if the response was not JSON."""
        if not self.response_headers.get("content-type", "").startswith("application/json"):
            return None
        return safe_json.loads(self.response_body, max_depth=safe_json.SCENARIO_MAX_DEPTH)

    def __str__(self) -> str:
        query = f"?{self.query_string}" if self.query_string else ""
        outcome = str(self.status) if self.status else "no response (connection dropped)"
        return f"{self.method} {self.path}{query} -> {outcome}"


def _describe(method: str | None, path: str | None) -> str:
    return f"{(method or 'any method').upper()} {path or 'any path'}"


def _listing(calls: list[Call]) -> str:
    return "\n".join(f"  {n}. {c}" for n, c in enumerate(calls, start=1)) or "  (none)"


@dataclass(frozen=True)
class ClockMoved:
    """The test moved the mock clock: by ``advance`` seconds, or ``set`` to a time."""

    advance: float | None = None
    set: float | None = None


@dataclass(slots=True)
class FileSeeded:
    """A file created with ``add_file`` (not through HTTP)."""

    file_id: str
    filename: str
    purpose: str
    created_at: int
    expires_at: int | None
    #: The content, or None once the journal's body budget let it go.
    blob: Blob | None
    tenant: str
    held: int = 0
    meta: int = 400

    def drop_bodies(self) -> None:
        """Let the content go."""
        self.blob = None
        self.held = 0


@dataclass(slots=True)
class UrlRegistered:
    """A URL registered for imports."""

    url: str
    status: int
    headers: Mapping[str, str]
    #: The content, or None once the journal's body budget let it go.
    blob: Blob | None
    held: int = 0
    meta: int = 400

    def drop_bodies(self) -> None:
        """Let the content go."""
        self.blob = None
        self.held = 0


Event = Call | ClockMoved | FileSeeded | UrlRegistered
_Holder = Call | FileSeeded | UrlRegistered


def headers_weight(headers: Sequence[tuple[bytes, bytes]]) -> int:
    """What ``headers`` weigh in the journal's estimate: 110 per header plus its bytes."""
    return 110 * len(headers) + len(b"".join(chain.from_iterable(headers)))


def _extras_weight(call: Call) -> int:
    """What a call's form fields and uploads add to its metadata estimate."""
    form, files = call.form, call.files
    return (
        110 * len(form)
        + sum(map(len, form.keys()))
        + sum(map(len, form.values()))
        + 300 * len(files)
        + sum(map(len, map(_FILENAME, files)))
    )


_FILENAME = attrgetter("filename")


#: Distinct header pairs (and request header lists) shared between entries; the cache
#: starts over beyond this many.
_SHARED_LIMIT = 4096


def _shareable(item: object) -> bool:
    try:
        hash(item)
    except TypeError:
        return False
    return True


class SharedHeaders:
    """Hands out one tuple for equal header pairs and equal header lists, so a journal
    of many alike requests keeps each distinct pair once (and the garbage collector has
    fewer objects to walk). Tuples are immutable: sharing them changes nothing a reader
    can see."""

    def __init__(self) -> None:
        #: Each shared pair, by itself.
        self.pairs: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
        self._lists: dict[RawHeaders, RawHeaders] = {}
        # id of a shared list -> (that list, its weight in the journal's estimate)
        self._weights: dict[int, tuple[RawHeaders, int]] = {}

    def pair(self, pair: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
        """The shared tuple equal to ``pair``."""
        return self.pairs_of((pair,))[0]

    def pairs_of(self, pairs: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The shared tuple equal to each of ``pairs`` (any that is not a tuple of bytes
        is kept as it is)."""
        known = self.pairs
        if len(known) + len(pairs) > _SHARED_LIMIT:
            known.clear()
        try:
            return list(map(known.setdefault, pairs, pairs))
        except TypeError:
            return [known.setdefault(item, item) if _shareable(item) else item for item in pairs]

    def headers(self, headers: RawHeaders) -> RawHeaders:
        """The shared tuple equal to ``headers`` (its pairs shared too)."""
        try:
            shared = self._lists.get(headers)
        except TypeError:  # a server that gives headers as lists: kept as they are
            return headers
        if shared is None:
            if len(self._lists) >= _SHARED_LIMIT:
                self._lists.clear()
                self._weights.clear()
            shared = self._lists[headers] = tuple(self.pairs_of(headers))
            self._weights[id(shared)] = (shared, headers_weight(shared))
        return shared

    def weight(self, headers: RawHeaders) -> int:
        """What ``headers`` weigh in the journal's estimate (remembered for shared lists)."""
        known = self._weights.get(id(headers))
        if known is not None and known[0] is headers:
            return known[1]
        return headers_weight(headers)


class Journal:
    """Thread-safe, ordered list of :class:`Call`, plus the other events of a test
    (clock moves, seeded files, registered URLs) that a scenario needs.

    Holds at most ``max_bytes``: bodies plus an estimate of each event's metadata. Over
    it, the oldest bodies go first (a call keeps its metadata: sizes, digests, fields),
    then the oldest events. It also keeps at most ``max_calls`` events. :attr:`dropped`
    counts the events let go. A refused call (4xx/5xx) keeps a request body only up to
    :data:`REFUSED_BODY_KEPT_BYTES`; a body larger than the whole budget is never kept.
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_JOURNAL_BYTES,
        max_calls: int = DEFAULT_JOURNAL_CALLS,
    ) -> None:
        if max_bytes < 0 or max_calls < 1:
            raise ValueError("the journal needs max_bytes >= 0 and max_calls >= 1")
        self.max_bytes = max_bytes
        self.max_calls = max_calls
        #: Events dropped (oldest first) to keep within :attr:`max_calls` / :attr:`max_bytes`.
        self.dropped = 0
        self._calls: deque[Call] = deque()
        self._events: deque[Event] = deque()
        # Events holding bodies, in the order they were counted (oldest first).
        self._holders: deque[_Holder] = deque()
        self._held = 0
        self._lock = threading.Lock()
        #: Shares equal header tuples between entries (see :class:`SharedHeaders`).
        self.shared = SharedHeaders()

    @property
    def held_bytes(self) -> int:
        """What the journal holds now, bodies plus metadata estimate (<= :attr:`max_bytes`)."""
        return self._held

    def append(self, call: Call) -> None:
        """Record a call as it starts; :meth:`settle` counts it once it ends."""
        with self._lock:
            self._calls.append(call)
            events = self._events
            events.append(call)
            while len(events) > self.max_calls:
                self._drop_oldest_event()

    def settle(self, call: Call, response_headers_weight: int | None = None) -> None:
        """Count a finished call against the budget: a refused call (4xx/5xx, or no
        response) keeps only a small request body, the oldest bodies go when over budget.

        The metadata estimate: 600 bytes, the path and query, 110 per header plus the
        header's bytes, 110 per form field plus its text, 300 per upload plus its name.
        ``response_headers_weight``: :func:`headers_weight` of the call's response
        headers, where the caller knows it already.
        """
        with self._lock:
            request_size = call.request_size
            if request_size and (
                call.request_dropped
                or (
                    request_size > REFUSED_BODY_KEPT_BYTES
                    and (call.status == 0 or call.status >= 400)
                )
            ):
                call.drop_request_body()  # refused, or over the whole budget as it arrived
            if call.meta < 0:  # already let go while it was running
                call.drop_bodies()
                return
            if response_headers_weight is None:
                response_headers_weight = headers_weight(call.raw_response_headers)
            meta = (
                600
                + len(call.path)
                + len(call.query_string)
                + self.shared.weight(call.raw_request_headers)
                + response_headers_weight
            )
            if call.form or call.files:
                meta += _extras_weight(call)
            call.meta = meta
            # The bodies kept: every chunk counted, unless the body was let go.
            size = 0 if call.response_dropped else call.response_size
            if request_size and call.request_chunks is not None and not call.request_dropped:
                size += request_size
            held = self._held + meta
            if size:
                if size > self.max_bytes:
                    call.drop_bodies()
                else:
                    call.held = size
                    self._holders.append(call)
                    held += size
            self._held = held
            if held > self.max_bytes:
                self._hold(call, 0)

    def note(self, event: ClockMoved | FileSeeded | UrlRegistered) -> None:
        """Record a non-HTTP event in order with the calls."""
        with self._lock:
            self._add_event(event)
            if not isinstance(event, ClockMoved) and event.blob is not None:
                self._held += event.meta
                self._hold(event, event.blob.size)

    def _add_event(self, event: Event) -> None:
        self._events.append(event)
        while len(self._events) > self.max_calls:
            self._drop_oldest_event()

    def _drop_oldest_event(self) -> None:
        oldest = self._events.popleft()
        self.dropped += 1
        if isinstance(oldest, Call):
            self._calls.popleft()
        if not isinstance(oldest, ClockMoved):
            self._held -= oldest.held + max(oldest.meta, 0)
            oldest.held = 0
            oldest.meta = -1  # gone: a call still running counts nothing when it ends
        while self._holders and self._holders[0].held == 0:
            self._holders.popleft()

    def _hold(self, holder: _Holder, size: int) -> None:
        if size > self.max_bytes:
            holder.drop_bodies()
        elif size:
            holder.held = size
            self._holders.append(holder)
            self._held += size
        while self._held > self.max_bytes and self._holders:
            oldest = self._holders.popleft()
            self._held -= oldest.held
            oldest.drop_bodies()
        while self._held > self.max_bytes and len(self._events) > 1:
            self._drop_oldest_event()

    @property
    def events(self) -> list[Event]:
        """Calls and other events, in the order they happened."""
        with self._lock:
            return list(self._events)

    def clear(self) -> None:
        """Forget every call and event (and the count of dropped ones)."""
        with self._lock:
            self._calls.clear()
            self._events.clear()
            self._holders.clear()
            self._held = 0
            self.dropped = 0

    @property
    def last(self) -> Call:
        """The most recent call; ``AssertionError`` if none was made."""
        if not self._calls:
            raise AssertionError("the mock has received no request yet")
        return self._calls[-1]

    def filter(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """Calls matching ``method`` and ``path`` (exact, or a glob like ``/v1/files/*``)."""
        wanted = None if method is None else method.upper()
        return [
            c
            for c in list(self._calls)
            if (wanted is None or c.method == wanted)
            and (path is None or c.path == path or fnmatchcase(c.path, path))
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many calls match."""
        return len(self.filter(method, path))

    def assert_called(
        self, method: str | None = None, path: str | None = None, *, times: int | None = None
    ) -> list[Call]:
        """The matching calls; ``AssertionError`` listing every call received when there
        are none (or not exactly ``times``)."""
        found = self.filter(method, path)
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        expected = "at least one call" if times is None else f"{times} call(s)"
        raise AssertionError(
            f"Expected {expected} to {_describe(method, path)}, the mock received "
            f"{len(found)}:\n{_listing(found)}\nAll {len(self)} call(s) received:\n"
            f"{_listing(list(self._calls))}"
        )

    def assert_not_called(self, method: str | None = None, path: str | None = None) -> None:
        """``AssertionError`` listing the offending calls if any call matches."""
        found = self.filter(method, path)
        if found:
            raise AssertionError(
                f"Expected no call to {_describe(method, path)}, the mock received "
                f"{len(found)}:\n{_listing(found)}"
            )

    def __iter__(self) -> Iterator[Call]:
        return iter(list(self._calls))

    def __len__(self) -> int:
        return len(self._calls)

    def __getitem__(self, index: int) -> Call:
        return self._calls[index]

    def __repr__(self) -> str:
        lines = "\n".join(f"  {c}" for c in self._calls) or "  (none)"
        return f"Journal of {len(self._calls)} call(s):\n{lines}"
