"""Wire shapes: file objects, lists, deletions, errors and downloads."""

from __future__ import annotations

import json
import os
import re
import weakref
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from ..blobs import Blob
from ..errors import MockFilesError
from ..services.files import FileService
from ..store import Page, StoredFile

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _one_shot_encoder() -> Callable[[Any], str]:
    """``_ENCODER.encode``, without building the C encoder again for every body.

    ``json.JSONEncoder.encode`` makes a new ``c_make_encoder`` object (and a dict for
    its circular-reference check) per call. This makes the same C encoder once, with
    the same settings; the check for circular structures is left out, as the bodies
    are built here as trees. Where the C encoder is missing, ``_ENCODER.encode``.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    encode_text = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or encode_text is None:
        return _ENCODER.encode
    encoder = make(None, _ENCODER.default, encode_text, None, ":", ",", False, False, False)

    def encode(content: Any) -> str:
        if isinstance(content, str):
            return _ENCODER.encode(content)
        return "".join(encoder(content, 0))

    return encode


encode_json = _one_shot_encoder()
_JSON_TYPE = (b"content-type", b"application/json")
#: ``content-length`` headers by body size, each made once (at most this many kept).
_LENGTH_HEADERS_LIMIT = 4096
_LENGTH_HEADERS: dict[int, tuple[bytes, bytes]] = {}


def _json_headers(size: int) -> list[tuple[bytes, bytes]]:
    """What ``init_headers`` makes for a JSON body of ``size`` bytes: the length, then
    the type (the same tuples for every body of that size)."""
    length = _LENGTH_HEADERS.get(size)
    if length is None:
        length = (b"content-length", str(size).encode("latin-1"))
        if len(_LENGTH_HEADERS) < _LENGTH_HEADERS_LIMIT:
            _LENGTH_HEADERS[size] = length
    return [length, _JSON_TYPE]


class JSON(JSONResponse):
    """A JSON response encoded with one shared encoder (cheaper than ``json.dumps``),
    its headers built directly when it has no extra ones."""

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if headers is not None or status_code < 200 or status_code in (204, 304):
            super().__init__(content, status_code, headers)
            return
        self.status_code = status_code
        self.background = None
        body = self.body = encode_json(content).encode("utf-8")
        self.raw_headers = _json_headers(len(body))

    def render(self, content: Any) -> bytes:
        return encode_json(content).encode("utf-8")


class EncodedJSON(JSON):
    """A 200 JSON response whose body is already encoded."""

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = _json_headers(len(body))


#: Responses that are wholly ``status_code``, ``raw_headers`` and ``body``, sent as
#: ``Response.__call__`` sends them (a start message, then one body message); the
#: gateway sends these itself when they have no background task.
WHOLE_RESPONSES: tuple[type[Response], ...] = (JSON, EncodedJSON)


def file_object(service: FileService, record: StoredFile) -> dict[str, Any]:
    """The file object in the profile's shape and key order."""
    profile = service.profile
    obj: dict[str, Any] = {
        "object": "file",
        "id": record.id,
        "purpose": record.purpose,
        "filename": record.filename,
        "bytes": record.bytes,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
    }
    if profile.include_status:
        obj["status"] = service.status(record)
        obj["status_details"] = record.status_details
    return _ordered(obj, profile.key_order.file_object)


def file_list(service: FileService, page: Page) -> dict[str, Any]:
    """A list body: ``object``, ``data``, ``has_more``, ``first_id``, ``last_id``."""
    data = [file_object(service, record) for record in page.files]
    body = {
        "object": "list",
        "data": data,
        "has_more": page.has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
    return _ordered(body, service.profile.key_order.file_list)


#: Encoded file objects that cannot change any more, by file id: (the record, its
#: profile, the bytes). At most this many; the cache starts over beyond it.
_ENCODED_LIMIT = 4096
_ENCODED: dict[str, tuple[weakref.ref[StoredFile], object, bytes]] = {}


def file_object_json(service: FileService, record: StoredFile) -> bytes:
    """``encode_json(file_object(service, record))`` as UTF-8, remembered for a file
    whose object can no longer change (it is immutable once stored, except its status
    while processing, which the clock decides)."""
    profile = service.profile
    cached = _ENCODED.get(record.id)
    if cached is not None and cached[0]() is record and cached[1] is profile:
        return cached[2]
    encoded = encode_json(file_object(service, record)).encode("utf-8")
    if not profile.include_status or record.failed or record.ready_at is None:
        if len(_ENCODED) >= _ENCODED_LIMIT:
            _ENCODED.clear()
        _ENCODED[record.id] = (weakref.ref(record), profile, encoded)
    return encoded


def file_list_json(service: FileService, page: Page) -> bytes:
    """``encode_json(file_list(service, page))`` as UTF-8, from each file's
    :func:`file_object_json` (the encoder writes a list as its items joined by commas)."""
    files = page.files
    values: dict[str, bytes] = {
        "object": b'"list"',
        "data": b"[" + b",".join([file_object_json(service, record) for record in files]) + b"]",
        "has_more": b"true" if page.has_more else b"false",
        "first_id": _encoded(files[0].id if files else None),
        "last_id": _encoded(files[-1].id if files else None),
    }
    order = service.profile.key_order.file_list
    if len(set(order)) != len(order):  # a key named twice is written once, where first named
        order = tuple(dict.fromkeys(order))
    return b"{" + b",".join([_KEYS[key] + values[key] for key in order if key in values]) + b"}"


def _encoded(value: str | None) -> bytes:
    return encode_json(value).encode("utf-8")


#: ``"name":`` for each key of a list body.
_KEYS = {
    key: encode_json(key).encode() + b":"
    for key in ("object", "data", "has_more", "first_id", "last_id")
}


def deleted(service: FileService, record: StoredFile) -> dict[str, Any]:
    """The body of a successful delete: ``object``, ``deleted``, ``id``."""
    body = {"object": "file", "deleted": True, "id": record.id}
    return _ordered(body, service.profile.key_order.deleted)


def _ordered(body: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """``body`` with its keys in ``order``, skipping keys it lacks (bodies are built in
    the recorded order, so profiles that keep it get them back as they are)."""
    if tuple(body) == order:
        return body
    return {key: body[key] for key in order if key in body}


def error_response(error: MockFilesError, *, detail: bool = False) -> Response:
    """The provider's error envelope with the error's status (and headers, if any);
    ``detail`` adds the sibling ``detail`` object (the profile's ``error_detail``)."""
    return JSON(
        error.envelope(detail=detail), status_code=error.status, headers=error.headers or None
    )


_UNSAFE_IN_QUOTES = re.compile(r'[^\x20-\x7e]|["\\]')


def content_disposition(filename: str) -> str:
    """``attachment; filename="NAME"``, as the service sends it for plain ASCII names.

    A name the quoted form cannot carry exactly (non-ASCII, quotes, backslashes, control
    characters) gets an ASCII stand-in there, with ``_`` for each such character, and
    the exact UTF-8 name in ``filename*`` (RFC 6266), so the header stays one line.
    """
    base = os.path.basename(filename.replace("\\", "/")) or "download"
    plain = _UNSAFE_IN_QUOTES.sub("_", base)
    if plain == base:
        return f'attachment; filename="{base}"'
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
