"""Fidelity to the service's recorded traffic: what a real client sees, byte for byte
where it can tell (../shared/reference/real-api-behaviour.md, "Recorded real traffic").

Through the openai SDK, and through raw HTTP where the SDK hides the difference (key
order, headers, a multipart body written by hand as the .NET SDK writes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from mockfiles import MockFiles
from mockfiles.profile_table import markdown_table
from mockfiles.profiles import BUILTIN_PROFILES, DOCUMENTED_KEY_ORDER
from mockfiles.scenario import replay
from mockfiles.server import ThreadedServer

from .conftest import BATCH_LINE

AUTH = {"Authorization": "Bearer sk-test"}
THIRTY_DAYS = 30 * 86_400
FILE_KEYS = [
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
# What the .NET SDK sends for a file named 你好.txt.
DOTNET_NIHAO = "filename=\"=?utf-8?B?5L2g5aW9LnR4dA==?=\"; filename*=utf-8''%E4%BD%A0%E5%A5%BD.txt"
BOUNDARY = "dotnet-2f6c1e0a-9b7d-4c55-8f0e-3a1d2b9c7e11"


def hand_built_upload(
    purpose: str, file_params: str, content: bytes
) -> tuple[dict[str, str], bytes]:
    """Headers and a multipart body written byte by byte, as a foreign client does it
    (unquoted ``name``, as .NET writes it)."""
    head = (
        f"--{BOUNDARY}\r\n"
        "Content-Disposition: form-data; name=purpose\r\n\r\n"
        f"{purpose}\r\n"
        f"--{BOUNDARY}\r\n"
        f"Content-Disposition: form-data; name=file; {file_params}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode("ascii") + content + f"\r\n--{BOUNDARY}--\r\n".encode("ascii")
    return {**AUTH, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, body


@pytest.fixture
def http(mockfiles: MockFiles) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=mockfiles.transport("httpx"), base_url=mockfiles.base_url, headers=AUTH
    ) as client:
        yield client


def upload(http: httpx.Client, name: str = "in.jsonl", purpose: str = "batch") -> dict[str, Any]:
    response = http.post("/files", files={"purpose": (None, purpose), "file": (name, BATCH_LINE)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- 1. a batch file named without .jsonl is accepted ---------------------------------


@pytest.mark.parametrize("profile", ["openai", "azure"])
def test_batch_upload_named_without_jsonl_is_accepted(profile: str) -> None:
    mock = MockFiles(profile)
    client = mock.openai_client(max_retries=0)
    created = client.files.create(file=("test-batch-file", BATCH_LINE), purpose="batch")
    assert (created.filename, created.purpose, created.status) == (
        "test-batch-file",
        "batch",
        "processed",
    )
    assert created.expires_at == created.created_at + THIRTY_DAYS
    assert client.files.content(created.id).read() == BATCH_LINE
    assert [f.filename for f in mock.stored_files()] == ["test-batch-file"]
    # fine-tune keeps the rule
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("train", b'{"messages": []}\n'), purpose="fine-tune")
    assert caught.value.body == {
        "message": "Invalid file format for Fine-Tuning API. Must be .jsonl",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert len(mock.stored_files()) == 1


@pytest.mark.mockfiles(jsonl_filename_required=frozenset({"batch", "fine-tune"}))
def test_older_jsonl_reading_is_a_profile_setting(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("test-batch-file", BATCH_LINE), purpose="batch")
    assert caught.value.body == {
        "message": "Invalid file format for Batch API. Must be .jsonl",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert mockfiles.stored_files() == []


def test_batch_only_profile_keeps_its_jsonl_rule() -> None:
    client = MockFiles("batch_only").openai_client(max_retries=0)
    with pytest.raises(openai.BadRequestError, match=r"Batch API\. Must be \.jsonl"):
        client.files.create(file=("test-batch-file", BATCH_LINE), purpose="batch")


def table_row(label: str) -> list[str]:
    for line in markdown_table(BUILTIN_PROFILES).splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in the profile table")


def test_profile_table_shows_who_applies_each_reading() -> None:
    assert [p.name for p in BUILTIN_PROFILES] == ["openai", "compass", "batch_only", "azure"]
    assert table_row("`.jsonl` name required") == [
        "`fine-tune`",
        "`fine-tune`",
        "`batch`",
        "`fine-tune`",
    ]
    assert table_row("`detail` beside `error` in error bodies") == ["yes", "no", "no", "no"]
    assert table_row("`openai-organization`, `openai-project` headers") == [
        "yes",
        "no",
        "no",
        "no",
    ]
    assert table_row("key order of file objects, lists, deletes") == [
        "as recorded (2025-10)",
        "as documented",
        "as documented",
        "as recorded (2025-10)",
    ]


# -- 2. errors carry a sibling detail -------------------------------------------------


def check_service_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The 2026-05 error body: ``error`` (four keys), then ``detail`` repeating the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error", "detail"]
    error: dict[str, Any] = body["error"]
    assert list(error) == ["message", "type", "param", "code"]
    assert body["detail"] == {"message": error["message"], "code": None}
    return error


@pytest.mark.parametrize(
    ("request_kwargs", "status", "message"),
    [
        ({"method": "GET", "url": "/files/file-nope"}, 404, "No such File object: file-nope"),
        (
            {"method": "GET", "url": "/files", "headers": {"Authorization": ""}},
            401,
            "You didn't provide an API key.",
        ),
        ({"method": "GET", "url": "/nothing"}, 404, "Invalid URL (GET /v1/nothing)"),
        ({"method": "GET", "url": "/files", "params": {"limit": "0"}}, 400, "Invalid 'limit'"),
        (
            {
                "method": "POST",
                "url": "/files",
                "files": {"purpose": (None, "training"), "file": ("a.jsonl", b"{}")},
            },
            400,
            "'training' is not one of",
        ),
        (
            {
                "method": "POST",
                "url": "/files",
                "files": {"purpose": (None, "batch"), "file": ("a.jsonl", b"x" * 64)},
            },
            413,
            "File is too large",
        ),
    ],
)
@pytest.mark.mockfiles(max_file_bytes=32)
def test_every_error_carries_detail(
    http: httpx.Client, request_kwargs: dict[str, Any], status: int, message: str
) -> None:
    error = check_service_error(http.request(**request_kwargs), status)
    assert error["message"].startswith(message)


def test_injected_faults_carry_detail_too(mockfiles: MockFiles, http: httpx.Client) -> None:
    mockfiles.faults.add(status=429, path="/v1/files")
    mockfiles.faults.add(status=500, path="/v1/files")
    assert check_service_error(http.get("/files"), 429)["code"] == "rate_limit_exceeded"
    assert check_service_error(http.get("/files"), 500)["type"] == "server_error"


def test_control_route_errors_use_the_profile_envelope(mockfiles: MockFiles) -> None:
    with httpx.Client(transport=mockfiles.transport("httpx")) as control:
        response = control.post(f"{mockfiles.root_url}/_mock/clock", json={"advance": "soon"})
    assert check_service_error(response, 400)["param"] == "advance"


def test_sdk_reads_the_error_and_ignores_detail(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.files.retrieve("file-nope")
    assert caught.value.body == {
        "message": "No such File object: file-nope",
        "type": "invalid_request_error",
        "param": "id",
        "code": None,
    }
    assert caught.value.response.json()["detail"] == {
        "message": "No such File object: file-nope",
        "code": None,
    }


@pytest.mark.parametrize(
    ("profile", "changes"),
    [("openai", {"error_detail": False}), ("compass", {}), ("batch_only", {}), ("azure", {})],
)
def test_error_without_detail(profile: str, changes: dict[str, Any]) -> None:
    mock = MockFiles(profile, **changes)
    headers = {"Authorization": "Bearer k", "api-key": "k"}
    with httpx.Client(transport=mock.transport("httpx"), headers=headers) as raw:
        response = raw.get(f"{mock.base_url}/files/file-nope", params={"api-version": "2024-10-21"})
    assert response.status_code == 404
    assert list(response.json()) == ["error"]


# -- 3. an unknown purpose names the param --------------------------------------------


def test_unknown_purpose_answers_param_purpose(
    client: openai.OpenAI, http: httpx.Client, mockfiles: MockFiles
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("a.jsonl", b"{}"), purpose="training")  # type: ignore[arg-type]
    assert caught.value.param == "purpose"
    assert caught.value.body["message"].endswith("- 'purpose'")  # type: ignore[index]
    raw = http.post("/files", files={"purpose": (None, "nope"), "file": ("a.jsonl", b"{}")})
    assert check_service_error(raw, 400)["param"] == "purpose"
    missing = http.post("/files", files={"file": ("a.jsonl", b"{}")})
    assert check_service_error(missing, 400)["param"] is None  # nothing to point at
    assert mockfiles.stored_files() == []


# -- 4. filename* (RFC 5987) is the stored name ---------------------------------------


def test_dotnet_filename_star_is_stored_decoded(
    http: httpx.Client, client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    headers, body = hand_built_upload("batch", DOTNET_NIHAO, BATCH_LINE)
    response = http.post("/files", content=body, headers=headers)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["filename"] == "你好.txt"
    assert '"filename":"你好.txt"'.encode() in response.content  # not escaped
    assert mockfiles.get_file(created["id"]).filename == "你好.txt"
    assert mockfiles.calls.last.files[0].filename == "你好.txt"
    same_key = client.with_options(api_key=AUTH["Authorization"].removeprefix("Bearer "))
    assert same_key.files.retrieve(created["id"]).filename == "你好.txt"
    download = http.get(f"/files/{created['id']}/content")
    assert download.content == BATCH_LINE
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"__.txt\"; filename*=UTF-8''%E4%BD%A0%E5%A5%BD.txt"
    )


@pytest.mark.parametrize(
    ("file_params", "stored"),
    [
        ("filename*=utf-8''%E4%BD%A0%E5%A5%BD.jsonl", "你好.jsonl"),  # no plain filename at all
        ("filename*=UTF-8''a%20b.jsonl; filename=\"a_b.jsonl\"", "a b.jsonl"),  # either order
        ("filename*=iso-8859-1'fr'%E9t%E9.jsonl", "été.jsonl"),
        ('filename="plain.jsonl"', "plain.jsonl"),
    ],
)
def test_filename_star_variants(
    http: httpx.Client, mockfiles: MockFiles, file_params: str, stored: str
) -> None:
    headers, body = hand_built_upload("batch", file_params, BATCH_LINE)
    response = http.post("/files", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["filename"] == stored
    assert [f.filename for f in mockfiles.stored_files()] == [stored]


@pytest.mark.parametrize(
    ("file_params", "fragment"),
    [
        ("filename=\"x\"; filename*=klingon''abc.jsonl", "unknown charset 'klingon'"),
        ("filename=\"x\"; filename*=utf-8''%FF%FE.jsonl", "not valid utf-8"),
        ("filename*=utf-8''", "empty filename"),
    ],
)
def test_bad_filename_star_is_400(
    http: httpx.Client, mockfiles: MockFiles, file_params: str, fragment: str
) -> None:
    headers, body = hand_built_upload("batch", file_params, BATCH_LINE)
    error = check_service_error(http.post("/files", content=body, headers=headers), 400)
    assert fragment in error["message"]
    assert mockfiles.stored_files() == []


def test_filename_star_through_a_real_socket() -> None:
    mock = MockFiles()
    headers, body = hand_built_upload("user_data", DOTNET_NIHAO, b"hello")
    with ThreadedServer(mock) as server, httpx.Client(base_url=server.base_url) as http:
        response = http.post("/files", content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["filename"] == "你好.txt"
        assert response.headers["openai-version"] == "2020-10-01"
    assert [f.filename for f in mock.stored_files()] == ["你好.txt"]


# -- 5. key order and Content-Disposition ---------------------------------------------


def test_key_order_as_recorded(http: httpx.Client) -> None:
    created = http.post(
        "/files", files={"purpose": (None, "batch"), "file": ("in.jsonl", BATCH_LINE)}
    )
    assert created.content.startswith(b'{"object":"file","id":"file-')
    assert list(created.json()) == FILE_KEYS
    file_id = created.json()["id"]
    assert list(http.get(f"/files/{file_id}").json()) == FILE_KEYS
    listed = http.get("/files").json()
    assert list(listed) == ["object", "data", "has_more", "first_id", "last_id"]
    assert list(listed["data"][0]) == FILE_KEYS
    download = http.get(f"/files/{file_id}/content")
    assert download.headers["content-disposition"] == 'attachment; filename="in.jsonl"'
    deleted = http.delete(f"/files/{file_id}")
    assert deleted.content == b'{"object":"file","deleted":true,"id":"' + file_id.encode() + b'"}'


def test_key_order_through_the_sdk(client: openai.OpenAI) -> None:
    created = client.files.with_raw_response.create(
        file=("notes.txt", b"hello"), purpose="user_data"
    )
    assert list(created.http_response.json()) == FILE_KEYS
    file_id = created.parse().id
    listed = client.files.with_raw_response.list().http_response.json()
    assert list(listed) == ["object", "data", "has_more", "first_id", "last_id"]
    deleted = client.files.with_raw_response.delete(file_id).http_response.json()
    assert list(deleted) == ["object", "deleted", "id"]


async def test_key_order_through_the_async_sdk(aclient: openai.AsyncOpenAI) -> None:
    created = await aclient.files.with_raw_response.create(
        file=("in.jsonl", BATCH_LINE), purpose="batch"
    )
    assert list(created.http_response.json()) == FILE_KEYS
    assert created.http_response.headers["openai-version"] == "2020-10-01"


@pytest.mark.mockfiles(key_order=DOCUMENTED_KEY_ORDER)
def test_documented_key_order_is_a_profile_setting(http: httpx.Client) -> None:
    created = upload(http)
    assert list(created) == [
        "id",
        "object",
        "bytes",
        "created_at",
        "filename",
        "purpose",
        "status",
        "expires_at",
        "status_details",
    ]
    assert list(http.get("/files").json()) == ["object", "data", "first_id", "last_id", "has_more"]
    assert list(http.delete(f"/files/{created['id']}").json()) == ["id", "object", "deleted"]


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("out.jsonl", 'attachment; filename="out.jsonl"'),
        ("with space (1).jsonl", 'attachment; filename="with space (1).jsonl"'),
        ("été.jsonl", "attachment; filename=\"_t_.jsonl\"; filename*=UTF-8''%C3%A9t%C3%A9.jsonl"),
        (
            'say "hi".jsonl',
            "attachment; filename=\"say _hi_.jsonl\"; filename*=UTF-8''say%20%22hi%22.jsonl",
        ),
    ],
)
def test_download_content_disposition(
    http: httpx.Client, mockfiles: MockFiles, name: str, disposition: str
) -> None:
    stored = mockfiles.add_file(b"{}\n", filename=name, purpose="batch_output", api_key="sk-test")
    response = http.get(f"/files/{stored.id}/content")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == disposition


# -- 6. headers on every answer; body encoding ----------------------------------------


def check_openai_headers(headers: Mapping[str, str], organization: str, project: str) -> None:
    assert headers["openai-version"] == "2020-10-01"
    assert headers["openai-processing-ms"].isdigit()
    assert headers["openai-organization"] == organization
    assert headers["openai-project"] == project
    assert headers["x-request-id"].startswith("req_")


def test_openai_headers_on_every_answer(http: httpx.Client) -> None:
    created = upload(http)
    responses = [
        http.get(f"/files/{created['id']}"),
        http.get("/files"),
        http.get(f"/files/{created['id']}/content"),
        http.get("/files/file-nope"),
        http.get("/files", headers={"Authorization": ""}),
        http.get("/nowhere"),
        http.delete(f"/files/{created['id']}"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 401, 404, 200]
    for response in responses:
        check_openai_headers(response.headers, "org-mockfiles", "proj_mockfiles")
    assert len({r.headers["x-request-id"] for r in responses}) == len(responses)


def test_openai_headers_echo_the_clients_organization_and_project(mockfiles: MockFiles) -> None:
    client = openai.OpenAI(organization="org-acme", project="proj_acme", max_retries=0)
    raw = client.files.with_raw_response.list()
    check_openai_headers(raw.http_response.headers, "org-acme", "proj_acme")
    call = mockfiles.calls.last
    assert call.response_headers["openai-organization"] == "org-acme"
    assert call.response_headers["openai-version"] == "2020-10-01"


def test_processing_ms_counts_the_time_spent(mockfiles: MockFiles, http: httpx.Client) -> None:
    mockfiles.faults.add_delay(0.2, path="/v1/files")
    slow = http.get("/files")
    assert int(slow.headers["openai-processing-ms"]) >= 200
    assert int(http.get("/files").headers["openai-processing-ms"]) < 200


@pytest.mark.parametrize("profile", ["compass", "batch_only", "azure"])
def test_other_profiles_send_no_organization_headers(profile: str) -> None:
    mock = MockFiles(profile)
    headers = {
        "Authorization": "Bearer k",
        "api-key": "k",
        "OpenAI-Organization": "org-acme",
        "OpenAI-Project": "proj_acme",
    }
    with httpx.Client(transport=mock.transport("httpx"), headers=headers) as raw:
        response = raw.get(f"{mock.base_url}/files", params={"api-version": "2024-10-21"})
    assert response.status_code == 200
    assert sorted(name for name in response.headers if name.startswith("openai-")) == [
        "openai-processing-ms",
        "openai-version",
    ]
    assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.mockfiles(organization_headers=False)
def test_organization_headers_are_a_profile_setting(http: httpx.Client) -> None:
    response = http.get("/files")
    assert "openai-organization" not in response.headers
    assert "openai-project" not in response.headers
    assert response.headers["openai-version"] == "2020-10-01"


def test_bodies_are_compact_utf8(http: httpx.Client) -> None:
    """Chosen over the service's two-space indent: indenting cost 3-4% on the in-process
    retrieve benchmark (the stdlib encoder has no C path for indent), over the 2% allowed.
    """
    created = http.post("/files", files={"purpose": (None, "user_data"), "file": ("ünï.txt", b"x")})
    assert created.content == json.dumps(
        created.json(), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    assert "ünï.txt".encode() in created.content


# -- replay still passes --------------------------------------------------------------


def test_a_recorded_fidelity_session_replays_clean(
    mockfiles: MockFiles, http: httpx.Client, tmp_path: Path
) -> None:
    upload(http, name="test-batch-file")
    headers, body = hand_built_upload("batch", DOTNET_NIHAO, BATCH_LINE)
    nihao = http.post("/files", content=body, headers=headers).json()
    http.get(f"/files/{nihao['id']}/content")
    http.get("/files", params={"limit": "0"})  # refused: param and detail
    http.get("/files")
    http.delete(f"/files/{nihao['id']}")
    http.get(f"/files/{nihao['id']}")  # 404 with detail
    path = mockfiles.save_scenario(tmp_path / "fidelity.json")
    doc = json.loads(path.read_text())
    assert doc["steps"][1]["request"]["body"]["multipart"]["files"][0]["filename"] == "你好.txt"
    refused = doc["steps"][3]["response"]["body"]["json"]
    assert refused["error"]["param"] == "limit" and refused["detail"]["code"] is None
    assert doc["steps"][6]["response"]["status"] == 404
    report = replay(path)
    assert report.ok, report.render()
    assert len(report.steps) == 7
