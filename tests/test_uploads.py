"""The Uploads API through the openai SDK: parts become an ordinary file."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import time_machine
from freezegun import freeze_time

from mockfiles import MockFiles
from mockfiles.scenario import replay

from .conftest import BATCH_LINE

UPLOAD_ID = re.compile(r"upload_[0-9a-f]{32}")
PART_ID = re.compile(r"part_[0-9a-f]{32}")
HOUR = 3600


def content(size: int = 10_000) -> bytes:
    return os.urandom(size)


def create(client: openai.OpenAI, data: bytes, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "filename": "data.bin",
        "purpose": "user_data",
        "bytes": len(data),
        "mime_type": "application/octet-stream",
    }
    options.update(kwargs)
    return client.uploads.create(**options)


def raw_upload(mock: MockFiles, upload_id: str) -> dict[str, Any]:
    """The Upload's status and held bytes, read from the service (no API route reads
    an Upload without changing it)."""
    service = mock.backend.uploads
    upload = service.get(mock.backend.own_tenant, upload_id)
    return {"status": service.status(upload), "held": upload.received}


# -- round trips -----------------------------------------------------------------------


def test_upload_file_chunked_round_trips(
    client: openai.OpenAI, mockfiles: MockFiles, tmp_path: Path
) -> None:
    data = content(10_001)
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    upload = client.uploads.upload_file_chunked(
        file=path,
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=1024,
        md5=hashlib.md5(data).hexdigest(),
    )
    assert upload.status == "completed" and UPLOAD_ID.fullmatch(upload.id)
    assert upload.bytes == len(data) and upload.filename == "big.jsonl"
    assert upload.expires_at == upload.created_at + HOUR
    assert upload.file is not None
    assert upload.file.created_at == upload.created_at
    assert upload.file.status == "processed" and upload.file.bytes == len(data)
    assert mockfiles.content_of(upload.file.id) == data
    parts = mockfiles.calls.filter("POST", f"/v1/uploads/{upload.id}/parts")
    assert [call.files[0].size for call in parts] == [1024] * 9 + [785]
    assert mockfiles.backend.uploads.held_bytes() == 0


async def test_async_upload_file_chunked_round_trips(
    aclient: openai.AsyncOpenAI, mockfiles: MockFiles
) -> None:
    data = content(5000)
    upload = await aclient.uploads.upload_file_chunked(
        file=data,
        filename="in.bin",
        bytes=len(data),
        mime_type="application/octet-stream",
        purpose="vision",
        part_size=999,
    )
    assert upload.status == "completed" and upload.file is not None
    downloaded = await aclient.files.content(upload.file.id)
    assert downloaded.read() == data


def test_wire_shapes_and_key_order(mockfiles: MockFiles) -> None:
    http = httpx.Client(
        transport=mockfiles.transport("httpx"),
        base_url=mockfiles.base_url,
        headers={"Authorization": f"Bearer {mockfiles.api_key}"},
    )
    created = http.post(
        "/uploads",
        json={"filename": "a.txt", "purpose": "user_data", "bytes": 3, "mime_type": "text/plain"},
    ).json()
    assert list(created) == [
        "id",
        "object",
        "bytes",
        "created_at",
        "expires_at",
        "filename",
        "purpose",
        "status",
    ]
    assert created["object"] == "upload" and created["status"] == "pending"
    part = http.post(f"/uploads/{created['id']}/parts", files={"data": ("x", b"abc")}).json()
    assert list(part) == ["id", "object", "created_at", "upload_id"]
    assert PART_ID.fullmatch(part["id"]) and part["object"] == "upload.part"
    assert part["upload_id"] == created["id"]
    done = http.post(f"/uploads/{created['id']}/complete", json={"part_ids": [part["id"]]}).json()
    assert list(done) == [*created, "file"]
    assert done["status"] == "completed" and done["expires_at"] == created["expires_at"]
    assert done["file"]["object"] == "file" and done["file"]["created_at"] == created["created_at"]
    other = http.post(
        "/uploads",
        json={"filename": "b.txt", "purpose": "user_data", "bytes": 3, "mime_type": "text/plain"},
    ).json()
    cancelled = http.post(f"/uploads/{other['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and "file" not in cancelled


def test_concurrent_parts_completed_in_a_given_order(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    chunks = [bytes([n]) * (1000 + n) for n in range(16)]
    data = b"".join(chunks)
    upload = create(client, data)
    with ThreadPoolExecutor(8) as pool:
        parts = list(
            pool.map(lambda c: client.uploads.parts.create(upload_id=upload.id, data=c), chunks)
        )
    assert len({p.id for p in parts}) == 16
    done = client.uploads.complete(upload_id=upload.id, part_ids=[p.id for p in parts])
    assert done.file is not None
    assert mockfiles.content_of(done.file.id) == data


async def test_async_concurrent_parts_in_reverse_order(
    aclient: openai.AsyncOpenAI, mockfiles: MockFiles
) -> None:
    chunks = [os.urandom(500) for _ in range(10)]
    upload = await aclient.uploads.create(
        filename="r.bin", purpose="user_data", bytes=5000, mime_type="application/octet-stream"
    )
    parts = await asyncio.gather(
        *(aclient.uploads.parts.create(upload_id=upload.id, data=c) for c in chunks)
    )
    done = await aclient.uploads.complete(
        upload_id=upload.id,
        part_ids=[p.id for p in reversed(parts)],
        md5=hashlib.md5(b"".join(reversed(chunks))).hexdigest(),
    )
    assert done.file is not None
    assert mockfiles.content_of(done.file.id) == b"".join(reversed(chunks))


def test_parts_not_named_are_released_and_bytes_are_not_copied(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = create(client, b"x" * 6)
    first = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    client.uploads.parts.create(upload_id=upload.id, data=b"unused part")
    second = client.uploads.parts.create(upload_id=upload.id, data=b"def")
    assert mockfiles.backend.uploads.held_bytes() == 17
    parts = mockfiles.backend.uploads.get(mockfiles.backend.own_tenant, upload.id).parts
    blobs = [parts[first.id].blob, parts[second.id].blob]
    done = client.uploads.complete(upload_id=upload.id, part_ids=[first.id, second.id])
    assert done.file is not None
    assert mockfiles.backend.uploads.held_bytes() == 0
    stored = mockfiles.get_file(done.file.id)
    assert stored.content == b"abcdef"
    # the file's chunks are the very chunk objects the parts arrived in
    arrived = [c for b in blobs for c in b.chunks()]
    kept = list(stored.blob.chunks())
    assert len(kept) == len(arrived)
    assert all(a is b for a, b in zip(kept, arrived, strict=True))


def test_completed_file_is_an_ordinary_file(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = client.uploads.upload_file_chunked(
        file=BATCH_LINE * 3,
        filename="batch.jsonl",
        bytes=len(BATCH_LINE) * 3,
        mime_type="text/jsonl",
        purpose="batch",
        part_size=100,
    )
    assert upload.file is not None
    file_id = upload.file.id
    assert upload.file.expires_at == upload.created_at + 30 * 86_400
    assert [f.id for f in client.files.list(purpose="batch")] == [file_id]
    assert client.files.retrieve(file_id).filename == "batch.jsonl"
    assert client.files.content(file_id).read() == BATCH_LINE * 3
    private = client.uploads.upload_file_chunked(
        file=b"secret", filename="s.txt", bytes=6, mime_type="text/plain", purpose="user_data"
    )
    assert private.file is not None
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.content(private.file.id)
    assert caught.value.body["message"] == "Not allowed to download files of purpose: user_data"  # type: ignore[index]
    assert client.files.delete(file_id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(file_id)


def test_expires_after_applies_to_the_file(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = create(
        client, b"abc", expires_after={"anchor": "created_at", "seconds": 7200}, purpose="vision"
    )
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    mockfiles.clock.advance(600)
    done = client.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert done.file is not None and done.file.expires_at == upload.created_at + 7200
    mockfiles.clock.advance(6601)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(done.file.id)


def test_empty_file(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = client.uploads.upload_file_chunked(
        file=b"", filename="empty.txt", bytes=0, mime_type="text/plain", purpose="vision"
    )
    assert upload.file is not None and upload.file.bytes == 0


# -- expiry --------------------------------------------------------------------------


def check_expiry(client: openai.OpenAI, mock: MockFiles, move: Any) -> None:
    """An Upload is pending until one hour after creation, then expired: parts dropped,
    bytes released, every operation refused with a message naming the expiry."""
    upload = create(client, b"abcdef")
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    move(HOUR - 1)
    assert raw_upload(mock, upload.id) == {"status": "pending", "held": 3}
    move(1)
    assert (
        mock.backend.uploads.status(mock.backend.uploads.get(mock.backend.own_tenant, upload.id))
        == "expired"
    )
    assert mock.backend.uploads.held_bytes() == 0
    for call in (
        lambda: client.uploads.parts.create(upload_id=upload.id, data=b"def"),
        lambda: client.uploads.complete(upload_id=upload.id, part_ids=[part.id]),
        lambda: client.uploads.cancel(upload.id),
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            call()
        message = caught.value.body["message"]  # type: ignore[index]
        assert f"Upload {upload.id}: it expired at {upload.expires_at}" in message
        assert "create a new Upload" in message
    assert mock.stored_files() == []


def test_expiry_with_clock_advance(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    # The clock follows real time: start on a whole second, so "one second before the
    # expiry" is not already past it when the creation fell late in its second.
    mockfiles.clock.set(1_893_456_000)
    check_expiry(client, mockfiles, mockfiles.clock.advance)


def test_expiry_under_freezegun(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    with freeze_time("2030-01-01 00:00:00") as frozen:
        check_expiry(client, mockfiles, lambda seconds: frozen.tick(seconds))


def test_expiry_under_time_machine(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    with time_machine.travel(1_893_456_000, tick=False) as traveller:
        check_expiry(client, mockfiles, traveller.shift)


def test_expired_parts_are_released_on_any_request(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = create(client, b"abc")
    client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    parts = mockfiles.backend.uploads._uploads[upload.id].parts
    mockfiles.clock.advance(HOUR)
    client.files.list()  # any request reads the clock through the state
    assert parts == {}


def test_upload_records_are_forgotten_a_day_after_expiry(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = create(client, b"abc")
    mockfiles.clock.advance(HOUR + 86_400)
    with pytest.raises(openai.NotFoundError) as caught:
        client.uploads.cancel(upload.id)
    assert caught.value.body["message"] == f"No such Upload object: {upload.id}"  # type: ignore[index]
    assert mockfiles.backend.uploads.uploads() == []


# -- tenants -------------------------------------------------------------------------


def test_another_tenants_upload_is_not_found(mockfiles: MockFiles) -> None:
    alice = openai.OpenAI(api_key="sk-alice", max_retries=0)
    bob = openai.OpenAI(api_key="sk-bob", max_retries=0)
    other_project = openai.OpenAI(api_key="sk-alice", project="proj_b", max_retries=0)
    upload = create(alice, b"abc")
    part = alice.uploads.parts.create(upload_id=upload.id, data=b"abc")
    for intruder in (bob, other_project):
        calls: list[Callable[[openai.OpenAI], object]] = [
            lambda c: c.uploads.parts.create(upload_id=upload.id, data=b"abc"),
            lambda c: c.uploads.complete(upload_id=upload.id, part_ids=[part.id]),
            lambda c: c.uploads.cancel(upload.id),
        ]
        for call in calls:
            with pytest.raises(openai.NotFoundError) as caught:
                call(intruder)
            assert caught.value.body["message"] == f"No such Upload object: {upload.id}"  # type: ignore[index]
    done = alice.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert done.file is not None
    assert [f.id for f in mockfiles.stored_files(api_key="sk-alice")] == [done.file.id]
    assert mockfiles.stored_files(api_key="sk-bob") == []
    with pytest.raises(openai.NotFoundError):
        bob.files.retrieve(done.file.id)


@pytest.mark.mockfiles(storage_quota_bytes=10)
def test_quota_applies_at_completion_and_the_upload_stays_pending(mockfiles: MockFiles) -> None:
    client = openai.OpenAI(max_retries=0)
    mockfiles.add_file(b"x" * 8, purpose="batch_output")
    upload = create(client, b"abc")
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    with pytest.raises(openai.BadRequestError) as caught:
        client.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert caught.value.code == "quota_exceeded"
    assert raw_upload(mockfiles, upload.id) == {"status": "pending", "held": 3}
    client.files.delete(mockfiles.stored_files()[0].id)
    done = client.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert done.status == "completed"


# -- scenarios -----------------------------------------------------------------------


def test_scenario_keeps_a_pending_and_a_completed_upload(tmp_path: Path) -> None:
    mock = MockFiles()
    client = mock.openai_client()
    finished = client.uploads.upload_file_chunked(
        file=b"hello world",
        filename="h.txt",
        bytes=11,
        mime_type="text/plain",
        purpose="vision",
        part_size=4,
    )
    pending = create(client, b"abcdef")
    first = client.uploads.parts.create(upload_id=pending.id, data=b"abc")
    cancelled = create(client, b"zz")
    client.uploads.cancel(cancelled.id)
    mock.clock.advance(600)
    path = mock.save_scenario(tmp_path / "uploads.json")
    assert replay(path).ok, replay(path).render()

    loaded = MockFiles.from_scenario(path)
    assert finished.file is not None
    assert loaded.content_of(finished.file.id) == b"hello world"
    stored = loaded.get_file(finished.file.id)
    assert 595 <= loaded.clock.now() - stored.created_at <= 605
    sdk = loaded.openai_client()
    with pytest.raises(openai.BadRequestError, match="already completed"):
        sdk.uploads.cancel(finished.id)
    with pytest.raises(openai.BadRequestError, match="was cancelled"):
        sdk.uploads.parts.create(upload_id=cancelled.id, data=b"zz")
    second = sdk.uploads.parts.create(upload_id=pending.id, data=b"def")
    done = sdk.uploads.complete(upload_id=pending.id, part_ids=[first.id, second.id])
    assert done.file is not None and loaded.content_of(done.file.id) == b"abcdef"
    assert 595 <= loaded.clock.now() - done.created_at <= 605
    assert done.expires_at - done.created_at == HOUR


def test_scenario_pending_upload_expires_after_load(tmp_path: Path) -> None:
    mock = MockFiles()
    client = mock.openai_client()
    pending = create(client, b"abc")
    client.uploads.parts.create(upload_id=pending.id, data=b"abc")
    mock.clock.advance(HOUR - 10)
    path = mock.save_scenario(tmp_path / "s.json")
    loaded = MockFiles.from_scenario(path)
    assert loaded.backend.uploads.held_bytes() == 3
    loaded.clock.advance(11)
    with pytest.raises(openai.BadRequestError, match="expired"):
        loaded.openai_client().uploads.cancel(pending.id)
    assert loaded.backend.uploads.held_bytes() == 0


# -- profiles ------------------------------------------------------------------------


@pytest.mark.mockfiles(profile="azure")
def test_azure_serves_uploads(mockfiles: MockFiles) -> None:
    client = openai.AzureOpenAI()
    data = BATCH_LINE * 4
    upload = client.uploads.upload_file_chunked(
        file=data,
        filename="b.jsonl",
        bytes=len(data),
        mime_type="text/jsonl",
        purpose="batch",
        part_size=64,
    )
    assert upload.file is not None and client.files.content(upload.file.id).read() == data
    assert upload.expires_at == upload.created_at + 2 * HOUR
    (call,) = mockfiles.calls.filter("POST", f"/openai/uploads/{upload.id}/complete")
    assert call.query["api-version"] and call.request_headers["api-key"]


@pytest.mark.parametrize("profile", ["compass", "batch_only"])
def test_providers_without_uploads_answer_invalid_url(profile: str) -> None:
    mock = MockFiles(profile)
    client = mock.openai_client()
    with pytest.raises(openai.NotFoundError) as caught:
        client.uploads.create(filename="a.jsonl", purpose="batch", bytes=1, mime_type="text/jsonl")
    assert caught.value.body["message"] == "Invalid URL (POST /v1/uploads)"  # type: ignore[index]
