"""Handlers for the Files routes: parse the request, call the domain, render."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from ..errors import FileTooLarge, InvalidRequest
from ..journal import Call, UploadedFile
from ..multipart import FilePart, UploadLimits, read_upload
from ..profiles import Profile
from ..services.files import ListQuery
from . import render
from .context import backend_of, call_of, tenant_of
from .paging import parse_limit
from .routing import MethodDispatch
from .upload_schema import check_upload

# Room for the multipart framing and the text fields around the file.
MULTIPART_OVERHEAD = 1024 * 1024


async def create_file(request: Request) -> Response:
    """``POST /files``: a multipart upload with ``purpose``, ``file`` and optional expiry."""
    service = backend_of(request.scope).files
    profile = service.profile
    content_type, declared = _upload_headers(request.scope)
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > profile.max_file_bytes + MULTIPART_OVERHEAD
    ):
        raise FileTooLarge(
            f"File is too large: the request body is {declared} bytes and files may be "
            f"at most {profile.max_file_bytes} bytes.",
            param="file",
        )
    limits = UploadLimits(
        max_field_bytes=profile.max_field_bytes,
        max_fields=profile.max_form_fields,
        check_file_size=service.check_size,
    )
    try:
        form = await read_upload(content_type, request.stream(), limits)
    except ClientDisconnect:
        raise InvalidRequest(
            "The request body ended before the upload finished (fewer bytes than its "
            "Content-Length, or the client disconnected)."
        ) from None
    call = call_of(request.scope)
    if call is not None:
        _note_upload(call, form.fields, form.file)
    upload = check_upload(profile, form)
    assert form.file is not None  # the schema requires it
    record = service.upload(
        tenant_of(request.scope),
        filename=form.file.filename,
        purpose=upload.purpose,
        blob=form.file.blob,
        expires_after_seconds=upload.expires_after_seconds,
    )
    return render.EncodedJSON(render.file_object_json(service, record))


def _upload_headers(scope: Scope) -> tuple[str, str | None]:
    """The request's Content-Type (``""`` if none) and Content-Length (None if none):
    the first of each, as ``request.headers.get`` reads them, in one pass."""
    content_type: str | None = None
    declared: str | None = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            if content_type is None:
                content_type = value.decode("latin-1")
        elif name == b"content-length" and declared is None:
            declared = value.decode("latin-1")
    return content_type or "", declared


def _note_upload(call: Call, fields: dict[str, str], file: FilePart | None) -> None:
    call.form = dict(fields)
    if file is not None:
        call.files = (UploadedFile(file.filename, file.content_type, file.blob),)


#: Query strings already read, per profile: (profile, query string) -> (that profile,
#: the query). Valid ones only (a refusal is read again each time); at most this many.
_READ_QUERIES_LIMIT = 256
_read_queries: dict[tuple[int, bytes], tuple[Profile, ListQuery]] = {}


async def list_files(request: Request) -> Response:
    """``GET /files``: one page, filtered by ``purpose``, ordered and cursored."""
    service = backend_of(request.scope).files
    profile = service.profile
    key = (id(profile), request.scope["query_string"])
    known = _read_queries.get(key)
    if known is not None and known[0] is profile:
        query = known[1]
    else:
        query = parse_list_query(request, profile)
        if len(_read_queries) >= _READ_QUERIES_LIMIT:
            _read_queries.clear()
        _read_queries[key] = (profile, query)
    page = service.list(tenant_of(request.scope), query)
    return render.EncodedJSON(render.file_list_json(service, page))


def parse_list_query(request: Request, profile: Profile) -> ListQuery:
    """Validate ``limit``, ``order``, ``after``, ``purpose`` and the profile's filters."""
    params = request.query_params
    limit = parse_limit(params.get("limit"), profile.list_default_limit, profile.list_max_limit)
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequest(
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
            param="order",
            code="invalid_value",
        )
    after = params.get("after") or None
    purpose = params.get("purpose") or None
    filters = tuple((name, params[name]) for name in profile.list_filters if params.get(name))
    return ListQuery(
        purpose=purpose,
        limit=limit,
        order=order,  # type: ignore[arg-type]
        after=after,
        filters=filters,
    )


async def retrieve_file(request: Request) -> Response:
    """``GET /files/{file_id}``."""
    service = backend_of(request.scope).files
    record = service.retrieve(tenant_of(request.scope), request.path_params["file_id"])
    return render.EncodedJSON(render.file_object_json(service, record))


async def delete_file(request: Request) -> Response:
    """``DELETE /files/{file_id}``."""
    service = backend_of(request.scope).files
    record = service.delete(tenant_of(request.scope), request.path_params["file_id"])
    return render.JSON(render.deleted(service, record))


async def file_content(request: Request) -> Response:
    """``GET /files/{file_id}/content``: the stored bytes, streamed as stored."""
    service = backend_of(request.scope).files
    record = service.content(tenant_of(request.scope), request.path_params["file_id"])
    return render.BlobResponse(record.blob, record.filename)


def routes(profile: Profile) -> list[Route]:
    """The Files operations under the profile's base path (most frequent first)."""
    base_path = profile.base_path
    return [
        Route(
            f"{base_path}/files/{{file_id}}",
            MethodDispatch(GET=retrieve_file, DELETE=delete_file),
        ),
        Route(f"{base_path}/files", MethodDispatch(GET=list_files, POST=create_file)),
        Route(f"{base_path}/files/{{file_id}}/content", MethodDispatch(GET=file_content)),
    ]
