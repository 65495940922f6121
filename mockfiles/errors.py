"""Errors the mock answers with, one type per kind.

Each carries the fields of the provider's error envelope
(``{"error": {"message", "type", "param", "code"}}``, with a sibling ``detail`` where the
profile says so) and the status it is sent with.
The domain raises them; the API layer renders them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class MockFilesError(Exception):
    """Base of every error the mock reports to a client."""

    status: int = 400
    error_type: str = "invalid_request_error"
    #: Extra response headers (e.g. ``retry-after-ms`` on an injected 429).
    headers: Mapping[str, str] = MappingProxyType({})

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code

    def envelope(self, *, detail: bool = False) -> dict[str, Any]:
        """The JSON body the service sends for this error.

        With ``detail``, the sibling the service added in 2026-05:
        ``"detail": {"message": <the same message>, "code": null}``.
        """
        body: dict[str, Any] = {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }
        if detail:
            body["detail"] = {"message": self.message, "code": None}
        return body


class InvalidRequest(MockFilesError):
    """A malformed or unacceptable request (400)."""


class NotFound(MockFilesError):
    """An object that does not exist for this caller (404)."""

    status = 404


class InvalidURL(MockFilesError):
    """A path or method the service does not serve (404)."""

    status = 404

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"Invalid URL ({method} {path})")


class FileTooLarge(MockFilesError):
    """A file or request body over the profile's limits (413)."""

    status = 413


class QuotaExceeded(MockFilesError):
    """Storing the file would pass the storage quota (400)."""


class Unauthorized(MockFilesError):
    """A missing or rejected API key (401)."""

    status = 401


class NoSuchFile(NotFound):
    """The file id is unknown, deleted, expired or belongs to someone else."""

    def __init__(self, file_id: str) -> None:
        super().__init__(f"No such File object: {file_id}", param="id")
        self.file_id = file_id


class RequestTimeout(MockFilesError):
    """The client stopped sending the request body (408)."""

    status = 408


class ServerError(MockFilesError):
    """An unexpected failure inside the mock (500); never expected in normal use."""

    status = 500
    error_type = "server_error"

    def __init__(self) -> None:
        super().__init__("The server had an error while processing your request. Sorry about that!")
