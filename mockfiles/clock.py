"""A clock that follows ``time.time()`` plus an offset set by the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Told of every move: ``listener(advance=seconds)`` or ``listener(set=timestamp)``.
ClockListener = Callable[..., None]


class Clock:
    """Current time for the mock.

    Every read calls ``time.time()`` afresh, so ``freezegun.freeze_time`` and
    ``time_machine.travel`` move the clock; :meth:`advance` and :meth:`set` add an
    offset on top of whatever ``time.time()`` says.
    """

    def __init__(self, listener: ClockListener | None = None) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self.listener = listener

    def now(self) -> float:
        """The current Unix time in seconds, as the mock sees it."""
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        """Seconds the clock is ahead of ``time.time()`` (negative: behind)."""
        return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, if negative) by ``seconds``."""
        with self._lock:
            self._offset += seconds
        if self.listener is not None:
            self.listener(advance=seconds)

    def set(self, timestamp: float) -> None:
        """Make :meth:`now` return ``timestamp`` (and keep ticking from there)."""
        with self._lock:
            self._offset = timestamp - time.time()
        if self.listener is not None:
            self.listener(set=timestamp)

    def follow_real_time(self) -> None:
        """Drop any offset: :meth:`now` is ``time.time()`` again."""
        with self._lock:
            self._offset = 0.0

    def __repr__(self) -> str:
        return f"Clock(now={self.now():.3f}, offset={self._offset:+.3f})"
