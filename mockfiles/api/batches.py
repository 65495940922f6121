"""Handlers for the Batches routes: parse the request, call the domain, render."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import FileTooLarge, InvalidRequest
from ..profiles import Profile
from ..services.batches import LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, Batch, BatchSpec
from . import json_input, render
from .context import backend_of, tenant_of
from .paging import parse_limit
from .routing import MethodDispatch

MAX_CREATE_BODY = 64 * 1024
CREATE_FIELDS = frozenset(
    {"input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"}
)
METADATA_MAX_PAIRS = 16
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 512
OUTPUT_EXPIRY_MIN = 3600
OUTPUT_EXPIRY_MAX = 2_592_000


def batch_object(batch: Batch) -> dict[str, Any]:
    """The batch object, keys in the order the service sends them."""
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.spec.endpoint,
        "model": batch.model,
        "errors": None if batch.errors is None else {"object": "list", "data": batch.errors},
        "input_file_id": batch.spec.input_file_id,
        "completion_window": batch.spec.completion_window,
        "status": batch.status,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": batch.created_at,
        "in_progress_at": batch.in_progress_at,
        "expires_at": batch.expires_at,
        "finalizing_at": batch.finalizing_at,
        "completed_at": batch.completed_at,
        "failed_at": batch.failed_at,
        "expired_at": batch.expired_at,
        "cancelling_at": batch.cancelling_at,
        "cancelled_at": batch.cancelled_at,
        "request_counts": {
            "total": batch.total,
            "completed": batch.completed,
            "failed": batch.failed,
        },
        "usage": batch.usage,
        "metadata": batch.spec.metadata,
    }


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _type_error(name: str, expected: str, value: Any) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid type for '{name}': expected {expected}, but got {_kind(value)} instead.",
        param=name,
        code="invalid_type",
    )


def _missing(name: str) -> InvalidRequest:
    return InvalidRequest(
        f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
    )


async def _json_body(request: Request) -> Any:
    return await json_input.read_json(
        request,
        limit=MAX_CREATE_BODY,
        too_large=lambda: FileTooLarge(f"The request body is over {MAX_CREATE_BODY} bytes."),
    )


def _string(document: dict[str, Any], name: str) -> str:
    if name not in document:
        raise _missing(name)
    value = document[name]
    if not isinstance(value, str):
        raise _type_error(name, "a string", value)
    return value


def parse_create(document: Any) -> BatchSpec:
    """Check a create body's shape; the service checks the values it allows."""
    if not isinstance(document, dict):
        raise InvalidRequest(
            f"Invalid type for the request body: expected an object, but got "
            f"{_kind(document)} instead.",
            code="invalid_type",
        )
    unknown = sorted(set(document) - CREATE_FIELDS)
    if unknown:
        raise InvalidRequest(
            f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0]
        )
    input_file_id = _string(document, "input_file_id")
    endpoint = _string(document, "endpoint")
    window = _string(document, "completion_window")
    return BatchSpec(
        input_file_id=input_file_id,
        endpoint=endpoint,
        completion_window=window,
        metadata=_metadata(document.get("metadata")),
        output_expires_after_seconds=_output_expiry(document.get("output_expires_after")),
    )


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _type_error("metadata", "an object", value)
    if len(value) > METADATA_MAX_PAIRS:
        raise InvalidRequest(
            f"Invalid 'metadata': too many properties. Expected an object with at most "
            f"{METADATA_MAX_PAIRS} properties, but got {len(value)} instead.",
            param="metadata",
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > METADATA_MAX_KEY:
            raise InvalidRequest(
                f"Invalid 'metadata': key '{key[:20]}...' is too long. Expected a key of at "
                f"most {METADATA_MAX_KEY} characters, but got {len(key)} instead.",
                param="metadata",
                code="invalid_value",
            )
        if not isinstance(item, str):
            raise _type_error(f"metadata.{key}", "a string", item)
        if len(item) > METADATA_MAX_VALUE:
            raise InvalidRequest(
                f"Invalid 'metadata.{key}': string too long. Expected a string with maximum "
                f"length {METADATA_MAX_VALUE}, but got a string with length {len(item)} "
                "instead.",
                param=f"metadata.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def _output_expiry(value: Any) -> int | None:
    if value is None:
        return None
    name = "output_expires_after"
    if not isinstance(value, dict):
        raise _type_error(name, "an object", value)
    unknown = sorted(set(value) - {"anchor", "seconds"})
    if unknown:
        raise InvalidRequest(
            f"Unrecognized request argument supplied: {name}.{unknown[0]}",
            param=f"{name}.{unknown[0]}",
        )
    if "anchor" not in value:
        raise _missing(f"{name}.anchor")
    if value["anchor"] != "created_at":
        raise InvalidRequest(
            f"Invalid value: '{value['anchor']}'. Supported values are: 'created_at'.",
            param=f"{name}.anchor",
            code="invalid_value",
        )
    if "seconds" not in value:
        raise _missing(f"{name}.seconds")
    seconds = value["seconds"]
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise _type_error(f"{name}.seconds", "an integer", seconds)
    if seconds < OUTPUT_EXPIRY_MIN:
        raise InvalidRequest(
            f"Invalid '{name}.seconds': integer below minimum value. Expected a value >= "
            f"{OUTPUT_EXPIRY_MIN}, but got {seconds} instead.",
            param=f"{name}.seconds",
            code="integer_below_min_value",
        )
    if seconds > OUTPUT_EXPIRY_MAX:
        raise InvalidRequest(
            f"Invalid '{name}.seconds': integer above maximum value. Expected a value <= "
            f"{OUTPUT_EXPIRY_MAX}, but got {seconds} instead.",
            param=f"{name}.seconds",
            code="integer_above_max_value",
        )
    return seconds


async def create_batch(request: Request) -> Response:
    """``POST /batches``: JSON ``{input_file_id, endpoint, completion_window, ...}``."""
    service = backend_of(request.scope).batches
    spec = parse_create(await _json_body(request))
    batch = service.create(tenant_of(request.scope), spec)
    return render.JSON(batch_object(batch))


async def retrieve_batch(request: Request) -> Response:
    """``GET /batches/{batch_id}``: the batch as it stands on the clock now."""
    service = backend_of(request.scope).batches
    batch = service.retrieve(tenant_of(request.scope), request.path_params["batch_id"])
    return render.JSON(batch_object(batch))


async def cancel_batch(request: Request) -> Response:
    """``POST /batches/{batch_id}/cancel``."""
    service = backend_of(request.scope).batches
    batch = service.cancel(tenant_of(request.scope), request.path_params["batch_id"])
    return render.JSON(batch_object(batch))


async def list_batches(request: Request) -> Response:
    """``GET /batches``: newest first, ``after`` and ``limit`` (1..100, default 20)."""
    service = backend_of(request.scope).batches
    params = request.query_params
    page, has_more = service.list(
        tenant_of(request.scope),
        limit=parse_limit(params.get("limit"), LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT),
        after=params.get("after") or None,
    )
    data = [batch_object(batch) for batch in page]
    return render.JSON(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


def routes(profile: Profile) -> list[Route]:
    """The Batches operations under the profile's base path (none without batches)."""
    if not profile.batch_endpoints:
        return []
    base_path = profile.base_path
    return [
        Route(f"{base_path}/batches/{{batch_id}}", MethodDispatch(GET=retrieve_batch)),
        Route(f"{base_path}/batches", MethodDispatch(GET=list_batches, POST=create_batch)),
        Route(f"{base_path}/batches/{{batch_id}}/cancel", MethodDispatch(POST=cancel_batch)),
    ]
