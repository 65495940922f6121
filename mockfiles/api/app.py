"""The Starlette app: the routes table and the error handlers."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from ..auth import Authenticator
from ..errors import InvalidRequest, InvalidURL, MockFilesError
from ..journal import Journal
from ..service import FileService
from . import files
from .middleware import AuthMiddleware, JournalMiddleware
from .render import error_response


def files_routes() -> list[Route]:
    """The Files operations, relative to the profile's base path."""
    return [
        Route("/files", files.create_file, methods=["POST"]),
        Route("/files", files.list_files, methods=["GET"]),
        Route("/files/{file_id}", files.retrieve_file, methods=["GET"]),
        Route("/files/{file_id}", files.delete_file, methods=["DELETE"]),
        Route("/files/{file_id}/content", files.file_content, methods=["GET"]),
    ]


async def _mock_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MockFilesError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return error_response(InvalidURL(request.method, request.url.path))
    return error_response(InvalidRequest(str(exc.detail)), headers=exc.headers)


def build_app(service: FileService, journal: Journal, authenticator: Authenticator) -> Starlette:
    """An ASGI app serving ``service`` under its profile's base path."""
    base_path = service.profile.base_path
    app = Starlette(
        routes=[Mount(base_path, routes=files_routes())],
        middleware=[
            Middleware(JournalMiddleware, journal=journal),
            Middleware(AuthMiddleware, authenticator=authenticator, guarded_prefix=base_path),
        ],
        exception_handlers={MockFilesError: _mock_error, HTTPException: _http_error},
    )
    app.state.files = service
    return app
