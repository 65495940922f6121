"""Faults a test queues for the next matching requests: an error status, a delay, a
dropped connection. Matching is by method and path glob (``/v1/files/*``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from .errors import MockFilesError

DropKind = Literal["connect", "timeout", "read"]

#: The service's envelope for statuses tests inject most: (message, type, code).
STATUS_ERRORS: dict[int, tuple[str, str, str | None]] = {
    408: ("Request timed out.", "timeout", None),
    409: ("The request conflicts with the current state of the resource.", "conflict", None),
    429: (
        "Rate limit reached for requests. Please try again later.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}


#: An HTTP header name (RFC 9110 token).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: A header value one line long: tab, visible ASCII, space, or Latin-1 (no control
#: characters, so no CR, LF or NUL).
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
#: Headers that frame the response: the server sets them, a fault cannot.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` as a dict, if every one can be sent on an HTTP response; ``ValueError``
    naming the first that cannot (a bad name or value, or a framing header)."""
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(
                f"header name {name!r} is not an HTTP token (letters, digits and "
                "!#$%&'*+-.^_`|~, no spaces)"
            )
        if not isinstance(value, str) or not _VALUE.fullmatch(value):
            raise ValueError(
                f"header {name!r} has value {value!r}: a value must be one line of text "
                "(no CR, LF, NUL or other control characters)"
            )
        if name.lower() in FRAMING_HEADERS:
            raise ValueError(
                f"header {name!r} frames the response and is set by the server; "
                f"a fault cannot set {', '.join(sorted(FRAMING_HEADERS))}"
            )
        checked[name] = value
    return checked


def _check_times(times: object) -> None:
    if times is None:
        return
    if isinstance(times, bool) or not isinstance(times, int):
        raise ValueError(
            f"times must be a whole number of requests (or None for every request), not {times!r}"
        )


class InjectedError(MockFilesError):
    """An error status a test asked for."""

    def __init__(
        self,
        status: int,
        message: str | None,
        error_type: str | None,
        code: str | None,
        headers: Mapping[str, str],
    ) -> None:
        default_message, default_type, default_code = STATUS_ERRORS.get(
            status, (f"Injected fault: HTTP {status}.", "invalid_request_error", None)
        )
        super().__init__(message or default_message, code=code or default_code)
        self.status = status
        self.error_type = error_type or default_type
        self.headers = dict(headers)


class InjectedDisconnect(Exception):
    """A dropped connection a test asked for (the transport raises the client's error)."""

    def __init__(self, kind: DropKind) -> None:
        super().__init__(f"mockfiles: connection dropped on purpose ({kind})")
        self.kind = kind


@dataclass
class Fault:
    """One queued fault and how many more requests it applies to (None: all)."""

    method: str | None
    path: str
    remaining: int | None
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None
    error_type: str | None = None
    code: str | None = None
    delay: float = 0.0
    drop: DropKind | None = None

    def describe(self) -> str:
        """The fault in a line: what it matches, what it does, how many uses remain."""
        if self.drop is not None:
            effect = f"drop the connection ({self.drop})"
        elif self.status is not None:
            effect = f"answer {self.status}"
        else:
            effect = f"delay {self.delay:g} s"
        uses = "every request" if self.remaining is None else f"{self.remaining} use(s) left"
        return f"{self.method or 'any method'} {self.path}: {effect}, {uses}"

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and fnmatchcase(path, self.path)

    def error(self) -> InjectedError | None:
        if self.status is None:
            return None
        return InjectedError(self.status, self.message, self.error_type, self.code, self.headers)


class Faults:
    """The queue of faults; the first pending match applies to each request."""

    def __init__(self) -> None:
        #: The faults waiting, in the order they were added (read it, do not change it).
        self.queued: list[Fault] = []
        self._lock = threading.Lock()

    def _queue(self, fault: Fault) -> Fault:
        _check_times(fault.remaining)
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError(
                f"times must be at least 1 (or None for every request), not {fault.remaining}"
            )
        with self._lock:
            self.queued.append(fault)
        return fault

    def add(
        self,
        *,
        status: int,
        method: str | None = None,
        path: str = "*",
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
        error_type: str | None = None,
        code: str | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` and the service's
        envelope (``headers`` such as ``retry-after-ms`` or ``x-should-retry`` added)."""
        if not 400 <= status <= 599:
            raise ValueError(f"an injected status must be 4xx or 5xx, not {status}")
        return self._queue(
            Fault(
                _method(method),
                path,
                times,
                status,
                check_headers(headers or {}),
                message,
                error_type,
                code,
                delay,
            )
        )

    def add_delay(
        self, seconds: float, *, method: str | None = None, path: str = "*", times: int | None = 1
    ) -> Fault:
        """Hold the next ``times`` matching requests for ``seconds``, then serve them."""
        return self._queue(Fault(_method(method), path, times, delay=seconds))

    def add_disconnect(
        self,
        *,
        method: str | None = None,
        path: str = "*",
        times: int | None = 1,
        kind: DropKind = "connect",
    ) -> Fault:
        """Drop the next ``times`` matching requests: in-process the transport raises the
        library's ``ConnectError`` (``kind="connect"``), ``ReadTimeout`` (``"timeout"``) or
        ``RemoteProtocolError`` (``"read"``); through a server the connection closes
        mid-response. Nothing is stored."""
        return self._queue(Fault(_method(method), path, times, drop=kind))

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (consuming one of its uses)."""
        if not self.queued:
            return None
        with self._lock:
            for fault in self.queued:
                if fault.matches(method, path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self.queued.remove(fault)
                    return fault
        return None

    @property
    def pending(self) -> list[Fault]:
        """Faults still queued."""
        with self._lock:
            return list(self.queued)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self.queued.clear()

    def __len__(self) -> int:
        return len(self.queued)


def _method(method: str | None) -> str | None:
    return None if method is None else method.upper()
