"""The upload path's shortcuts: each must be taken by the SDK's uploads, and must give
exactly what the general path gives (same form, same request, same errors)."""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

import httpx
import pytest

from mockfiles import MockFiles
from mockfiles import multipart as multipart_module
from mockfiles.api import upload_schema
from mockfiles.errors import InvalidRequest, MockFilesError
from mockfiles.multipart import UploadForm, UploadLimits, read_upload
from mockfiles.profiles import get_profile

SMALL = b'{"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


def _refuse(*_args: Any) -> Any:
    raise AssertionError("the general path was taken")


def test_sdk_uploads_take_the_quick_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multipart_module, "parsed_boundary", _refuse)
    monkeypatch.setattr(upload_schema, "_as_document", _refuse)
    mock = MockFiles()
    client = mock.openai_client()
    created = client.files.create(file=("small.jsonl", SMALL), purpose="batch")
    assert mock.content_of(created.id) == SMALL
    call = mock.journal.last
    assert call.form == {"purpose": "batch"}
    assert [(f.filename, f.content_type) for f in call.files] == [
        ("small.jsonl", "application/octet-stream")
    ]


async def test_async_sdk_uploads_take_the_quick_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multipart_module, "parsed_boundary", _refuse)
    monkeypatch.setattr(upload_schema, "_as_document", _refuse)
    mock = MockFiles()
    client = mock.async_openai_client()
    created = await client.files.create(file=("small.jsonl", SMALL), purpose="batch")
    assert mock.content_of(created.id) == SMALL


def test_other_forms_take_the_general_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick paths cover only their shapes: anything else reaches the general code."""
    monkeypatch.setattr(multipart_module, "parsed_boundary", _refuse)
    with pytest.raises(AssertionError, match="general path"):
        multipart_module.boundary_of('multipart/form-data; boundary="quoted"')
    monkeypatch.setattr(upload_schema, "_as_document", _refuse)
    form = UploadForm(fields={"purpose": "batch", "expires_after[seconds]": "3600"})
    with pytest.raises(AssertionError, match="general path"):
        upload_schema.check_upload(get_profile("openai"), form)


# -- boundary: quick vs parse_options_header ----------------------------------------

BOUNDARY_CHARS = "0123456789abcdefXYZ'()+_,./:=?- \"\\;\t*é"
PLAIN_CHARS = "0123456789abcdefXYZ'()+_,./:=?-"


def _content_types() -> list[str]:
    rng = random.Random(15)
    types = [
        "",
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "a" * 70,
        "multipart/form-data; boundary=" + "a" * 71,
        "multipart/form-data; boundary=" + "a" * 300,
        "application/json",
    ]
    prefixes = [
        "multipart/form-data; boundary=",
        "multipart/form-data;boundary=",
        "Multipart/Form-Data; boundary=",
        "multipart/form-data; BOUNDARY=",
        "multipart/form-data;  boundary=",
        "multipart/form-data; charset=utf-8; boundary=",
        "multipart/form-data; boundary*=",
        "multipart/mixed; boundary=",
        "multipart/form-data; boundary= ",
    ]
    suffixes = ["", " ", "\t", "; charset=utf-8", ";", '"', "; boundary=second"]
    for prefix, suffix in itertools.product(prefixes, suffixes):
        for _ in range(12):
            size = rng.choice([1, 2, 16, 32, 69, 70, 71, 100])
            boundary = "".join(rng.choice(BOUNDARY_CHARS) for _ in range(size))
            types.append(prefix + boundary + suffix)
            types.append(f'{prefix}"{boundary}"{suffix}')
            plain = "".join(rng.choice(PLAIN_CHARS) for _ in range(size))
            types.append(prefix + plain + suffix)
    for size in range(1, 80):  # the spelling clients send, every length around the limit
        plain = "".join(rng.choice(PLAIN_CHARS) for _ in range(size))
        types.append("multipart/form-data; boundary=" + plain)
        types.append("multipart/form-data; boundary=" + plain.replace(plain[-1], " "))
    return types


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except MockFilesError as exc:
        return ("error", type(exc), str(exc), exc.param, exc.code)


def test_boundary_quick_path_reads_what_parse_options_header_reads() -> None:
    quick = 0
    for content_type in _content_types():
        got = _outcome(multipart_module.boundary_of, content_type)
        assert got == _outcome(multipart_module.parsed_boundary, content_type), content_type
        quick += multipart_module._COMMON_CONTENT_TYPE.fullmatch(content_type) is not None
    assert quick >= 70  # the generated set does exercise the quick path


# -- forms: whole body vs split, quick schema check vs general ----------------------


def _part(name: bytes, value: bytes, extra_headers: bytes = b"") -> bytes:
    return (
        b'Content-Disposition: form-data; name="'
        + name
        + b'"\r\n'
        + extra_headers
        + (b"\r\n" + value)
    )


def _file_part(
    name: bytes, filename: bytes, content: bytes, content_type: bytes | None = b"text/plain"
) -> bytes:
    headers = b'Content-Disposition: form-data; name="' + name + b'"; ' + filename + b"\r\n"
    if content_type is not None:
        headers += b"Content-Type: " + content_type + b"\r\n"
    return headers + b"\r\n" + content


def _body(parts: list[bytes], boundary: bytes = b"b0undary", closed: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary + b"--\r\n" if closed else b"")


def _forms() -> list[bytes]:
    """Multipart bodies of many shapes, valid and not."""
    purposes = [b"batch", b"assistants", b"fine-tune", b"nope", b"", b"batch\r\nx", b"\xff"]
    files = [
        _file_part(b"file", b'filename="a.jsonl"', SMALL),
        _file_part(b"file", b'filename="a.jsonl"', b""),
        _file_part(b"file", b'filename="a.jsonl"', b"x" * 2000, None),
        _file_part(
            b"file", b"filename=\"=?utf-8?b?5L2g?=\"; filename*=utf-8''%E4%BD%A0.jsonl", SMALL
        ),
        _file_part(b"file", b"filename*=utf-8''%E4%BD%A0.jsonl", SMALL),
        _file_part(b"file", b"filename*=bogus''x.jsonl", SMALL),
        _file_part(b"file", b"filename*=utf-8''%FF.jsonl", SMALL),
        _file_part(b"file", b'filename=""', SMALL),
        _file_part(b"file", b'filename="line\r\nbreak.jsonl"', SMALL),
        _file_part(b"file", b'filename="\xff.jsonl"', SMALL),
        _file_part(b"other", b'filename="o.jsonl"', SMALL),
    ]
    extras = [
        [],
        [_part(b"file", b"as text")],
        [_part(b"purpose", b"batch")],
        [_part(b"expires_after[anchor]", b"created_at")],
        [_part(b"expires_after[anchor]", b"created_at"), _part(b"expires_after[seconds]", b"3600")],
        [_part(b"expires_after[anchor]", b"created_at"), _part(b"expires_after[seconds]", b"1")],
        [_part(b"expires_after[seconds]", b"x")],
        [_part(b"extra", b"value\r\nwith CRLF")],
        [_file_part(b"other", b'filename="o.jsonl"', b"o")],
        [_part(b"long", b"v" * 1000)],
        [_part(b"long", b"v" * 1001)],
        [_part(b"x" + str(i).encode(), b"v") for i in range(31)],
    ]
    bodies: list[bytes] = []
    for purpose, file, extra in itertools.product(purposes, [None, *files], extras):
        parts = [_part(b"purpose", purpose)] if purpose != b"" else []
        if file is not None:
            parts.append(file)
        bodies.append(_body(parts + extra))
        bodies.append(_body(extra + parts[::-1]))
    bodies += [
        _body([_part(b"purpose", b"batch"), files[0]], closed=False),
        _body([_part(b"purpose", b"batch"), files[0], files[0]]),
        _body([b"Content-Disposition: attachment\r\n\r\nx"]),
        _body([b"Content-Type: text/plain\r\n\r\nx"]),
        _body([_part(b"purpose", b"batch", b"X-Header:  spaced \r\n"), files[0]]),
        _body([_part(b"\xff", b"batch"), files[0]]),
        b"",
        b"not multipart at all",
        b"--b0undary\r\nbroken header\r\n\r\n",
    ]
    return bodies


def _read(body: bytes, piece: int) -> UploadForm:
    async def chunks() -> Any:
        for start in range(0, len(body), piece):
            yield body[start : start + piece]

    limits = UploadLimits(
        max_field_bytes=1000,
        max_fields=32,
        check_file_size=lambda purpose, size: _check_size(purpose, size),
    )
    coroutine = read_upload("multipart/form-data; boundary=b0undary", chunks(), limits)
    try:
        coroutine.send(None)
    except StopIteration as done:
        form: UploadForm = done.value
        return form
    raise AssertionError("reading an upload awaited something")


def _check_size(purpose: str | None, size: int) -> None:
    if size > (1000 if purpose == "assistants" else 1500):
        raise InvalidRequest(f"too large for {purpose}")  # (size so far: by chunk)


def _form_outcome(form: UploadForm) -> Any:
    def file(part: Any) -> Any:
        return (part.filename, part.content_type, part.blob.read(), part.blob.sha256())

    return (
        form.fields,
        None if form.file is None else file(form.file),
        [(name, file(part)) for name, part in form.other_files],
    )


def _outcome_of(body: bytes, piece: int, quick: bool) -> Any:
    try:
        form = _read(body, piece)
    except MockFilesError as exc:
        return ("read error", type(exc), str(exc), exc.param, exc.code)
    check = upload_schema.check_upload if quick else _general_check
    return (_form_outcome(form), _outcome(check, get_profile("openai"), form))


def _general_check(profile: Any, form: UploadForm) -> Any:
    saved = upload_schema._plain_upload
    upload_schema._plain_upload = lambda profile, form: None
    try:
        return upload_schema.check_upload(profile, form)
    finally:
        upload_schema._plain_upload = saved


def _without_numbers(outcome: Any) -> Any:
    return re.sub(r"[0-9]+", "N", repr(outcome)) if outcome[0] == "read error" else outcome


def test_forms_read_and_checked_alike_whole_or_split_quick_or_general() -> None:
    outcomes = set()
    plain = 0
    for body in _forms():
        whole = _outcome_of(body, len(body) or 1, quick=True)
        assert whole == _outcome_of(body, len(body) or 1, quick=False), body[:300]
        for piece in (1, 7, 64):  # the parser's error offsets count from its chunk
            split = _outcome_of(body, piece, quick=True)
            assert _without_numbers(split) == _without_numbers(whole), (piece, body[:300])
        outcomes.add(whole[0] if whole[0] == "read error" else "read")
        if whole[0] != "read error":
            form = _read(body, len(body))
            plain += upload_schema._plain_upload(get_profile("openai"), form) is not None
    assert outcomes == {"read error", "read"}
    assert plain >= 4  # the generated set does exercise the quick schema path


@pytest.mark.parametrize("route", ["/files", "/uploads/{upload_id}/parts"])
def test_a_boundary_too_long_for_the_parser_is_a_400_that_changes_nothing(route: str) -> None:
    mock = MockFiles()
    upload = mock.openai_client().uploads.create(
        bytes=3, filename="a.jsonl", mime_type="text/jsonl", purpose="batch"
    )
    boundary = "b" * 300  # python-multipart refuses boundaries over 256 bytes
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
        f"\r\n{{}}\n\r\n--{boundary}--\r\n"
    ).encode()
    client = httpx.Client(transport=mock.transport("httpx"), base_url=mock.base_url)
    answer = client.post(
        route.format(upload_id=upload.id),
        content=body,
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "authorization": f"Bearer {mock.api_key}",
        },
    )
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert message.startswith("The multipart boundary cannot be used: Boundary length 300")
    assert mock.stored_files() == []
    assert client.get("/files", headers={"authorization": f"Bearer {mock.api_key}"}).is_success
