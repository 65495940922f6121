"""Serve a mock on a real socket with uvicorn, in the foreground or on a thread."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from .mock import MockFiles


def serve(mock: MockFiles, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``mock.app`` until interrupted (SIGINT / SIGTERM shut down cleanly)."""
    uvicorn.run(mock.app, host=host, port=port, log_level="warning", lifespan="off")


class ThreadedServer:
    """A uvicorn server for ``mock`` on a background thread; a context manager.

    ``port=0`` picks a free port; :attr:`base_url` says where it listens.
    """

    def __init__(self, mock: MockFiles, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(mock.app, host=host, port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="mockfiles-server", daemon=True
        )
        self.host = host
        self.port = port
        self.base_path = mock.profile.base_path

    @property
    def base_url(self) -> str:
        """``http://host:port`` plus the profile's base path."""
        return f"http://{self.host}:{self.port}{self.base_path}"

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; returns once the socket is bound."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("mockfiles server failed to start")
            time.sleep(0.005)
        servers = self._server.servers
        if servers and servers[0].sockets:
            self.port = servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

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
