"""Abuse: lying Content-Length, hostile filenames, concurrency, memory under oversize
uploads, frozen time around a server thread. Each bad input is a 4xx envelope and
changes nothing."""

from __future__ import annotations

import concurrent.futures
import socket
import time
import tracemalloc
from collections.abc import Iterator

import httpx
import openai
import pytest
from freezegun import freeze_time

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer

AUTH = {"Authorization": "Bearer sk-robust"}
HEAD = (
    b'--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
    b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n'
)
GOOD_BODY = HEAD + b'{"a": 1}\n' + b"\r\n--B--\r\n"


def raw_http(port: int, request: bytes, shut_write: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
            if b"\r\n\r\n" in b"".join(chunks) and b"}}" in data:
                break
        return b"".join(chunks)


def upload_request(body: bytes, declared: int) -> bytes:
    return (
        b"POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-robust\r\n"
        b"Content-Type: multipart/form-data; boundary=B\r\n"
        + f"Content-Length: {declared}\r\nConnection: close\r\n\r\n".encode()
        + body
    )


@pytest.fixture
def served() -> Iterator[tuple[MockFiles, ThreadedServer]]:
    mock = MockFiles()
    with ThreadedServer(mock) as server:
        yield mock, server


def test_short_content_length_through_the_server(
    served: tuple[MockFiles, ThreadedServer],
) -> None:
    mock, server = served
    reply = raw_http(server.port, upload_request(GOOD_BODY, len(GOOD_BODY) - 10))
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"truncated" in reply and b'"type":"invalid_request_error"' in reply
    assert mock.stored_files() == []


def test_long_content_length_through_the_server(
    served: tuple[MockFiles, ThreadedServer],
) -> None:
    """The body ends before its Content-Length and the client stops sending: no HTTP
    answer can follow, so the server closes the connection; nothing is stored."""
    mock, server = served
    request = upload_request(GOOD_BODY, len(GOOD_BODY) + 50)
    reply = raw_http(server.port, request, shut_write=True)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert mock.stored_files() == []
    assert httpx.get(f"{server.base_url}/files", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("declared_delta", "fragment"),
    [(-10, "truncated"), (50, "fewer bytes than its Content-Length")],
)
def test_lying_content_length_in_process(declared_delta: int, fragment: str) -> None:
    mock = MockFiles()
    http = httpx.Client(transport=mock.transport("httpx"), headers=AUTH)
    response = http.post(
        f"{mock.base_url}/files",
        content=iter([GOOD_BODY]),
        headers={
            "content-type": "multipart/form-data; boundary=B",
            "content-length": str(len(GOOD_BODY) + declared_delta),
        },
    )
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert mock.stored_files() == []


@pytest.mark.parametrize(
    "filename",
    [
        'evil"name.jsonl',
        "line\r\nInjected: yes.jsonl",
        "back\\slash.jsonl",
        "ünïcødé.jsonl",
        "semi;colon=1.jsonl",
    ],
)
def test_hostile_filenames_keep_one_safe_header(
    served: tuple[MockFiles, ThreadedServer], filename: str
) -> None:
    _, server = served
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-robust", max_retries=0)
    created = client.files.create(file=(filename, b'{"a": 1}\n'), purpose="batch")
    with httpx.Client() as http:
        response = http.get(f"{server.base_url}/files/{created.id}/content", headers=AUTH)
    assert response.status_code == 200
    dispositions = response.headers.get_list("content-disposition")
    assert len(dispositions) == 1
    assert "\r" not in dispositions[0] and "\n" not in dispositions[0]
    assert "injected" not in {k.lower() for k in response.headers}
    assert response.content == b'{"a": 1}\n'


@pytest.mark.parametrize(
    ("length", "fragment"),
    [(2000, "filename is too long: 2006 characters"), (20_000, "Maximum header size exceeded")],
)
def test_very_long_filename_is_refused(length: int, fragment: str) -> None:
    mock = MockFiles()
    with pytest.raises(openai.BadRequestError) as caught:
        mock.openai_client(max_retries=0).files.create(
            file=("x" * length + ".jsonl", b"{}\n"), purpose="batch"
        )
    assert fragment in caught.value.message
    assert mock.stored_files() == []


def test_empty_filename_is_refused() -> None:
    mock = MockFiles()
    http = httpx.Client(transport=mock.transport("httpx"), headers=AUTH)
    response = http.post(
        f"{mock.base_url}/files", files={"purpose": (None, "batch"), "file": ("", b"{}")}
    )
    assert response.status_code == 400
    assert mock.stored_files() == []


def run_mixed_operations(client: openai.OpenAI, worker: int) -> tuple[set[str], set[str]]:
    """100 operations: uploads, lists, retrieves, deletes. Returns (kept, deleted) ids."""
    mine: list[str] = []
    deleted: set[str] = set()
    for step in range(100):
        kind = step % 4
        if kind == 0 or not mine:
            created = client.files.create(
                file=(f"w{worker}-{step}.jsonl", f'{{"w": {worker}, "s": {step}}}\n'.encode()),
                purpose="batch",
            )
            mine.append(created.id)
        elif kind == 1:
            client.files.list(limit=20)
        elif kind == 2:
            assert client.files.retrieve(mine[-1]).id == mine[-1]
        else:
            victim = mine.pop(0)
            assert client.files.delete(victim).deleted
            deleted.add(victim)
    return set(mine), deleted


def check_concurrent_run(mock: MockFiles, client: openai.OpenAI) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda w: run_mixed_operations(client, w), range(16)))
    kept = set().union(*(r[0] for r in results))
    deleted = set().union(*(r[1] for r in results))
    assert sum(len(r[0]) for r in results) == len(kept)  # no id handed out twice
    assert not kept & deleted
    stored = {f.id for f in mock.stored_files()}
    assert stored == kept  # nothing lost, nothing left over
    listed = [f.id for f in client.files.list()]
    assert len(listed) == len(set(listed)) == len(kept)
    for file_id in listed:  # every listed file readable
        assert client.files.content(file_id).read().startswith(b'{"w": ')
    uploads = mock.calls.count("POST", "/v1/files")
    assert uploads == len(kept) + len(deleted)


def test_concurrency_in_process() -> None:
    mock = MockFiles()
    check_concurrent_run(mock, mock.openai_client(api_key="sk-robust", max_retries=0))


def test_concurrency_through_the_server(served: tuple[MockFiles, ThreadedServer]) -> None:
    mock, server = served
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-robust", max_retries=0)
    check_concurrent_run(mock, client)


def test_oversize_chunked_upload_memory_stays_bounded() -> None:
    limit = 8 * 1024 * 1024
    mock = MockFiles(max_file_bytes=limit)
    pulled = 0

    def body() -> Iterator[bytes]:
        nonlocal pulled
        yield HEAD
        for _ in range(4800):  # 300 MB in fresh 64 KiB chunks, if it were all read
            pulled += 1
            yield bytes(bytearray(64 * 1024))

    http = httpx.Client(transport=mock.transport("httpx"), headers=AUTH)
    tracemalloc.start()
    try:
        response = http.post(
            f"{mock.base_url}/files",
            content=body(),
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert pulled == limit // (64 * 1024) + 1
    print(
        f"oversize chunked upload: read {pulled * 64} KiB of 300 MiB, "
        f"peak traced memory {peak / 2**20:.1f} MiB"
    )
    assert peak < 3 * limit
    assert mock.stored_files() == []


def test_server_thread_survives_frozen_time() -> None:
    mock = MockFiles()
    server = ThreadedServer(mock)
    server.start()
    with freeze_time("2030-01-01"):
        response = httpx.get(f"{server.base_url}/files", headers=AUTH)
        assert response.status_code == 200
        created = mock.add_file(b"x", purpose="batch_output")
        assert created.created_at == 1_893_456_000
    began = time.perf_counter()
    server.stop()
    assert time.perf_counter() - began < 3
