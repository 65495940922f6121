"""Serve an ASGI app on a real socket with uvicorn, in the foreground or on a thread."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import signal
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType

import anyio
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api.render import error_response
from .errors import RequestTimeout
from .mock import MockFiles

#: Seconds a stop signal waits for requests in flight before cancelling them.
GRACEFUL_SHUTDOWN_SECONDS = 3.0
#: Seconds the server waits for the next piece of a request body before answering 408.
BODY_READ_TIMEOUT_SECONDS = 30.0

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


class BodyReadTimeout:
    """Answers 408 when a client stops sending its request body for ``seconds`` (a
    stalled upload must not hold a request, or a shutdown, forever)."""

    def __init__(self, app: ASGIApp, seconds: float = BODY_READ_TIMEOUT_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                with anyio.fail_after(self.seconds):
                    message = await receive()
            except TimeoutError:
                body_done = True
                raise RequestTimeout(
                    f"The request body stalled: no data for {self.seconds:g} seconds."
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, send_and_note)
        except RequestTimeout as error:  # an app that does not render mockfiles errors
            if started:
                raise
            await error_response(error)(scope, receive, send)


#: Allocations at least this large get their own pages from glibc (returned on free).
MMAP_THRESHOLD = 64 * 1024


def return_freed_memory_promptly() -> bool:
    """Ask glibc to give large allocations their own pages (``mallopt``), so the bytes of
    a deleted file or a dropped journal body go back to the system instead of staying
    in a fragmented heap. For the ``serve`` process only; False where not glibc."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_mmap_threshold = -3
    return bool(mallopt(m_mmap_threshold, MMAP_THRESHOLD))


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port=0``: a free one); ``OSError`` when
    the address is taken or cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # for sockets that say so; without it, Nagle plus delayed ACKs cost 40 ms a request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    sock: socket.socket | None = None,
    graceful_seconds: float = GRACEFUL_SHUTDOWN_SECONDS,
    body_timeout: float = BODY_READ_TIMEOUT_SECONDS,
) -> None:
    """Serve ``app`` (on ``sock`` if given, bound by :func:`bind`) until SIGINT or
    SIGTERM, then shut down: requests in flight get ``graceful_seconds`` to finish."""
    config = uvicorn.Config(
        BodyReadTimeout(app, body_timeout),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=math.ceil(graceful_seconds),
    )
    sockets = [sock if sock is not None else bind(host, port)]
    _ForegroundServer(config).run(sockets=sockets)


class ThreadedServer:
    """A uvicorn server for a mock (or any ASGI app) on a background thread.

    The socket is bound on construction, so :attr:`port` (a free one when ``port=0``)
    and :attr:`base_url` are known before :meth:`start`.
    """

    def __init__(self, target: MockFiles | ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        app = target.app if isinstance(target, MockFiles) else target
        self._socket = bind(host, port)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.base_path = target.profile.base_path if isinstance(target, MockFiles) else ""
        config = uvicorn.Config(
            BodyReadTimeout(app),
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
