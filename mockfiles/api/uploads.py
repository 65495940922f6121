"""Handlers for the Uploads routes: a large file in parts (create, parts, complete,
cancel). Parse the request, call the Uploads service, render."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import InvalidRequest
from ..journal import UploadedFile
from ..multipart import UploadLimits, read_upload
from ..profiles import Profile
from ..services.uploads import Upload, UploadPart, UploadService, part_too_large
from . import json_input, render
from .context import backend_of, call_of, tenant_of
from .routing import MethodDispatch
from .upload_schema import expires_after_schema, schema_error_message, schema_error_path

#: Largest JSON body of a create or complete (a complete lists every part id).
MAX_JSON_BODY = 4 * 1024 * 1024
#: Room for the multipart framing around a part's bytes.
PART_OVERHEAD = 64 * 1024
DATA_FIELD = "data"


@lru_cache(maxsize=32)
def _create_validator(profile: Profile) -> Draft202012Validator:
    return Draft202012Validator(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["bytes", "filename", "mime_type", "purpose"],
            "properties": {
                "bytes": {"type": "integer", "minimum": 0},
                "filename": {"type": "string"},
                "mime_type": {"type": "string", "minLength": 1},
                "purpose": {"type": "string", "enum": list(profile.upload_purposes)},
                "expires_after": expires_after_schema(profile),
            },
        }
    )


_COMPLETE = Draft202012Validator(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["part_ids"],
        "properties": {
            "part_ids": {"type": "array", "items": {"type": "string"}},
            "md5": {"type": "string"},
        },
    }
)


async def _json_body(request: Request, validator: Draft202012Validator) -> dict[str, Any]:
    document = await json_input.read_json(
        request,
        limit=MAX_JSON_BODY,
        too_large=lambda: InvalidRequest(
            f"The request body is over {MAX_JSON_BODY} bytes of JSON."
        ),
    )
    error = next(iter(validator.iter_errors(document)), None)
    if error is not None:
        raise InvalidRequest(schema_error_message(error), param=schema_error_path(error))
    assert isinstance(document, dict)  # the schema says so
    return document


def upload_object(service: UploadService, upload: Upload) -> dict[str, Any]:
    """The Upload in the service's shape; only a completed one carries ``file``."""
    status = service.status(upload)
    obj: dict[str, Any] = {
        "id": upload.id,
        "object": "upload",
        "bytes": upload.bytes,
        "created_at": upload.created_at,
        "expires_at": upload.expires_at,
        "filename": upload.filename,
        "purpose": upload.purpose,
        "status": status,
    }
    if status == "completed" and upload.file is not None:
        obj["file"] = render.file_object(service.files, upload.file)
    return obj


def part_object(part: UploadPart) -> dict[str, Any]:
    """The UploadPart in the service's shape."""
    return {
        "id": part.id,
        "object": "upload.part",
        "created_at": part.created_at,
        "upload_id": part.upload_id,
    }


async def create_upload(request: Request) -> Response:
    """``POST /uploads``: JSON ``filename``, ``purpose``, ``bytes``, ``mime_type``,
    optional ``expires_after``."""
    service = backend_of(request.scope).uploads
    document = await _json_body(request, _create_validator(service.profile))
    expires_after = document.get("expires_after") or {}
    seconds = expires_after.get("seconds")
    upload = service.create(
        tenant_of(request.scope),
        filename=document["filename"],
        purpose=document["purpose"],
        bytes=int(document["bytes"]),
        mime_type=document["mime_type"],
        expires_after_seconds=None if seconds is None else int(seconds),
    )
    return render.JSON(upload_object(service, upload))


async def add_part(request: Request) -> Response:
    """``POST /uploads/{upload_id}/parts``: multipart with one file field ``data``,
    read as it streams and refused as soon as it passes the part size."""
    service = backend_of(request.scope).uploads
    tenant = tenant_of(request.scope)
    upload_id = request.path_params["upload_id"]
    service.check_open(tenant, upload_id)  # refuse before reading a dead Upload's part
    content_type = request.headers.get("content-type", "")
    if parse_options_header(content_type)[0] != b"multipart/form-data":
        raise InvalidRequest(
            "A part must be sent as multipart/form-data with one file field 'data' "
            f"(got Content-Type: {content_type or 'none'})."
        )
    limit = service.profile.upload_part_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + PART_OVERHEAD:
        raise part_too_large(limit)

    def check(purpose: str | None, size: int) -> None:
        if size > limit:
            raise part_too_large(limit)

    limits = UploadLimits(
        max_field_bytes=service.profile.max_field_bytes, max_fields=4, check_file_size=check
    )
    try:
        form = await read_upload(content_type, _body(request), limits)
    except ClientDisconnect:
        raise InvalidRequest(
            "The request body ended before the part finished (fewer bytes than its "
            "Content-Length, or the client disconnected)."
        ) from None
    unexpected = [*form.fields, *(["file"] if form.file is not None else [])]
    unexpected += [name for name, _ in form.other_files if name != DATA_FIELD]
    data = [part for name, part in form.other_files if name == DATA_FIELD]
    call = call_of(request.scope)
    if call is not None and data:
        call.files = (UploadedFile(data[0].filename, data[0].content_type, data[0].blob),)
    if DATA_FIELD in form.fields:
        raise InvalidRequest(
            "'data' must be sent as a file part (with a filename), not as a text field."
        )
    if unexpected:
        raise InvalidRequest(
            f"Additional properties are not allowed ('{unexpected[0]}' was unexpected)"
        )
    if not data:
        raise InvalidRequest("'data' is a required property")
    if len(data) > 1:
        raise InvalidRequest("Only one 'data' part may be sent per request.")
    part = service.add_part(tenant, upload_id, data[0].blob)
    return render.JSON(part_object(part))


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


async def complete_upload(request: Request) -> Response:
    """``POST /uploads/{upload_id}/complete``: JSON ``part_ids`` (in order), optional
    ``md5``."""
    service = backend_of(request.scope).uploads
    document = await _json_body(request, _COMPLETE)
    upload = service.complete(
        tenant_of(request.scope),
        request.path_params["upload_id"],
        document["part_ids"],
        md5=document.get("md5"),
    )
    return render.JSON(upload_object(service, upload))


async def cancel_upload(request: Request) -> Response:
    """``POST /uploads/{upload_id}/cancel``."""
    service = backend_of(request.scope).uploads
    upload = service.cancel(tenant_of(request.scope), request.path_params["upload_id"])
    return render.JSON(upload_object(service, upload))


def routes(profile: Profile) -> list[Route]:
    """The Uploads operations under the profile's base path (none where the provider
    has no Uploads API)."""
    if profile.upload_max_bytes is None:
        return []
    base = f"{profile.base_path}/uploads"
    return [
        Route(f"{base}/{{upload_id}}/parts", MethodDispatch(POST=add_part)),
        Route(base, MethodDispatch(POST=create_upload)),
        Route(f"{base}/{{upload_id}}/complete", MethodDispatch(POST=complete_upload)),
        Route(f"{base}/{{upload_id}}/cancel", MethodDispatch(POST=cancel_upload)),
    ]
