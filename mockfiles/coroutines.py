"""Running a coroutine to completion in the calling thread, without an event loop."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

AppCall = Coroutine[Any, Any, None]


class AppSuspended(RuntimeError):
    """The app awaited real I/O while being driven synchronously."""


def drive(coroutine: AppCall) -> None:
    """Run ``coroutine`` to completion in this thread without an event loop.

    The app awaits nothing that needs a loop when called in-process; if it ever does,
    this raises :class:`AppSuspended` instead of hanging.
    """
    while True:
        try:
            awaited = coroutine.send(None)
        except StopIteration:
            return
        if awaited is not None:
            coroutine.close()
            raise AppSuspended(
                f"the mock's app awaited {awaited!r}, which needs an event loop; "
                "use the async transport from async code"
            )


__all__ = ["AppCall", "AppSuspended", "drive"]
