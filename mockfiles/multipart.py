"""Streaming multipart reader for uploads, on python-multipart's parser.

The file part is kept as the chunks it arrived in (views into the request body, no
copies), and the running size is checked against the limit as bytes arrive, so an
oversize upload is refused without being held whole.
"""

from __future__ import annotations

import email.message
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from .blobs import Blob, Chunk
from .errors import InvalidRequest

FILE_FIELD = "file"

# python-multipart logs what it skips (data after the last boundary, ...) as warnings;
# with no handler configured they would reach the server's stderr. Malformed bodies are
# answered with a 400 instead; an application that configures logging still sees them.
logging.getLogger("python_multipart").addHandler(logging.NullHandler())


@dataclass
class FilePart:
    """The uploaded file: its name, declared type and content."""

    filename: str
    content_type: str | None
    blob: Blob


@dataclass
class UploadForm:
    """The parsed form: text fields, the file, and any unexpected file parts."""

    fields: dict[str, str] = field(default_factory=dict)
    file: FilePart | None = None
    #: File parts under any name but ``file`` (the schema refuses them by name).
    other_files: list[tuple[str, FilePart]] = field(default_factory=list)


@dataclass
class UploadLimits:
    """Bounds applied while reading."""

    max_field_bytes: int
    max_fields: int
    #: Called with (purpose so far or None, file bytes so far); raises when too large.
    check_file_size: Callable[[str | None, int], None]


#: The Content-Type clients send (``multipart/form-data; boundary=...`` with an RFC 2046
#: boundary of 1 to 70 characters, none of them quotes, spaces or ``;``): its boundary is
#: read straight off; any other spelling goes through ``parse_options_header``.
_COMMON_CONTENT_TYPE = re.compile(r"multipart/form-data; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})")


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary of a Content-Type header, or a 400 saying what is wrong."""
    common = _COMMON_CONTENT_TYPE.fullmatch(content_type)
    if common is not None:  # what parse_options_header gives for this spelling
        return common[1].encode("ascii")
    return parsed_boundary(content_type)


def parsed_boundary(content_type: str) -> bytes:
    """:func:`boundary_of` for any spelling, through ``parse_options_header``."""
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data":
        shown = content_type or "none"
        raise InvalidRequest(
            "Uploads must be sent as multipart/form-data with 'purpose' and 'file' parts "
            f"(got Content-Type: {shown})."
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidRequest(
            "The multipart/form-data Content-Type has no boundary parameter; "
            "let your HTTP client build the multipart body."
        )
    return boundary


@lru_cache(maxsize=256)
def _disposition(header: str) -> tuple[bytes, Mapping[bytes, bytes]]:
    """``parse_options_header`` of a part's Content-Disposition (read only; parts of
    alike uploads repeat the same few, so each is parsed once)."""
    disposition, params = parse_options_header(header)
    return disposition, MappingProxyType(params)


class _UploadParser(MultipartParser):
    """python-multipart's parser, building an :class:`UploadForm` from its events.

    The events are handled in :meth:`callback` (the method the parser reports each
    one through) rather than a callback function each: one call per event instead of two.
    """

    def __init__(self, boundary: bytes, limits: UploadLimits) -> None:
        super().__init__(boundary)
        self.limits = limits
        self.form = UploadForm()
        self.finished = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[str, str] = {}
        self._name = ""
        self._filename: str | None = None
        self._text = b""
        self._chunks: list[Chunk] = []
        self._file_bytes = 0
        self._parts = 0

    def callback(
        self,
        name: str,
        data: bytes | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> None:
        """Handle one parser event: ``data[start:end]`` of a part's header or body, or a
        notification (a part begins, its headers end, it ends, the body ends)."""
        if data is not None:
            assert start is not None and end is not None
            if start == end:
                return
            if name == "part_data":
                self._part_data(data, start, end)
            elif name == "header_field":
                self._header_field += data[start:end]
            elif name == "header_value":
                self._header_value += data[start:end]
        elif name == "header_end":
            field = self._header_field.decode("latin-1").lower()
            self._headers[field] = self._header_value.decode("latin-1")
            self._header_field = self._header_value = b""
        elif name == "part_begin":
            self._part_begin()
        elif name == "headers_finished":
            self._headers_finished()
        elif name == "part_end":
            self._part_end()
        elif name == "end":
            self.finished = True

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > self.limits.max_fields:
            raise InvalidRequest(
                f"Too many form fields: at most {self.limits.max_fields} are accepted."
            )
        self._headers = {}
        self._text = b""
        self._chunks = []
        self._file_bytes = 0

    def _headers_finished(self) -> None:
        header = self._headers.get("content-disposition", "")
        disposition, params = _disposition(header)
        if disposition != b"form-data" or b"name" not in params:
            raise InvalidRequest(
                "Each multipart part needs a 'Content-Disposition: form-data; name=...' header."
            )
        self._name = _utf8(params[b"name"], "form field name")
        extended = extended_filename(header)  # ``filename*`` wins, as at the service
        raw_filename = params.get(b"filename")
        if extended is not None:
            self._filename = extended
        else:
            self._filename = None if raw_filename is None else _utf8(raw_filename, "filename")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._filename is None:
            if len(self._text) + (end - start) > self.limits.max_field_bytes:
                raise InvalidRequest(
                    f"Form field '{self._name}' is too long: at most "
                    f"{self.limits.max_field_bytes} bytes are accepted."
                )
            self._text += data[start:end]
            return
        self._file_bytes += end - start
        self.limits.check_file_size(self.form.fields.get("purpose"), self._file_bytes)
        if isinstance(data, bytes):
            self._chunks.append(memoryview(data)[start:end])
        else:  # a buffer the parser may reuse: keep a private copy
            self._chunks.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        name = self._name
        form = self.form
        if self._filename is None:
            if name in form.fields:
                raise InvalidRequest(f"Form field '{name}' was sent more than once.")
            form.fields[name] = _utf8(bytes(self._text), f"form field '{name}'")
        elif name != FILE_FIELD:
            part = FilePart(self._filename, self._headers.get("content-type"), Blob(self._chunks))
            form.other_files.append((name, part))
        elif form.file is not None:
            raise InvalidRequest("Only one 'file' part may be sent per upload.")
        else:
            form.file = FilePart(
                self._filename, self._headers.get("content-type"), Blob(self._chunks)
            )


def extended_filename(disposition: str) -> str | None:
    """The decoded ``filename*`` (RFC 5987: ``utf-8''%E4%BD%A0%E5%A5%BD.txt``) of a
    Content-Disposition header, or None when it has none.

    Clients such as the .NET SDK send it beside an encoded-word ``filename=``, and the
    service stores this one. python-multipart drops extended parameters, so the header
    is read again with the standard library's RFC 2231 parser.
    """
    if "filename*" not in disposition.lower():
        return None
    message = email.message.Message()
    message["content-disposition"] = disposition
    for name, value in message.get_params(header="content-disposition", failobj=[]):
        if name.lower() != "filename" or not isinstance(value, tuple):
            continue  # the plain ``filename`` (python-multipart has it already)
        charset, _language, octets = value  # octets: the percent-decoded bytes, as latin-1
        try:
            return octets.encode("latin-1").decode(charset or "utf-8")
        except LookupError:
            raise InvalidRequest(
                f"The filename* parameter names an unknown charset {charset!r}; "
                "send it as utf-8''NAME (RFC 5987)."
            ) from None
        except UnicodeError:
            raise InvalidRequest(
                f"The filename* parameter is not valid {charset}: percent-encode the "
                "name's UTF-8 bytes (RFC 5987)."
            ) from None
    return None


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(f"The {what} is not valid UTF-8.") from None


async def read_upload(
    content_type: str, body: AsyncIterator[bytes], limits: UploadLimits
) -> UploadForm:
    """Parse a multipart upload from ``body`` chunks; any malformation is a 400."""
    boundary = boundary_of(content_type)
    try:
        parser = _UploadParser(boundary, limits)
    except FormParserError as exc:  # a boundary the parser cannot use (too long)
        raise InvalidRequest(f"The multipart boundary cannot be used: {exc}.") from None
    try:
        async for chunk in body:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidRequest(f"The multipart body could not be parsed: {exc}.") from None
    if not parser.finished:
        raise InvalidRequest(
            "The multipart body ended before its closing boundary: the upload was truncated."
        )
    return parser.form
