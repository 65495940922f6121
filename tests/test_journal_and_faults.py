"""The journal (with pytest-httpx-style assertion messages) and fault injection."""

from __future__ import annotations

import hashlib
import time

import httpx
import openai
import pytest

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer
from mockfiles.transport import Library

from .conftest import BATCH_LINE


def test_calls_hold_the_parsed_request_and_response(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    created = client.files.create(
        file=("in.jsonl", BATCH_LINE),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    call = mockfiles.calls.last
    assert (call.method, call.path, call.status) == ("POST", "/v1/files", 200)
    assert call.form == {
        "purpose": "batch",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": "3600",
    }
    (uploaded,) = call.files
    assert (uploaded.filename, uploaded.size) == ("in.jsonl", len(BATCH_LINE))
    assert uploaded.sha256 == hashlib.sha256(BATCH_LINE).hexdigest()
    assert call.request_headers["authorization"].startswith("Bearer ")
    assert call.response_json["id"] == created.id
    client.files.list(limit=5, order="asc")
    assert mockfiles.calls.last.query == {"limit": "5", "order": "asc"}
    assert mockfiles.calls.count("GET", "/v1/files") == 1
    assert mockfiles.calls.count(path="/v1/*") == 2


def test_assertion_messages_show_what_was_received(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    client.files.list()
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing0000")
    assert len(mockfiles.calls.assert_called("GET", "/v1/files/*")) == 1
    with pytest.raises(AssertionError) as caught:
        mockfiles.calls.assert_called("POST", "/v1/files", times=1)
    assert str(caught.value) == (
        "Expected 1 call(s) to POST /v1/files, the mock received 0:\n  (none)\n"
        "All 2 call(s) received:\n  1. GET /v1/files -> 200\n"
        "  2. GET /v1/files/file-missing0000 -> 404"
    )
    with pytest.raises(AssertionError, match=r"Expected no call to GET any path.*\n  1\. GET"):
        mockfiles.calls.assert_not_called("GET")
    mockfiles.calls.assert_not_called("DELETE")


def test_upload_retried_after_two_429s(mockfiles: MockFiles) -> None:
    mockfiles.faults.add(
        method="POST", path="/v1/files", status=429, times=2, headers={"retry-after-ms": "10"}
    )
    client = openai.OpenAI()  # default retries: 2
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    attempts = mockfiles.calls.assert_called("POST", "/v1/files", times=3)
    assert [c.status for c in attempts] == [429, 429, 200]
    assert attempts[0].response_json["error"]["code"] == "rate_limit_exceeded"
    assert attempts[0].response_headers["retry-after-ms"] == "10"
    assert attempts[2].request_headers["x-stainless-retry-count"] == "2"
    assert [f.id for f in mockfiles.stored_files()] == [created.id]
    assert len(mockfiles.faults) == 0


def test_fault_without_retry_surfaces_the_status(mockfiles: MockFiles) -> None:
    mockfiles.faults.add(status=503, path="/v1/files/*", headers={"x-should-retry": "false"})
    with pytest.raises(openai.InternalServerError) as caught:
        openai.OpenAI().files.retrieve("file-anything000")
    assert caught.value.status_code == 503
    assert caught.value.type == "server_error"
    assert mockfiles.calls.count() == 1  # x-should-retry: false stopped the SDK retrying


def test_faults_match_method_and_path_and_run_out(mockfiles: MockFiles) -> None:
    mockfiles.faults.add(status=500, method="DELETE", times=None)
    client = openai.OpenAI(max_retries=0)
    created = client.files.create(file=b"x", purpose="user_data")
    for _ in range(3):
        with pytest.raises(openai.InternalServerError):
            client.files.delete(created.id)
    assert client.files.retrieve(created.id).id == created.id
    mockfiles.faults.clear()
    assert client.files.delete(created.id).deleted


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("connect", openai.APIConnectionError),
        ("timeout", openai.APITimeoutError),
        ("read", openai.APIConnectionError),
    ],
)
def test_dropped_connection_raises_the_client_error(
    mockfiles: MockFiles, kind: str, error: type[Exception]
) -> None:
    mockfiles.faults.add_disconnect(method="POST", kind=kind)  # type: ignore[arg-type]
    with pytest.raises(error):
        openai.OpenAI(max_retries=0).files.create(file=b"x", purpose="user_data")
    assert mockfiles.stored_files() == []
    assert "connection dropped" in str(mockfiles.calls.last)


def test_sdk_retries_a_dropped_connection(mockfiles: MockFiles) -> None:
    mockfiles.faults.add_disconnect(method="POST", path="/v1/files")
    created = openai.OpenAI().files.create(file=b"x", purpose="user_data")
    assert [c.status for c in mockfiles.calls] == [0, 200]
    assert [f.id for f in mockfiles.stored_files()] == [created.id]


async def test_async_faults(mockfiles: MockFiles) -> None:
    mockfiles.faults.add(status=429, times=1, headers={"retry-after-ms": "1"})
    mockfiles.faults.add_disconnect(times=1, kind="timeout")
    created = await openai.AsyncOpenAI().files.create(file=b"x", purpose="user_data")
    assert [c.status for c in mockfiles.calls] == [429, 0, 200]
    assert mockfiles.get_file(created.id)


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_delay_in_process(library: Library) -> None:
    import importlib

    module = importlib.import_module(library)
    mock = MockFiles()
    mock.faults.add_delay(0.2, method="GET")
    http = module.Client(transport=mock.transport(library), headers={"Authorization": "Bearer k"})
    started = time.perf_counter()
    assert http.get(f"{mock.base_url}/files").status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_delay_async() -> None:
    mock = MockFiles()
    mock.faults.add_delay(0.2)
    started = time.perf_counter()
    await mock.async_openai_client().files.list()
    assert time.perf_counter() - started >= 0.2


def test_faults_through_the_server() -> None:
    mock = MockFiles()
    with ThreadedServer(mock) as server:
        mock.faults.add(status=429, headers={"retry-after": "0"})
        mock.faults.add_disconnect()
        client = openai.OpenAI(base_url=server.base_url, api_key="k")
        created = client.files.create(file=b"x", purpose="user_data")
        assert [c.status for c in mock.calls][-1] == 200
        assert mock.calls.count("POST", "/v1/files") == 3
        assert [f.id for f in mock.stored_files()] == [created.id]
        mock.faults.add_disconnect()
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{server.base_url}/files", headers={"Authorization": "Bearer k"})


def test_bad_fault_arguments() -> None:
    mock = MockFiles()
    with pytest.raises(ValueError, match="4xx or 5xx"):
        mock.faults.add(status=200)
    with pytest.raises(ValueError, match="at least 1"):
        mock.faults.add(status=500, times=0)
