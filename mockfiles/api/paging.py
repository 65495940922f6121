"""The ``limit`` query parameter of every list route, read as the service reads it."""

from __future__ import annotations

from ..errors import InvalidRequest
from .upload_schema import strict_int


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """``raw`` as a page size in 1..``maximum`` (``default`` when absent): plain decimal
    digits only, with the service's codes and wording for each refusal."""
    if raw is None:
        return default
    limit = strict_int(raw)
    if limit is None:
        raise InvalidRequest(
            f"Invalid 'limit': expected an integer, but got '{raw}' instead.",
            param="limit",
            code="invalid_type",
        )
    if limit < 1:
        raise InvalidRequest(
            "Invalid 'limit': integer below minimum value. Expected a value >= 1, "
            f"but got {limit} instead.",
            param="limit",
            code="integer_below_min_value",
        )
    if limit > maximum:
        raise InvalidRequest(
            "Invalid 'limit': integer above maximum value. Expected a value <= "
            f"{maximum}, but got {limit} instead.",
            param="limit",
            code="integer_above_max_value",
        )
    return limit
