"""Wire shapes: file objects, lists, deletions, errors and downloads."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import quote

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from ..blobs import Blob
from ..errors import MockFilesError
from ..services.files import FileService
from ..store import Page, StoredFile

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class JSON(JSONResponse):
    """A JSON response encoded with one shared encoder (cheaper than ``json.dumps``)."""

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


def file_object(service: FileService, record: StoredFile) -> dict[str, Any]:
    """The file object in the profile's shape."""
    obj: dict[str, Any] = {
        "id": record.id,
        "object": "file",
        "bytes": record.bytes,
        "created_at": record.created_at,
        "filename": record.filename,
        "purpose": record.purpose,
    }
    if service.profile.include_status:
        obj["status"] = service.status(record)
    obj["expires_at"] = record.expires_at
    if service.profile.include_status:
        obj["status_details"] = record.status_details
    return obj


def file_list(service: FileService, page: Page) -> dict[str, Any]:
    """A list body: ``object``, ``data``, ``first_id``, ``last_id``, ``has_more``."""
    data = [file_object(service, record) for record in page.files]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": page.has_more,
    }


def deleted(record: StoredFile) -> dict[str, Any]:
    """The body of a successful delete."""
    return {"id": record.id, "object": "file", "deleted": True}


def error_response(error: MockFilesError) -> Response:
    """The provider's error envelope with the error's status (and headers, if any)."""
    return JSON(error.envelope(), status_code=error.status, headers=error.headers or None)


_UNSAFE_IN_QUOTES = re.compile(r'[^\x20-\x7e]|["\\]')


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII-safe ``filename`` and the exact UTF-8 ``filename*``.

    CR, LF, quotes and other bytes that could split or end the header are replaced in
    the plain form and percent-encoded in the extended one, so it stays one header.
    """
    base = os.path.basename(filename.replace("\\", "/")) or "download"
    plain = _UNSAFE_IN_QUOTES.sub("_", base)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(base, safe='')}"


class BlobResponse(Response):
    """Streams a blob's chunks as they are stored, with its exact Content-Length."""

    media_type = "application/octet-stream"

    def __init__(self, blob: Blob, filename: str) -> None:
        self.blob = blob
        self.status_code = 200
        self.background = None
        self.body = b""
        self.raw_headers = [
            (b"content-type", self.media_type.encode()),
            (b"content-length", str(blob.size).encode()),
            (b"content-disposition", content_disposition(filename).encode("latin-1")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        for chunk in self.blob.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
