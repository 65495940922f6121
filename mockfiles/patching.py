"""Route httpx / httpx2 traffic for chosen hosts to an app in-process.

Patches the libraries' default network transports (the way pytest-httpx and respx do),
so clients built anywhere — including inside the ``openai`` SDK — reach the mock while
requests for other hosts go out untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from starlette.types import ASGIApp

from .transport import (
    Library,
    async_transport,
    installed_libraries,
    library_module,
    sync_transport,
)

Saved = dict[str, str | None]


def set_environ(values: Mapping[str, str], defaults: Mapping[str, str]) -> Saved:
    """Set ``values``, and ``defaults`` where unset; returns what :func:`restore_environ`
    needs (on an error, what was set is restored before it is raised)."""
    environ = os.environ
    saved = {name: environ.get(name) for name in (*values, *defaults)}
    try:
        for name, value in values.items():
            if saved[name] != value:
                environ[name] = value
        for name, value in defaults.items():
            # unset before, and not among ``values``: not in the environment now
            if saved[name] is None and name not in values:
                environ[name] = value
    except BaseException:
        restore_environ(saved)
        raise
    return saved


def restore_environ(saved: Saved) -> None:
    """Put back the variables :func:`set_environ` saved (unset those that were unset)."""
    environ = os.environ
    for name, old in saved.items():
        if old is None:
            if name in environ:
                del environ[name]
        elif environ.get(name) != old:
            environ[name] = old


@contextmanager
def patched_environ(values: Mapping[str, str], defaults: Mapping[str, str]) -> Iterator[None]:
    """Set ``values``, and ``defaults`` where unset; restore everything on exit."""
    saved = set_environ(values, defaults)
    try:
        yield
    finally:
        restore_environ(saved)


def _route_library(
    library: Library, app: ASGIApp, hosts: frozenset[str]
) -> tuple[Any, Any, Any, Any]:
    """Patch ``library``'s network transports; returns what :func:`_restore` needs."""
    module = library_module(library)
    inner = sync_transport(app, library)
    async_inner = async_transport(app, library)
    sync_cls: Any = module.HTTPTransport
    async_cls: Any = module.AsyncHTTPTransport
    original = sync_cls.handle_request
    async_original = async_cls.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        if request.url.host in hosts:
            return inner.handle_request(request)
        return original(self, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        if request.url.host in hosts:
            return await async_inner.handle_async_request(request)
        return await async_original(self, request)

    sync_cls.handle_request = handle_request
    async_cls.handle_async_request = handle_async_request
    return sync_cls, original, async_cls, async_original


Routed = list[tuple[Any, Any, Any, Any]]


def route(app: ASGIApp, hosts: frozenset[str]) -> Routed:
    """Send requests for ``hosts`` to ``app`` on every installed httpx-family library;
    returns what :func:`unroute` needs (on an error, nothing stays patched)."""
    routed: Routed = []
    try:
        for library in installed_libraries():
            routed.append(_route_library(library, app, hosts))
    except BaseException:
        unroute(routed)
        raise
    return routed


def unroute(routed: Routed) -> None:
    """Undo :func:`route`."""
    for sync_cls, original, async_cls, async_original in reversed(routed):
        sync_cls.handle_request = original
        async_cls.handle_async_request = async_original


@contextmanager
def route_hosts(app: ASGIApp, hosts: frozenset[str]) -> Iterator[None]:
    """Send requests for ``hosts`` to ``app`` on every installed httpx-family library."""
    routed = route(app, hosts)
    try:
        yield
    finally:
        unroute(routed)
