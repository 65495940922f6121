"""Serve an ASGI app on a real socket with uvicorn, in the foreground or on a thread."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from .mock import MockFiles

#: The real monotonic clock, captured at import. Kept inside a tuple: freezegun
#: replaces module attributes that *are* the real clock functions, not tuple items.
_REAL_MONOTONIC = (time.monotonic,)


class RealTimeEventLoop(asyncio.SelectorEventLoop):
    """An event loop that schedules by the real monotonic clock.

    freezegun patches ``time.monotonic`` for every thread while a test freezes time; a
    server thread whose loop timers read it would sleep until the frozen clock moves
    and never notice it should stop. The mock's own :class:`~mockfiles.Clock` still
    reads the (frozen) ``time.time()``.
    """

    def time(self) -> float:
        return _REAL_MONOTONIC[0]()


def real_time_loop() -> asyncio.AbstractEventLoop:
    """Loop factory for uvicorn (``loop="mockfiles.server:real_time_loop"``)."""
    return RealTimeEventLoop()


class _ForegroundServer(uvicorn.Server):
    """uvicorn's server, minus re-raising the stop signal after a graceful shutdown
    (so SIGINT and SIGTERM end the process with status 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in stop_signals}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then shut down cleanly."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    _ForegroundServer(config).run()


class ThreadedServer:
    """A uvicorn server for a mock (or any ASGI app) on a background thread.

    The socket is bound on construction, so :attr:`port` (a free one when ``port=0``)
    and :attr:`base_url` are known before :meth:`start`.
    """

    def __init__(self, target: MockFiles | ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        app = target.app if isinstance(target, MockFiles) else target
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
        # for sockets that say so; without it, Nagle plus delayed ACKs cost 40 ms a request.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.base_path = target.profile.base_path if isinstance(target, MockFiles) else ""
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            loop="mockfiles.server:real_time_loop",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"mockfiles-server-{self.port}",
            daemon=True,
        )

    @property
    def root_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """:attr:`root_url` plus the profile's base path."""
        return self.root_url + self.base_path

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mockfiles server on port {self.port} failed to start")
            time.sleep(0.001)

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> ThreadedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
