"""Size limits, quotas and the refusal of oversize bodies before they are read."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from mockfiles import MockFiles

AUTH = {"Authorization": "Bearer sk-test"}
HEAD = (
    b'--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
    b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'
)
TAIL = b"\r\n--B--\r\n"
MULTIPART_B = {"content-type": "multipart/form-data; boundary=B"}


@pytest.mark.mockfiles(max_file_bytes=1000)
def test_file_over_limit_is_413(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    client.files.create(file=("ok.jsonl", b"x" * 1000), purpose="batch")
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("big.jsonl", b"x" * 1001), purpose="batch")
    assert caught.value.status_code == 413
    assert caught.value.body["message"].startswith("File is too large")  # type: ignore[index]
    assert len(mockfiles.stored_files()) == 1


@pytest.mark.mockfiles(purpose_max_bytes={"batch": 100})
def test_batch_has_its_own_limit(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("b.jsonl", b"x" * 101), purpose="batch")
    assert caught.value.status_code == 413
    assert "purpose 'batch'" in caught.value.message
    client.files.create(file=("t.jsonl", b"x" * 101), purpose="fine-tune")
    assert [f.purpose for f in mockfiles.stored_files()] == ["fine-tune"]


@pytest.mark.mockfiles(storage_quota_bytes=10)
def test_quota_refuses_and_stores_nothing(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    client.files.create(file=("a.jsonl", b"12345678"), purpose="batch")
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("b.jsonl", b"12345678"), purpose="batch")
    assert caught.value.code == "quota_exceeded"
    assert "quota" in caught.value.message
    assert [f.filename for f in mockfiles.stored_files()] == ["a.jsonl"]
    client.files.delete(mockfiles.stored_files()[0].id)
    client.files.create(file=("b.jsonl", b"12345678"), purpose="batch")


class CountingBody:
    """A request body that records how much of it the server pulled."""

    def __init__(self, chunks: int, chunk_size: int = 64 * 1024) -> None:
        self.total = chunks
        self.chunk = b"x" * chunk_size
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        yield HEAD
        for _ in range(self.total):
            self.pulled += 1
            yield self.chunk
        yield TAIL


@pytest.mark.mockfiles(max_file_bytes=1024 * 1024)
def test_declared_oversize_body_is_refused_unread(mockfiles: MockFiles) -> None:
    body = CountingBody(chunks=10_000)
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers=AUTH)
    response = http.post(
        f"{mockfiles.base_url}/files",
        content=iter(body),
        headers={**MULTIPART_B, "content-length": str(10_000 * 64 * 1024)},
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("File is too large")
    assert body.pulled == 0
    assert mockfiles.stored_files() == []


@pytest.mark.mockfiles(max_file_bytes=1024 * 1024)
def test_chunked_oversize_body_stops_at_the_limit(mockfiles: MockFiles) -> None:
    body = CountingBody(chunks=10_000)
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers=AUTH)
    response = http.post(f"{mockfiles.base_url}/files", content=iter(body), headers=MULTIPART_B)
    assert response.status_code == 413
    assert body.pulled == 17  # 16 chunks fill the 1 MiB limit; the 17th passes it
    assert mockfiles.stored_files() == []


def test_upload_is_kept_as_received_chunks(mockfiles: MockFiles) -> None:
    body = CountingBody(chunks=8)
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers=AUTH)
    response = http.post(f"{mockfiles.base_url}/files", content=iter(body), headers=MULTIPART_B)
    assert response.status_code == 200
    stored = mockfiles.stored_files()[0]
    assert stored.bytes == 8 * 64 * 1024
    assert stored.content == b"x" * (8 * 64 * 1024)
    assert mockfiles.calls.last.files[0].size == 8 * 64 * 1024


def test_too_many_fields_and_long_fields(mockfiles: MockFiles) -> None:
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers=AUTH)
    many = {f"f{i}": (None, "v") for i in range(40)}
    response = http.post(f"{mockfiles.base_url}/files", files=many)
    assert response.status_code == 400
    assert "Too many form fields" in response.json()["error"]["message"]
    long: dict[str, tuple[str | None, bytes]] = {
        "purpose": (None, b"b" * 100_000),
        "file": ("a.jsonl", b"{}"),
    }
    response = http.post(f"{mockfiles.base_url}/files", files=long)
    assert response.status_code == 400
    assert "'purpose' is too long" in response.json()["error"]["message"]
