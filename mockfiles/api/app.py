"""The ASGI app: Starlette's router behind the gateway middleware.

Each path is one route whose ASGI endpoint dispatches on the method, so a method the
service does not serve answers the same ``Invalid URL`` 404 as an unknown path.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from ..backend import Backend
from ..control import ControlService
from ..profiles import Profile
from . import batches, files
from . import imports as imports_api
from . import uploads as uploads_api
from .control import ControlApp
from .middleware import GatewayMiddleware
from .routing import QuickRouter, invalid_url

#: Each service's routes for a profile (empty where the profile lacks the service).
#: A new service adds its routes module here, and nothing else changes.
SERVICE_ROUTES: tuple[Callable[[Profile], list[Route]], ...] = (
    imports_api.routes,
    files.routes,
    uploads_api.routes,
    batches.routes,
)


@lru_cache(maxsize=64)
def api_router(profile: Profile) -> Router:
    """The profile's routes, built once: handlers find their mock's state in the scope."""
    routes = [route for service_routes in SERVICE_ROUTES for route in service_routes(profile)]
    return Router(routes=routes, default=invalid_url)


@lru_cache(maxsize=64)
def api_routes(profile: Profile) -> QuickRouter:
    """:func:`api_router`, with its plain routes found by a dictionary lookup."""
    return QuickRouter(api_router(profile))


def build_api(backend: Backend) -> ASGIApp:
    """The provider's API over ``backend``, under its profile's base path."""
    return GatewayMiddleware(
        api_routes(backend.profile), backend=backend, guarded_prefix=backend.profile.base_path
    )


def build_app(backend: Backend, control: ControlService) -> ASGIApp:
    """The whole app of one mock: the API, and the control routes under ``/_mock/``."""
    return WithControl(build_api(backend), ControlApp(control))


class WithControl:
    """Sends ``/_mock/...`` to the control routes and everything else to the API."""

    def __init__(self, api: ASGIApp, control: ASGIApp, prefix: str = "/_mock/") -> None:
        self.api = api
        self.control = control
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (
            path.startswith(self.prefix) or path == self.prefix.rstrip("/")
        ):
            await self.control(scope, receive, send)
        else:
            await self.api(scope, receive, send)
