"""``POST /files/import``: create a file from a URL's content (JSON body)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import FileTooLarge, InvalidRequest
from ..profiles import Profile
from . import json_input, render
from .context import backend_of, tenant_of
from .routing import MethodDispatch
from .upload_schema import schema_error_message

MAX_IMPORT_BODY = 64 * 1024


@lru_cache(maxsize=32)
def _validator(profile: Profile) -> Draft202012Validator:
    return Draft202012Validator(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["content_url", "filename", "purpose"],
            "properties": {
                "content_url": {"type": "string", "minLength": 1},
                "filename": {"type": "string", "minLength": 1},
                "purpose": {"type": "string", "enum": list(profile.import_purposes)},
            },
        }
    )


async def _json_body(request: Request) -> Any:
    return await json_input.read_json(
        request,
        limit=MAX_IMPORT_BODY,
        too_large=lambda: FileTooLarge(f"The import request body is over {MAX_IMPORT_BODY} bytes."),
    )


async def import_file(request: Request) -> Response:
    """Import ``content_url`` as ``filename`` with ``purpose``.

    The body is read as JSON whatever the Content-Type says (the service's own curl
    example sends it form-encoded).
    """
    service = backend_of(request.scope).files
    document = await _json_body(request)
    error = next(iter(_validator(service.profile).iter_errors(document)), None)
    if error is not None:
        raise InvalidRequest(schema_error_message(error))
    record = service.import_url(
        tenant_of(request.scope),
        url=document["content_url"],
        filename=document["filename"],
        purpose=document["purpose"],
    )
    return render.JSON(render.file_object(service, record))


def routes(profile: Profile) -> list[Route]:
    """The profile's import routes (none where the service has no imports)."""
    return [
        Route(f"{profile.base_path}{path}", MethodDispatch(POST=import_file))
        for path in profile.import_paths
    ]
