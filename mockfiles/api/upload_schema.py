"""The upload request's schema, checked with jsonschema as the service does.

Messages follow the service's wording, which is jsonschema's:
``'x' is not one of [...] - 'purpose'``, ``'file' is a required property``,
``Additional properties are not allowed ('x' was unexpected)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..errors import InvalidRequest
from ..multipart import FILE_FIELD, UploadForm
from ..profiles import Profile

EXPIRES_PREFIX = "expires_after["


@dataclass(frozen=True)
class UploadRequest:
    """A schema-valid upload."""

    purpose: str
    expires_after_seconds: int | None


def expires_after_schema(profile: Profile) -> dict[str, Any]:
    """The JSON schema of an ``expires_after`` policy under ``profile``."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(profile.expires_after_required),
        "properties": {
            "anchor": {"type": "string", "enum": ["created_at"]},
            "seconds": {
                "type": "integer",
                "minimum": profile.expires_after_min_seconds,
                "maximum": profile.expires_after_max_seconds,
            },
        },
    }


@lru_cache(maxsize=32)
def _validator(profile: Profile) -> Draft202012Validator:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": [FILE_FIELD, "purpose"],
        "properties": {
            FILE_FIELD: {},
            "purpose": {"type": "string", "enum": list(profile.upload_purposes)},
            "expires_after": expires_after_schema(profile),
        },
    }
    return Draft202012Validator(schema)


def _as_document(form: UploadForm) -> dict[str, Any]:
    """The form as the JSON document the schema describes."""
    document: dict[str, Any] = {}
    for name, value in form.fields.items():
        if name.startswith(EXPIRES_PREFIX) and name.endswith("]"):
            key = name[len(EXPIRES_PREFIX) : -1]
            nested = document.setdefault("expires_after", {})
            nested[key] = _integer_or_text(value) if key == "seconds" else value
        else:
            document[name] = value
    for name, _ in form.other_files:
        document[name] = "<file>"
    if form.file is not None:
        document[FILE_FIELD] = "<file>"
    return document


_INTEGER = re.compile(r"-?[0-9]{1,30}")


def strict_int(text: str) -> int | None:
    """``text`` as an integer when it is plain ASCII decimal digits (an optional leading
    minus, no spaces, underscores or other scripts' digits), else None."""
    return int(text) if _INTEGER.fullmatch(text) else None


def _integer_or_text(value: str) -> int | str:
    number = strict_int(value)
    return value if number is None else number


def schema_error_path(error: ValidationError) -> str | None:
    """Where in the document the error is (``purpose``, ``expires_after.seconds``), or
    None at the top level."""
    return ".".join(str(part) for part in error.absolute_path) or None


def schema_error_message(error: ValidationError) -> str:
    """The service's wording: jsonschema's message, then `` - 'path'`` when nested."""
    path = schema_error_path(error)
    return f"{error.message} - '{path}'" if path else error.message


def _plainly_valid(profile: Profile, document: dict[str, Any]) -> bool:
    """True only for a document the schema accepts, in the shapes most uploads take
    (``file`` and an accepted ``purpose``, and perhaps a complete, in-range
    ``expires_after``); False sends it through the validator, which says what is wrong.
    """
    if type(document.get("purpose")) is not str or FILE_FIELD not in document:
        return False
    if document["purpose"] not in profile.upload_purposes:
        return False
    size = len(document)
    if size == 2:
        return True
    expires = document.get("expires_after")
    if size != 3 or type(expires) is not dict or len(expires) != 2:
        return False
    if not set(profile.expires_after_required) <= {"anchor", "seconds"}:
        return False
    seconds = expires.get("seconds")
    return (
        expires.get("anchor") == "created_at"
        and type(expires["anchor"]) is str
        and type(seconds) is int
        and profile.expires_after_min_seconds <= seconds <= profile.expires_after_max_seconds
    )


def _plain_upload(profile: Profile, form: UploadForm) -> UploadRequest | None:
    """The request of the plainest form (a ``file`` part and an accepted ``purpose``,
    nothing else), which the schema accepts as it is; None for any other form."""
    fields = form.fields
    if len(fields) != 1 or form.file is None or form.other_files:
        return None
    purpose = fields.get("purpose")
    if purpose is None or purpose not in profile.upload_purposes:
        return None
    return _request_of(purpose)


@lru_cache(maxsize=64)
def _request_of(purpose: str) -> UploadRequest:
    return UploadRequest(purpose=purpose, expires_after_seconds=None)


def check_upload(profile: Profile, form: UploadForm) -> UploadRequest:
    """Validate the form against the profile's upload schema; 400 on the first problem."""
    plain = _plain_upload(profile, form)
    if plain is not None:
        return plain
    document = _as_document(form)
    error = (
        None
        if _plainly_valid(profile, document)
        else next(iter(_validator(profile).iter_errors(document)), None)
    )
    if error is not None:
        # The service names the field it refuses (``param: "purpose"``, recorded 2026-05);
        # a missing field or an unexpected one has no path, and ``param`` stays null.
        raise InvalidRequest(schema_error_message(error), param=schema_error_path(error))
    if FILE_FIELD in form.fields:
        raise InvalidRequest(
            "'file' must be sent as a file part (with a filename), not as a text field."
        )
    seconds = document.get("expires_after", {}).get("seconds")
    return UploadRequest(
        purpose=document["purpose"],
        expires_after_seconds=None if seconds is None else int(seconds),
    )
