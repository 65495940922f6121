"""The whole Files surface through the real openai SDK, sync and async."""

from __future__ import annotations

import re

import openai
import pytest

from mockfiles import MockFiles

from .conftest import BATCH_LINE

ID_RE = re.compile(r"^file-[0-9A-Za-z]{22}$")
THIRTY_DAYS = 30 * 86_400


def test_upload_retrieve_download_delete(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    created = client.files.create(file=("input.jsonl", BATCH_LINE), purpose="batch")

    assert ID_RE.match(created.id)
    assert created.object == "file"
    assert created.bytes == len(BATCH_LINE)
    assert created.filename == "input.jsonl"
    assert created.purpose == "batch"
    assert created.status == "processed"
    assert created.expires_at == created.created_at + THIRTY_DAYS
    assert created.status_details is None

    assert client.files.retrieve(created.id) == created
    assert client.files.content(created.id).read() == BATCH_LINE
    assert mockfiles.content_of(created.id) == BATCH_LINE

    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "file", True)
    assert mockfiles.stored_files() == []
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_wire_shape_has_every_key_with_nulls(client: openai.OpenAI) -> None:
    created = client.files.with_raw_response.create(
        file=("notes.txt", b"hello"), purpose="user_data"
    )
    body = created.http_response.json()
    assert list(body) == [
        "object",
        "id",
        "purpose",
        "filename",
        "bytes",
        "created_at",
        "expires_at",
        "status",
        "status_details",
    ]
    assert body["expires_at"] is None
    assert body["status_details"] is None
    assert created.http_response.headers["x-request-id"].startswith("req_")
    assert created.http_response.headers["content-type"] == "application/json"


def test_raw_bytes_upload_is_named_upload(client: openai.OpenAI) -> None:
    created = client.files.create(file=b"raw bytes", purpose="assistants")
    assert created.filename == "upload"
    assert created.bytes == 9


def test_deprecated_retrieve_content_returns_text(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    stored = mockfiles.add_file(b'{"id": "out"}\n', filename="out.jsonl", purpose="batch_output")
    with pytest.warns(DeprecationWarning):
        text = client.files.retrieve_content(stored.id)
    assert text == '{"id": "out"}\n'


def test_seeded_output_files_are_listed_and_downloadable(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    results = mockfiles.add_file(
        b"step,loss\n1,0.5\n", filename="results.csv", purpose="fine-tune-results"
    )
    output = mockfiles.add_file(b"{}\n", purpose="batch_output")
    listed = client.files.list()
    assert [f.id for f in listed] == [output.id, results.id]
    assert client.files.content(results.id).read() == b"step,loss\n1,0.5\n"
    assert client.files.retrieve(output.id).purpose == "batch_output"


def test_add_file_rejects_unknown_purpose(mockfiles: MockFiles) -> None:
    with pytest.raises(ValueError, match="batch_output"):
        mockfiles.add_file(b"x", purpose="nonsense")


def test_strict_response_validation_accepts_every_response(mockfiles: MockFiles) -> None:
    strict = mockfiles.openai_client(_strict_response_validation=True)
    for purpose, name in [
        ("batch", "b.jsonl"),
        ("fine-tune", "f.jsonl"),
        ("vision", "v.png"),
        ("assistants", "a.pdf"),
        ("user_data", "u.txt"),
    ]:
        created = strict.files.create(file=(name, b"{}\n"), purpose=purpose)
        assert strict.files.retrieve(created.id).purpose == purpose
    mockfiles.add_file(b"x", purpose="batch_output")
    assert len(list(strict.files.list())) == 6


def test_file_object_from_file_handle(client: openai.OpenAI, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "train.jsonl"
    path.write_bytes(b'{"messages": []}\n' * 1000)
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    assert created.filename == "train.jsonl"
    assert created.bytes == path.stat().st_size
    assert created.expires_at is None


async def test_async_roundtrip(aclient: openai.AsyncOpenAI, mockfiles: MockFiles) -> None:
    created = await aclient.files.create(file=("a.jsonl", BATCH_LINE), purpose="batch")
    assert (await aclient.files.retrieve(created.id)).id == created.id
    assert await (await aclient.files.content(created.id)).aread() == BATCH_LINE
    listed = [f.id async for f in aclient.files.list()]
    assert listed == [created.id]
    assert (await aclient.files.delete(created.id)).deleted is True
    with pytest.raises(openai.NotFoundError):
        await aclient.files.retrieve(created.id)
    assert [c.status for c in mockfiles.calls] == [200, 200, 200, 200, 200, 404]


def test_explicit_clients_need_no_patching() -> None:
    mock = MockFiles()
    with mock.openai_client() as sync_client:
        created = sync_client.files.create(file=("x.jsonl", b"{}\n"), purpose="fine-tune")
    assert mock.get_file(created.id).filename == "x.jsonl"


async def test_explicit_async_client_needs_no_patching() -> None:
    mock = MockFiles()
    async with mock.async_openai_client() as async_client:
        created = await async_client.files.create(file=("x.jsonl", b"{}\n"), purpose="fine-tune")
    assert mock.content_of(created.id) == b"{}\n"


def test_reset_empties_files_and_journal_and_clock(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    client.files.create(file=("x.jsonl", b"{}\n"), purpose="batch")
    mockfiles.clock.advance(100)
    mockfiles.reset()
    assert mockfiles.stored_files() == []
    assert len(mockfiles.calls) == 0
    assert list(client.files.list()) == []
    assert abs(mockfiles.clock.now() - __import__("time").time()) < 1
