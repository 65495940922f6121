"""JSON request bodies: parsed strictly, so nothing parsed can break a response later.

Refused (a 400 envelope): text holding a lone surrogate (possible only through ``\\ud800``
style escapes; it could never be encoded back as UTF-8), and ``NaN``, ``Infinity`` or a
number too large for a float (none of them is JSON a response could carry), and a
document nested more than :data:`~mockfiles.safe_json.MAX_DEPTH` levels deep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from .. import safe_json
from ..errors import InvalidRequest, MockFilesError

INVALID_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The API expects a JSON payload, but what was sent "
    "was not valid JSON.)"
)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def check_document(value: Any) -> None:
    """Raise :class:`InvalidRequest` for text that cannot be encoded or a number that is
    not finite, anywhere in ``value``."""
    _check(value)


def _too_deep(max_depth: int) -> str:
    return f"The JSON body is nested too deeply (more than {max_depth} levels of arrays/objects)."


def _check(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequest(
                f"The body holds text that cannot be encoded as UTF-8: {value!r} (a lone "
                "surrogate). Send valid Unicode."
            ) from None
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequest(f"The body holds a number out of range: {value!r}.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


def loads(body: bytes | bytearray, *, max_depth: int = safe_json.MAX_DEPTH) -> Any:
    """``json.loads`` that refuses ``NaN``/``Infinity`` (``ValueError``, like malformed
    JSON) and, once parsed, unencodable text, infinite numbers and nesting deeper than
    ``MAX_DEPTH`` (``InvalidRequest``)."""
    try:
        document = safe_json.loads(body, max_depth=max_depth, parse_constant=_refuse_constant)
    except safe_json.TooDeep as exc:
        raise InvalidRequest(_too_deep(exc.max_depth)) from None
    _check(document)
    return document


async def read_json(
    request: Request,
    *,
    limit: int,
    too_large: Callable[[], MockFilesError],
    invalid: str = INVALID_JSON,
    max_depth: int = safe_json.MAX_DEPTH,
) -> Any:
    """The request's JSON body, read up to ``limit`` bytes (``too_large()`` is raised past
    it) and parsed by :func:`loads`; malformed JSON is an :class:`InvalidRequest` saying
    ``invalid``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large()
    try:
        return loads(body, max_depth=max_depth)
    except ValueError:
        raise InvalidRequest(invalid) from None
