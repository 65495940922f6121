"""JSON request bodies: parsed strictly, so nothing parsed can break a response later.

Refused (a 400 envelope): text holding a lone surrogate (possible only through ``\\ud800``
style escapes; it could never be encoded back as UTF-8), and ``NaN``, ``Infinity`` or a
number too large for a float (none of them is JSON a response could carry).
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import InvalidRequest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def check_document(value: Any) -> None:
    """Raise :class:`InvalidRequest` for text that cannot be encoded or a number that is
    not finite, anywhere in ``value``."""
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
            check_document(key)
            check_document(item)
    elif isinstance(value, list):
        for item in value:
            check_document(item)


def loads(body: bytes | bytearray) -> Any:
    """``json.loads`` that refuses ``NaN``/``Infinity`` (``ValueError``, like malformed
    JSON) and, once parsed, unencodable text and infinite numbers (``InvalidRequest``)."""
    document = json.loads(body, parse_constant=_refuse_constant)
    check_document(document)
    return document
