"""The journal: every request the mock answered, with its response, in order."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

from .blobs import Blob

RawHeaders = tuple[tuple[bytes, bytes], ...]

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})


class UploadedFile:
    """What a call uploaded: the file's name, declared type, size and content.

    The digest is computed when first asked for, so recording an upload costs nothing
    on the hot path; the journal keeps the uploaded content until ``reset()``.
    """

    __slots__ = ("_sha256", "blob", "content_type", "filename")

    def __init__(self, filename: str, content_type: str | None, blob: Blob) -> None:
        self.filename = filename
        self.content_type = content_type
        self.blob = blob
        self._sha256: str | None = None

    @property
    def size(self) -> int:
        """Bytes uploaded."""
        return self.blob.size

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the uploaded bytes."""
        if self._sha256 is None:
            self._sha256 = self.blob.sha256()
        return self._sha256

    @property
    def content(self) -> bytes:
        """The uploaded bytes."""
        return self.blob.read()

    def __repr__(self) -> str:
        return (
            f"UploadedFile({self.filename!r}, size={self.size}, content_type={self.content_type!r})"
        )


@dataclass(slots=True)
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
    at: float = 0.0
    #: The request body as it arrived (chunks kept, not copied); empty for GET/DELETE.
    request_chunks: list[bytes] | None = None
    status: int = 0
    raw_response_headers: RawHeaders = ()
    #: The response body as sent (chunks kept, not copied).
    response_chunks: list[bytes] = field(default_factory=list)
    form: Mapping[str, str] = field(default_factory=lambda: _NO_FIELDS)
    files: tuple[UploadedFile, ...] = ()
    #: The tenant label the request acted for (None: not authenticated).
    tenant: str | None = None

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value wins for repeated names)."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def request_body(self) -> bytes:
        """The request body as received (what was read of it)."""
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
        return json.loads(self.response_body)

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


@dataclass(frozen=True)
class FileSeeded:
    """A file created with ``add_file`` (not through HTTP)."""

    file_id: str
    filename: str
    purpose: str
    created_at: int
    expires_at: int | None
    blob: Blob
    tenant: str


@dataclass(frozen=True)
class UrlRegistered:
    """A URL registered for imports."""

    url: str
    status: int
    headers: Mapping[str, str]
    blob: Blob


Event = Call | ClockMoved | FileSeeded | UrlRegistered


class Journal:
    """Thread-safe, ordered list of :class:`Call`, plus the other events of a test
    (clock moves, seeded files, registered URLs) that a scenario needs."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def append(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._events.append(call)

    def note(self, event: ClockMoved | FileSeeded | UrlRegistered) -> None:
        """Record a non-HTTP event in order with the calls."""
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[Event]:
        """Calls and other events, in the order they happened."""
        with self._lock:
            return list(self._events)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._events.clear()

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
