"""Issue 10: no input breaks the mock, and nothing it refuses changes its state.

Raw HTTP with httpx against a real uvicorn server on loopback (``ThreadedServer``), and
the openai SDK where a client would be affected.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockfiles import MockFiles
from mockfiles.auth import tenant_label
from mockfiles.server import ThreadedServer

KEY = {"Authorization": "Bearer sk-A"}
LINE = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


@pytest.fixture
def served() -> Iterator[tuple[MockFiles, httpx.Client]]:
    mock = MockFiles()
    with ThreadedServer(mock) as server, httpx.Client(base_url=server.root_url) as http:
        yield mock, http


def upload(http: httpx.Client, name: str = "in.jsonl", **fields: str) -> httpx.Response:
    return http.post(
        "/v1/files",
        headers=KEY,
        data={"purpose": "batch", **fields},
        files={"file": (name, LINE)},
    )


def snapshot(mock: MockFiles, http: httpx.Client) -> dict[str, Any]:
    """What a refused control request must leave as it was."""
    listed = http.get("/v1/files", headers=KEY)
    assert listed.status_code == 200, listed.text
    return {
        "files": [(f.id, f.filename, f.created_at, f.expires_at) for f in mock.stored_files()],
        "listing": [f["id"] for f in listed.json()["data"]],
        "clock_offset": mock.clock.offset,  # not now(): real time moves between snapshots
        "urls": len(mock.urls),
        "faults": len(mock.faults),
    }


def assert_envelope(response: httpx.Response, status: int = 400, *, detail: bool = True) -> str:
    """The error's message, after checking the body is the profile's envelope: ``error``,
    then (``openai``, recorded 2026-05) ``detail`` repeating the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == (["error", "detail"] if detail else ["error"])
    assert set(body["error"]) == {"message", "type", "param", "code"}
    message: str = body["error"]["message"]
    if detail:
        assert body["detail"] == {"message": message, "code": None}
    return message


# -- 1. control routes validate what they are given --------------------------------


BAD_CONTROL = [
    ("files", '{"created_at": "a", "expires_after_seconds": "b", "content": {"text": "x"}}'),
    ("files", '{"created_at": 1e400}'),
    ("files", '{"created_at": -5}'),
    ("files", '{"created_at": 99999999999999}'),
    ("files", '{"expires_after_seconds": 1e300}'),
    ("files", '{"filename": 7}'),
    ("files", '{"content": {"text": "x", "base64": "eA=="}}'),
    ("files", '{"content": {"base64": "!!!"}}'),
    ("files", '{"content": "plain"}'),
    ("files", '{"api_key": 5}'),
    ("files", '{"surprise": 1}'),
    ("files", "[]"),
    ("clock", '{"advance": 1e400}'),
    ("clock", '{"advance": NaN}'),
    ("clock", '{"advance": -Infinity}'),
    ("clock", '{"advance": 1e300}'),
    ("clock", '{"set": -1}'),
    ("clock", '{"set": 1e20}'),
    ("clock", '{"advance": 1, "set": 2}'),
    ("clock", '{"advance": true}'),
    ("urls", '{"url": "https://x.test/a", "status": "x"}'),
    ("urls", '{"url": "https://x.test/a", "status": 1000}'),
    ("urls", '{"url": "ftp://x.test/a"}'),
    ("urls", '{"url": "https://x.test/a", "headers": {"a": 1}}'),
    ("urls", '{"url": "https://x.test/a", "content": {"base64": "%%%"}}'),
    ("faults", '{"status": 200}'),
    ("faults", '{"status": 500, "times": 0}'),
    ("faults", '{"status": "500"}'),
    ("faults", '{"status": 500, "method": "FETCH"}'),
    ("faults", '{"status": 500, "headers": {"retry-after": 1}}'),
    ("faults", '{"status": 500, "delay": 5}'),
    ("scenario", '{"format": "mockfiles.scenario", "version": 1, "steps": [{"seed": 5}]}'),
    ("scenario", '{"format": "mockfiles.scenario", "version": 1, "steps": [7]}'),
    (
        "scenario",
        '{"format": "mockfiles.scenario", "version": 1, "steps": [{"seed": {"id": "file-x", '
        '"filename": "a.jsonl", "purpose": "batch", "created_at": "a", "content": {"text": ""}}}]}',
    ),
    (
        "scenario",
        '{"format": "mockfiles.scenario", "version": 1, "steps": [{"seed": {"id": "file-x", '
        '"filename": "a.jsonl", "purpose": "batch", "created_at": 1e400, "content": {}}}]}',
    ),
    ("scenario", '{"format": "mockfiles.scenario", "version": 1, "steps": [{"url": {}}]}'),
]


@pytest.mark.parametrize(("route", "body"), BAD_CONTROL)
def test_bad_control_bodies_answer_400_and_change_nothing(
    served: tuple[MockFiles, httpx.Client], route: str, body: str
) -> None:
    mock, http = served
    assert upload(http).status_code == 200
    before = snapshot(mock, http)
    response = http.post(f"/_mock/{route}", content=body)
    assert_envelope(response)
    assert snapshot(mock, http) == before
    # and every later request of every kind still works
    assert upload(http).status_code == 200
    assert http.get(f"/v1/files/{before['files'][0][0]}", headers=KEY).status_code == 200
    assert http.get("/_mock/journal").status_code == 200


def test_duplicate_seed_ids_in_a_scenario_are_refused(
    served: tuple[MockFiles, httpx.Client],
) -> None:
    mock, http = served
    seed = {
        "id": "file-dup",
        "filename": "a.jsonl",
        "purpose": "batch",
        "created_at": 1_700_000_000,
        "expires_at": None,
        "content": {"text": "{}\n"},
        "tenant": tenant_label("sk-A"),
    }
    doc = {
        "format": "mockfiles.scenario",
        "version": 1,
        "recorded_at": 1_700_000_100,
        "steps": [{"seed": seed}, {"seed": seed}],
    }
    created = upload(http).json()["id"]
    before = snapshot(mock, http)
    message = assert_envelope(http.post("/_mock/scenario", json=doc))
    assert "file-dup" in message
    assert snapshot(mock, http) == before
    assert http.delete(f"/v1/files/{created}", headers=KEY).status_code == 200
    assert http.get("/v1/files", headers=KEY).json()["data"] == []


def test_clock_route_moves_within_range(served: tuple[MockFiles, httpx.Client]) -> None:
    mock, http = served
    response = http.post("/_mock/clock", json={"advance": 86_400})
    assert response.status_code == 200
    assert abs(response.json()["now"] - mock.clock.now()) < 5
    assert upload(http).status_code == 200


def test_faults_route_queues_what_faults_add_does(served: tuple[MockFiles, httpx.Client]) -> None:
    mock, http = served
    queued = http.post(
        "/_mock/faults",
        json={
            "method": "POST",
            "path": "/v1/files",
            "status": 429,
            "times": 2,
            "headers": {"retry-after-ms": "5"},
        },
    )
    assert queued.status_code == 200, queued.text
    assert queued.json()["times"] == 2
    client = openai.OpenAI(base_url=str(http.base_url) + "/v1", api_key="sk-A", max_retries=2)
    created = client.files.create(file=("a.jsonl", LINE), purpose="batch")
    statuses = [c.status for c in mock.calls.filter("POST", "/v1/files")]
    assert statuses == [429, 429, 200]
    assert mock.calls.filter("POST", "/v1/files")[0].response_headers["retry-after-ms"] == "5"
    assert [f.id for f in mock.stored_files()] == [created.id]
    assert len(mock.faults) == 0


# -- 2. names that cannot be encoded ---------------------------------------------------


def test_lone_surrogate_filename_refused_at_seed(served: tuple[MockFiles, httpx.Client]) -> None:
    mock, http = served
    before = snapshot(mock, http)
    body = '{"filename": "bad\\udc80.jsonl", "purpose": "batch", "content": {"text": "{}"}}'
    message = assert_envelope(http.post("/_mock/files", content=body))
    assert "UTF-8" in message
    assert snapshot(mock, http) == before
    assert http.get("/_mock/journal").status_code == 200
    assert not [step for step in mock.scenario()["steps"] if "seed" in step]


def test_lone_surrogate_filename_refused_in_a_scenario(
    served: tuple[MockFiles, httpx.Client],
) -> None:
    mock, http = served
    steps = (
        '[{"seed": {"id": "file-s", "filename": "x\\udc80", "purpose": "batch", '
        '"created_at": 1700000000, "expires_at": null, "content": {"text": ""}}}]'
    )
    body = f'{{"format": "mockfiles.scenario", "version": 1, "steps": {steps}}}'
    before = snapshot(mock, http)
    assert_envelope(http.post("/_mock/scenario", content=body))
    assert snapshot(mock, http) == before
    # the Python entrance refuses it too (the file service checks every name)
    with pytest.raises(ValueError, match="UTF-8"):
        mock.load_scenario(json.loads(body))
    assert mock.stored_files() == []


def test_filename_checks_in_multipart_uploads(served: tuple[MockFiles, httpx.Client]) -> None:
    mock, http = served
    boundary = "b0undary"

    def raw_upload(filename: bytes) -> httpx.Response:
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=purpose\r\n\r\nbatch\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name=file; filename="'.encode()
            + filename
            + b'"\r\nContent-Type: application/jsonl\r\n\r\n'
            + LINE
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {**KEY, "content-type": f"multipart/form-data; boundary={boundary}"}
        return http.post("/v1/files", content=body, headers=headers)

    # a surrogate encoded as UTF-8 bytes (invalid UTF-8)
    assert_envelope(raw_upload(b"a\xed\xb2\x80.jsonl"))
    # NUL is refused, LF is stored as given and downloads as one safe header
    assert "NUL" in assert_envelope(raw_upload(b"a\x00b.jsonl"))
    assert mock.stored_files() == []
    stored = raw_upload(b"two\nlines.jsonl")
    assert stored.status_code == 200 and stored.json()["filename"] == "two\nlines.jsonl"
    listed = http.get("/v1/files", headers=KEY)
    assert listed.status_code == 200
    download = http.get(f"/v1/files/{stored.json()['id']}/content", headers=KEY)
    assert download.status_code == 200
    assert "\n" not in download.headers["content-disposition"]
    assert http.get("/_mock/journal").status_code == 200


def test_lone_surrogate_filename_refused_by_compass_import() -> None:
    mock = MockFiles("compass")
    url = "https://data.example/in.jsonl"
    mock.urls.register(url, LINE)
    with ThreadedServer(mock) as server, httpx.Client(base_url=server.base_url) as http:
        auth = {"api-key": "sk-A"}
        body = f'{{"content_url": "{url}", "filename": "x\\udc80.jsonl", "purpose": "fine-tune"}}'
        response = http.post("/files/import", content=body, headers=auth)
        assert_envelope(response, detail=False)
        assert mock.stored_files() == []
        assert http.get("/files", headers=auth).status_code == 200
        hint = http.post(
            "/files/import",
            json={"content_url": url + "x", "filename": "a.jsonl", "purpose": "fine-tune"},
            headers=auth,
        )
        message = assert_envelope(hint, detail=False)
        assert "mock.urls.register(" in message and "POST /_mock/urls" in message


def test_lone_surrogate_filename_refused_by_uploads(
    served: tuple[MockFiles, httpx.Client],
) -> None:
    mock, http = served
    body = (
        '{"filename": "x\\udc80.jsonl", "purpose": "batch", "bytes": 3, "mime_type": "text/plain"}'
    )
    assert "UTF-8" in assert_envelope(http.post("/v1/uploads", content=body, headers=KEY))
    assert http.get("/_mock/journal").status_code == 200
    assert mock.stored_files() == []


def test_json_bodies_with_unencodable_text_or_nan_are_refused(
    served: tuple[MockFiles, httpx.Client],
) -> None:
    mock, http = served
    file_id = upload(http).json()["id"]
    batch = (
        f'{{"input_file_id": "{file_id}", "endpoint": "/v1/chat/completions", '
        '"completion_window": "24h", "metadata": {"k": "\\udc80"}}'
    )
    assert "UTF-8" in assert_envelope(http.post("/v1/batches", content=batch, headers=KEY))
    assert http.get("/v1/batches", headers=KEY).status_code == 200
    bad_upload = '{"filename": "a.jsonl", "purpose": "batch", "bytes": NaN, "mime_type": "x"}'
    assert_envelope(http.post("/v1/uploads", content=bad_upload, headers=KEY))
    assert http.get("/_mock/journal").status_code == 200
    assert [f.id for f in mock.stored_files()] == [file_id]


# -- 4. who may use the control routes --------------------------------------------------


async def test_control_routes_refuse_other_hosts_without_a_token() -> None:
    mock = MockFiles()
    outside = httpx.ASGITransport(app=mock.app, client=("192.0.2.7", 5555))
    async with httpx.AsyncClient(transport=outside, base_url="http://mock") as http:
        for method, route in [("POST", "reset"), ("GET", "journal"), ("POST", "clock")]:
            response = await http.request(method, f"/_mock/{route}", json={"advance": 5})
            assert "loopback" in assert_envelope(response, 403)
        # the API itself still answers them
        assert (await http.get("/v1/files", headers=KEY)).status_code == 200
    inside = httpx.ASGITransport(app=mock.app, client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(transport=inside, base_url="http://mock") as http:
        assert (await http.post("/_mock/reset")).status_code == 200


async def test_control_token_lets_other_hosts_in() -> None:
    mock = MockFiles(control_token="s3cret")
    outside = httpx.ASGITransport(app=mock.app, client=("192.0.2.7", 5555))
    async with httpx.AsyncClient(transport=outside, base_url="http://mock") as http:
        assert_envelope(await http.post("/_mock/reset"), 403)
        wrong = {"x-mockfiles-control-token": "guess"}
        assert_envelope(await http.post("/_mock/reset", headers=wrong), 403)
        right = {"x-mockfiles-control-token": "s3cret"}
        assert (await http.post("/_mock/reset", headers=right)).status_code == 200


# -- 7. smaller: identity, integers, framing, headers ------------------------------


def test_tenant_labels_do_not_collide(served: tuple[MockFiles, httpx.Client]) -> None:
    _, http = served
    owner = {"Authorization": "Bearer sk-A", "OpenAI-Project": "p"}
    made = http.post(
        "/v1/files", headers=owner, data={"purpose": "batch"}, files={"file": ("a.jsonl", LINE)}
    )
    assert made.status_code == 200
    file_id = made.json()["id"]
    lookalike = {"Authorization": "Bearer sk-A|p"}
    assert http.get(f"/v1/files/{file_id}", headers=lookalike).status_code == 404
    assert http.get("/v1/files", headers=lookalike).json()["data"] == []
    assert http.get(f"/v1/files/{file_id}", headers=owner).status_code == 200


@pytest.mark.parametrize("path", ["/v1/files", "/v1/batches"])
@pytest.mark.parametrize("limit", [" 3", "3 ", "3_0", "\u0663", "+3", "3.0", "0x3"])
def test_limit_takes_plain_decimal_digits_only(
    served: tuple[MockFiles, httpx.Client], limit: str, path: str
) -> None:
    _, http = served
    response = http.get(path, params={"limit": limit}, headers=KEY)
    assert "limit" in assert_envelope(response)
    assert http.get(path, params={"limit": "3"}, headers=KEY).status_code == 200


@pytest.mark.parametrize("seconds", [" 3600 ", "3_600", "\u0663\u0666\u0660\u0660", "+3600"])
def test_expiry_seconds_take_plain_decimal_digits_only(
    served: tuple[MockFiles, httpx.Client], seconds: str
) -> None:
    mock, http = served
    fields = {"expires_after[anchor]": "created_at", "expires_after[seconds]": seconds}
    assert_envelope(upload(http, **fields))
    assert mock.stored_files() == []
    fields["expires_after[seconds]"] = "3600"
    assert upload(http, **fields).status_code == 200


def _raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def test_transfer_encoding_with_content_length_is_refused() -> None:
    mock = MockFiles()
    with ThreadedServer(mock) as server:
        for path in ("/v1/files", "/_mock/reset"):
            request = (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-A\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                "Content-Length: 5\r\n\r\n0\r\n\r\n"
            ).encode()
            head = _raw_exchange(server.port, request)
            assert head.startswith(b"HTTP/1.1 400"), head
    assert mock.stored_files() == []


def test_responses_carry_openai_headers(served: tuple[MockFiles, httpx.Client]) -> None:
    _, http = served
    for response in (upload(http), http.get("/v1/files", headers=KEY), http.get("/v1/files")):
        assert response.headers["openai-version"] == "2020-10-01"
        assert response.headers["openai-processing-ms"].isdigit()
        assert response.headers["x-request-id"].startswith("req_")
