"""The scenario file format: requests, responses and test events as diffable JSON.

A scenario is::

    {"format": "mockfiles.scenario", "version": 1, "profile": "openai",
     "recorded_at": 1767225600.0, "steps": [STEP, ...]}

and each step is one of::

    {"at": T, "request": REQUEST, "response": RESPONSE}      an HTTP exchange
    {"clock": {"advance": SECONDS}} / {"clock": {"set": T}}  the test moved the clock
    {"seed": {"id", "filename", "purpose", "created_at", "expires_at", "content",
              "tenant"}}
    {"url": {"url", "status", "headers", "content"}}         a URL registered for imports

REQUEST is ``{"method", "path", "query": {...}, "headers": {...}, "body": BODY}``, where
BODY is ``{"multipart": {"fields": {...}, "files": [{"field", "filename",
"content_type", "content"}]}}``, ``{"json": ...}`` or a CONTENT; RESPONSE is
``{"status", "headers", "body"}``. An exchange (and a seed) also names the ``"tenant"``
it acted for: a label derived from the API key (``key-<hex>``, see
:func:`mockfiles.auth.tenant_label`), never the key; the document's ``"tenants"`` maps
each label to a hint a person recognises (``{"key": "sk-...wxyz", "project": ...}``).
A CONTENT is ``{"text": "..."}`` when the bytes are UTF-8 and ``{"base64": "..."}``
otherwise. Only headers that matter are kept; the
``authorization`` and ``api-key`` values are replaced by ``"<redacted>"``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from . import safe_json
from .blobs import Blob
from .coroutines import drive
from .errors import MockFilesError
from .journal import Call, ClockMoved, Event, FileSeeded, UrlRegistered
from .multipart import UploadLimits, read_upload

FORMAT = "mockfiles.scenario"
VERSION = 1
REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "api-key"})
KEPT_REQUEST_HEADERS = frozenset(
    {"accept", "content-type", "openai-organization", "openai-project", *SECRET_HEADERS}
)
KEPT_RESPONSE_HEADERS = frozenset({"content-type", "content-disposition"})

Doc = dict[str, Any]


class ScenarioError(ValueError):
    """A scenario document that this version cannot read."""


class ScenarioProfileError(ScenarioError):
    """A scenario recorded with another profile than the mock it is loaded into."""

    def __init__(self, recorded: str, served: str) -> None:
        self.recorded, self.served = recorded, served
        super().__init__(
            f"this scenario was recorded with the {recorded!r} profile and this mock serves "
            f"the {served!r} profile. Load it into a mock of the {recorded!r} profile "
            "(MockFiles.from_scenario(...) and mockfiles serve --load without --profile "
            "take the scenario's own)"
        )


def check_profile(doc: Doc, served: str) -> None:
    """:class:`ScenarioProfileError` when ``doc`` names a profile other than ``served``
    (a document naming none fits any profile)."""
    recorded = doc.get("profile")
    if recorded is not None and recorded != served:
        raise ScenarioProfileError(str(recorded), served)


def content_doc(data: bytes) -> Doc:
    """Bytes as ``{"text": ...}`` when UTF-8, else ``{"base64": ...}``."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def content_bytes(doc: Mapping[str, Any] | None) -> bytes:
    """The bytes a CONTENT document holds."""
    if doc is None:
        raise ScenarioError(
            "a step was recorded without its content (the journal's body budget let it go; "
            "record with a larger journal_bytes)"
        )
    if not isinstance(doc, Mapping):
        raise ScenarioError(f"content must be an object with 'text' or 'base64', got {doc!r}")
    if "text" in doc:
        return str(doc["text"]).encode("utf-8")
    if "base64" in doc:
        try:
            return base64.b64decode(str(doc["base64"]), validate=True)
        except ValueError:
            raise ScenarioError("content 'base64' is not valid base64") from None
    raise ScenarioError(f"content needs 'text' or 'base64', got keys {sorted(doc)}")


def kept_headers(headers: Iterable[tuple[str, str]], kept: frozenset[str]) -> Doc:
    """The headers that matter, lower-cased, secrets redacted."""
    out: Doc = {}
    for name, value in headers:
        name = name.lower()
        if name in kept:
            out[name] = REDACTED if name in SECRET_HEADERS else value
    return out


def _parse_multipart(content_type: str, body: bytes) -> Doc | None:
    """The multipart body as fields and files, or None if it does not parse."""

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    result: list[Any] = []

    async def parse() -> None:
        limits = UploadLimits(len(body) + 1, 10_000, lambda purpose, size: None)
        result.append(await read_upload(content_type, chunks(), limits))

    try:
        drive(parse())
    except MockFilesError:
        return None
    form = result[0]
    parts = ([("file", form.file)] if form.file is not None else []) + form.other_files
    files = [
        {
            "field": name,
            "filename": part.filename,
            "content_type": part.content_type,
            "content": content_doc(part.blob.read()),
        }
        for name, part in parts
    ]
    return {"multipart": {"fields": dict(form.fields), "files": files}}


def body_doc(content_type: str, body: bytes) -> Doc | None:
    """A request or response body: multipart, JSON, or raw content."""
    if not body:
        return None
    if content_type.startswith("multipart/form-data"):
        parsed = _parse_multipart(content_type, body)
        if parsed is not None:
            return parsed
    if content_type.startswith("application/json") or body[:1] in (b"{", b"["):
        try:
            return {"json": safe_json.loads(body)}
        except ValueError:
            pass
    return content_doc(body)


def request_doc(
    method: str, path: str, query_string: str, headers: Iterable[tuple[str, str]], body: bytes
) -> Doc:
    """The REQUEST document of an exchange."""
    header_list = list(headers)
    content_type = next((v for k, v in header_list if k.lower() == "content-type"), "")
    doc: Doc = {"method": method, "path": path}
    query = dict(parse_qsl(query_string, keep_blank_values=True))
    if query:
        doc["query"] = query
    parsed = body_doc(content_type, body)
    kept = kept_headers(header_list, KEPT_REQUEST_HEADERS)
    if parsed is not None and "multipart" in parsed:
        kept.pop("content-type", None)  # the boundary is the client's; replay makes its own
    if kept:
        doc["headers"] = kept
    if parsed is not None:
        doc["body"] = parsed
    return doc


def response_doc(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Doc:
    """The RESPONSE document of an exchange."""
    header_list = list(headers)
    content_type = next((v for k, v in header_list if k.lower() == "content-type"), "")
    doc: Doc = {"status": status, "headers": kept_headers(header_list, KEPT_RESPONSE_HEADERS)}
    parsed = body_doc(content_type, body)
    if parsed is not None:
        doc["body"] = parsed
    return doc


def _decoded(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def event_doc(event: Event) -> Doc:
    """One step document for a journal event."""
    if isinstance(event, Call):
        request = request_doc(
            event.method,
            event.path,
            event.query_string,
            _decoded(event.raw_request_headers),
            event.request_body,
        )
        response = response_doc(
            event.status, _decoded(event.raw_response_headers), event.response_body
        )
        step: Doc = {"at": event.at, "request": request, "response": response}
        if event.tenant is not None:
            step["tenant"] = event.tenant
        if event.bodies_dropped:
            step["bodies_dropped"] = True
        return step
    if isinstance(event, ClockMoved):
        move = {"advance": event.advance} if event.advance is not None else {"set": event.set}
        return {"clock": move}
    if isinstance(event, FileSeeded):
        return {
            "seed": {
                "id": event.file_id,
                "filename": event.filename,
                "purpose": event.purpose,
                "created_at": event.created_at,
                "expires_at": event.expires_at,
                "content": _content_or_none(event.blob),
                "tenant": event.tenant,
            }
        }
    assert isinstance(event, UrlRegistered)
    return {
        "url": {
            "url": event.url,
            "status": event.status,
            "headers": dict(event.headers),
            "content": _content_or_none(event.blob),
        }
    }


def _content_or_none(blob: Blob | None) -> Doc | None:
    """A CONTENT document, or None where the journal's body budget let the bytes go."""
    return None if blob is None else content_doc(blob.read())


def scenario_doc(
    profile: str, recorded_at: float, steps: list[Doc], tenants: Doc | None = None
) -> Doc:
    """A whole scenario document."""
    doc: Doc = {
        "format": FORMAT,
        "version": VERSION,
        "profile": profile,
        "recorded_at": recorded_at,
    }
    if tenants:
        doc["tenants"] = tenants
    doc["steps"] = steps
    return doc


def check_scenario(doc: Any) -> Doc:
    """``doc`` if it is a scenario this version reads; :class:`ScenarioError` otherwise."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ScenarioError(f'not a mockfiles scenario (expected "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise ScenarioError(
            f"scenario version {doc.get('version')!r} is not supported (this mockfiles reads "
            f"version {VERSION})"
        )
    if not isinstance(doc.get("steps"), list):
        raise ScenarioError('a scenario needs a "steps" list')
    return doc


def dumps(doc: Doc) -> str:
    """The scenario as indented JSON, one key per line (pleasant in a diff)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def blob_of(doc: Mapping[str, Any]) -> Blob:
    """A blob from a CONTENT document."""
    return Blob.of(content_bytes(doc))
