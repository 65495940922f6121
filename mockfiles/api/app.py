"""The ASGI app: Starlette's router behind the gateway middleware.

Each path is one route whose ASGI endpoint dispatches on the method, so a method the
service does not serve answers the same ``Invalid URL`` 404 as an unknown path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth import Authenticator
from ..errors import InvalidURL
from ..faults import Faults
from ..journal import Journal
from ..profiles import Profile
from ..service import FileService
from . import files
from . import imports as imports_api
from .middleware import GatewayMiddleware
from .render import error_response

Endpoint = Callable[[Request], Awaitable[Response]]


class MethodDispatch:
    """An ASGI endpoint serving ``GET=...``, ``POST=...``; other methods: Invalid URL."""

    def __init__(self, **endpoints: Endpoint) -> None:
        self.table = {method.upper(): endpoint for method, endpoint in endpoints.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.table.get(scope["method"])
        if endpoint is None:
            raise InvalidURL(scope["method"], scope["path"])
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)


def files_routes(profile: Profile) -> list[Route]:
    """The profile's Files operations under its base path (most frequent first)."""
    base_path = profile.base_path
    imports = [
        Route(f"{base_path}{path}", MethodDispatch(POST=imports_api.import_file))
        for path in profile.import_paths
    ]
    return [
        *imports,
        Route(
            f"{base_path}/files/{{file_id}}",
            MethodDispatch(GET=files.retrieve_file, DELETE=files.delete_file),
        ),
        Route(f"{base_path}/files", MethodDispatch(GET=files.list_files, POST=files.create_file)),
        Route(f"{base_path}/files/{{file_id}}/content", MethodDispatch(GET=files.file_content)),
    ]


@lru_cache(maxsize=64)
def files_router(profile: Profile) -> Router:
    """The profile's routes, built once: handlers find their mock's state in the scope."""
    return Router(routes=files_routes(profile), default=invalid_url)


async def invalid_url(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to any path the service does not serve."""
    await error_response(InvalidURL(scope["method"], scope["path"]))(scope, receive, send)


def build_app(
    service: FileService, journal: Journal, authenticator: Authenticator, faults: Faults
) -> ASGIApp:
    """An ASGI app serving ``service`` under its profile's base path."""
    base_path = service.profile.base_path
    return GatewayMiddleware(
        files_router(service.profile),
        service=service,
        journal=journal,
        authenticator=authenticator,
        faults=faults,
        guarded_prefix=base_path,
    )


class WithControl:
    """Sends ``/_mock/...`` to the control routes and everything else to the API."""

    def __init__(self, api: ASGIApp, control: ASGIApp, prefix: str = "/_mock/") -> None:
        self.api = api
        self.control = control
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.control(scope, receive, send)
        else:
            await self.api(scope, receive, send)
