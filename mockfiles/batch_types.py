"""What a batch responder sees and may answer (no HTTP, no state).

A responder is any callable ``fn(request: BatchRequest) -> body | BatchErrorResponse |
None``: a ``dict`` is the response body (status 200), a :class:`BatchErrorResponse` an
HTTP error that lands in the batch's error file, ``None`` the default answer. Raising
:class:`BatchFailed` fails the whole batch, :class:`BatchExpired` expires it, at the
moment that request is processed on the mock's clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Phases of a batch whose length (seconds on the mock's clock) can be set with
#: ``MockFiles(batch_durations={...})``.
BATCH_PHASES = ("validating", "in_progress", "finalizing", "cancelling")

#: Defaults: every phase takes no time, so the first ``retrieve`` after ``create``
#: already sees the batch ``completed`` (``create`` itself answers ``validating``).
DEFAULT_BATCH_DURATIONS: Mapping[str, float] = {phase: 0.0 for phase in BATCH_PHASES}


@dataclass(frozen=True)
class BatchRequest:
    """One request line of a batch input file, as a responder receives it."""

    custom_id: str
    method: str
    url: str
    body: dict[str, Any]
    #: The line's number in the input file (1-based).
    line: int
    batch_id: str
    #: The batch's endpoint (``/v1/chat/completions``, ...).
    endpoint: str


@dataclass(frozen=True)
class BatchErrorResponse:
    """An HTTP error answering one request: it goes to the batch's error file."""

    status_code: int
    #: The error body (the service's envelope: ``{"error": {...}}``).
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        status_code: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> BatchErrorResponse:
        """An error in the service's envelope, e.g. ``BatchErrorResponse.of(429, "Slow down")``."""
        if not 400 <= status_code <= 599:
            raise ValueError(f"an error status is 400..599, not {status_code}")
        return cls(
            status_code,
            {"error": {"message": message, "type": type, "param": param, "code": code}},
        )


class BatchFailed(Exception):
    """Raise from a responder to make the whole batch ``failed`` at that request.

    The batch's ``errors.data`` then holds ``{code, message, param: null, line}``.
    """

    def __init__(self, message: str = "The batch failed.", *, code: str = "batch_failed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class BatchExpired(Exception):
    """Raise from a responder to make the batch ``expired`` at that request: the lines
    answered before it stay in the output file, it and the rest go to the error file
    with ``batch_expired``."""


#: What a responder returns for one request.
BatchAnswer = dict[str, Any] | BatchErrorResponse | None
#: A batch responder.
Responder = Callable[[BatchRequest], BatchAnswer]


def check_durations(durations: Mapping[str, float] | None) -> dict[str, float]:
    """The defaults updated with ``durations``; ``ValueError`` for an unknown phase or a
    negative or non-numeric length."""
    chosen = dict(DEFAULT_BATCH_DURATIONS)
    for phase, seconds in (durations or {}).items():
        if phase not in DEFAULT_BATCH_DURATIONS:
            raise ValueError(
                f"unknown batch phase {phase!r} in batch_durations; phases are: "
                + ", ".join(BATCH_PHASES)
            )
        chosen[phase] = finite_seconds(seconds, f"batch_durations[{phase!r}]")
    return chosen


def finite_seconds(seconds: object, name: str) -> float:
    """``seconds`` as a float; ``ValueError`` naming ``name`` unless it is a finite
    number >= 0 (booleans are not numbers here)."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise ValueError(f"{name} must be a finite number of seconds >= 0, not {seconds!r}")
    return float(seconds)
