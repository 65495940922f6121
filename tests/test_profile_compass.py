"""The `compass` profile (document 000): its own examples, run with curl and the SDK."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer

from .conftest import mockfiles_serve

TOY_URL = (
    "https://raw.githubusercontent.com/openai/openai-cookbook/refs/heads/main/examples/data/"
    "toy_chat_fine_tuning.jsonl"
)
TOY = (
    b'{"messages": [{"role": "system", "content": "Marv is sarcastic."}, '
    b'{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Oh, hi."}]}\n'
) * 2
ID_RE = re.compile(r"^file-[0-9a-f]{32}$")
NINETY_DAYS = 90 * 86_400
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture
def served() -> Iterator[tuple[MockFiles, str]]:
    mock = MockFiles("compass")
    with ThreadedServer(mock) as server:
        yield mock, server.base_url


def curl(*args: str) -> tuple[int, Any]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body) if body.startswith(("{", "[")) else body


@needs_curl
def test_document_examples_with_curl(tmp_path: Path) -> None:
    """Document 000's examples, with curl, against `mockfiles serve --profile compass`."""
    with mockfiles_serve("compass") as root:
        run_document_examples(f"{root}/v1", tmp_path)


def run_document_examples(base: str, tmp_path: Path) -> None:
    key = ["-H", "api-key: test-key"]
    data = tmp_path / "training_data.jsonl"
    data.write_bytes(TOY)

    # Upload a File
    status, created = curl(
        "-X", "POST", f"{base}/files", *key, "-F", "purpose=fine-tune", "-F", f"file=@{data}"
    )
    assert status == 200, created
    assert ID_RE.match(created["id"])
    assert set(created) == {
        "id",
        "object",
        "bytes",
        "created_at",
        "expires_at",
        "filename",
        "purpose",
    }
    assert created["expires_at"] == created["created_at"] + NINETY_DAYS

    # List Files (?purpose=fine-tune)
    status, listed = curl(f"{base}/files?purpose=fine-tune", *key)
    assert status == 200 and [f["id"] for f in listed["data"]] == [created["id"]]
    assert listed["first_id"] == listed["last_id"] == created["id"]

    # Retrieve File
    status, retrieved = curl(f"{base}/files/{created['id']}", *key)
    assert status == 200 and retrieved == created

    # Import File from URL, as written: singular /file/import, JSON sent with --data.
    # First tell the offline mock what the URL serves.
    register = json.dumps({"url": TOY_URL, "content": {"text": TOY.decode()}})
    status, _ = curl("-X", "POST", base.removesuffix("/v1") + "/_mock/urls", "--data", register)
    assert status == 200
    body = json.dumps({"content_url": TOY_URL, "filename": "sample.jsonl", "purpose": "fine-tune"})
    status, imported = curl(
        f"{base.removesuffix('/v1')}/v1/file/import",
        "--header",
        "api-key: test-key",
        "--data",
        body,
    )
    assert status == 200, imported
    assert imported["filename"] == "sample.jsonl" and imported["bytes"] == len(TOY)
    assert ID_RE.match(imported["id"])

    # Retrieve File Content
    content = subprocess.run(
        ["curl", "-s", f"{base}/files/{imported['id']}/content", *key],
        capture_output=True,
        check=True,
    ).stdout
    assert content == TOY

    # Delete File
    status, deleted = curl(f"{base}/files/{created['id']}", "-X", "DELETE", *key)
    assert status == 200 and deleted == {"id": created["id"], "object": "file", "deleted": True}
    status, remaining = curl(f"{base}/files", *key)
    assert [f["id"] for f in remaining["data"]] == [imported["id"]]


@needs_curl
def test_bearer_auth_is_not_compass_auth(served: tuple[MockFiles, str]) -> None:
    _, base = served
    status, error = curl(f"{base}/files", "-H", "Authorization: Bearer test-key")
    assert status == 401
    assert "'api-key' header" in error["error"]["message"]


@pytest.mark.mockfiles(profile="compass")
def test_sdk_with_api_key_header(mockfiles: MockFiles) -> None:
    client = mockfiles.openai_client(max_retries=0)
    created = client.files.create(file=("train.jsonl", TOY), purpose="fine-tune")
    assert ID_RE.match(created.id)
    assert created.expires_at == created.created_at + NINETY_DAYS
    assert mockfiles.calls.last.request_headers["api-key"] == "sk-mockfiles-test-key"
    assert client.files.content(created.id).read() == TOY


@pytest.mark.mockfiles(profile="compass")
async def test_async_sdk(mockfiles: MockFiles) -> None:
    client = mockfiles.async_openai_client(max_retries=0)
    created = await client.files.create(file=("v.png", b"\x89PNG"), purpose="vision")
    assert [f.id async for f in client.files.list()] == [created.id]


@pytest.fixture
def compass_http(mockfiles: MockFiles) -> httpx.Client:
    return httpx.Client(
        transport=mockfiles.transport("httpx"),
        base_url=mockfiles.base_url,
        headers={"api-key": mockfiles.api_key},  # files seeded in the test are this key's
    )


@pytest.mark.mockfiles(profile="compass")
def test_filename_filter(mockfiles: MockFiles, compass_http: httpx.Client) -> None:
    a = mockfiles.add_file(b"{}\n", filename="a.jsonl", purpose="fine-tune")
    mockfiles.add_file(b"{}\n", filename="b.jsonl", purpose="fine-tune")
    a2 = mockfiles.add_file(b"{}\n", filename="a.jsonl", purpose="batch")
    listed = compass_http.get("/files", params={"filename": "a.jsonl"}).json()
    assert [f["id"] for f in listed["data"]] == [a2.id, a.id]
    paged = compass_http.get("/files", params={"filename": "a.jsonl", "limit": 1}).json()
    assert [f["id"] for f in paged["data"]] == [a2.id] and paged["has_more"] is True
    rest = compass_http.get(
        "/files", params={"filename": "a.jsonl", "limit": 1, "after": a2.id}
    ).json()
    assert [f["id"] for f in rest["data"]] == [a.id] and rest["has_more"] is False
    both = compass_http.get("/files", params={"filename": "a.jsonl", "purpose": "batch"}).json()
    assert [f["id"] for f in both["data"]] == [a2.id]


@pytest.mark.mockfiles(profile="compass")
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"messages": []}\n{not json}\n', "line 2: This line is not parseable as valid JSON."),
        (b'{"messages": []}\n[1, 2]\n', "line 2: This line is not a JSON object."),
        (b'{"a": 1}\n\n{"b": 2}\n', "line 2: This line is empty."),
        (b"", "the file is empty"),
    ],
)
def test_fine_tune_lines_checked_at_upload(
    mockfiles: MockFiles, compass_http: httpx.Client, content: bytes, fragment: str
) -> None:
    response = compass_http.post(
        "/files", files={"purpose": (None, "fine-tune"), "file": ("t.jsonl", content)}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert fragment in error["message"] and error["param"] == "file"
    assert mockfiles.stored_files() == []


@pytest.mark.mockfiles(profile="compass")
def test_fine_tune_lines_across_chunks(mockfiles: MockFiles, compass_http: httpx.Client) -> None:
    line = b'{"messages": [{"role": "user", "content": "' + b"x" * 5000 + b'"}]}\n'
    body = [line[:100], line[100:] + line[:3000], line[3000:] + line]  # lines split mid-chunk
    boundary = "bnd"
    parts = [
        b'--bnd\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n',
        b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n\r\n',
        *body,
        b"\r\n--bnd--\r\n",
    ]
    response = compass_http.post(
        "/files",
        content=iter(parts),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    assert mockfiles.stored_files()[0].content == line * 3


@pytest.mark.mockfiles(profile="compass")
@pytest.mark.parametrize(
    ("url", "register", "fragment", "code"),
    [
        ("https://example.com/missing.jsonl", None, "mock.urls.register", "url_not_registered"),
        ("https://example.com/gone.jsonl", 404, "answered HTTP 404", "url_fetch_failed"),
        ("file:///etc/passwd", None, "not an http(s) URL", "invalid_url"),
        ("ftp://example.com/a.jsonl", None, "not an http(s) URL", "invalid_url"),
    ],
)
def test_import_refusals_name_the_url(
    mockfiles: MockFiles,
    compass_http: httpx.Client,
    url: str,
    register: int | None,
    fragment: str,
    code: str,
) -> None:
    if register is not None:
        mockfiles.urls.register(url, b"not found", status=register)
    response = compass_http.post(
        "/files/import", json={"content_url": url, "filename": "a.jsonl", "purpose": "fine-tune"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert url in error["message"] and fragment in error["message"]
    assert (error["param"], error["code"]) == ("content_url", code)
    assert mockfiles.stored_files() == []


@pytest.mark.mockfiles(profile="compass", max_file_bytes=100)
def test_imported_content_obeys_upload_rules(
    mockfiles: MockFiles, compass_http: httpx.Client
) -> None:
    mockfiles.urls.register("https://x.test/big.jsonl", b'{"a": 1}\n' * 20)
    mockfiles.urls.register("https://x.test/bad.jsonl", b"nope\n")
    mockfiles.urls.register("https://x.test/doc.pdf", b"%PDF")

    def imported(url: str, filename: str, purpose: str = "fine-tune") -> httpx.Response:
        return compass_http.post(
            "/files/import", json={"content_url": url, "filename": filename, "purpose": purpose}
        )

    assert imported("https://x.test/big.jsonl", "big.jsonl").status_code == 413
    bad = imported("https://x.test/bad.jsonl", "bad.jsonl")
    assert bad.status_code == 400 and "line 1" in bad.json()["error"]["message"]
    wrong_name = imported("https://x.test/bad.jsonl", "bad.txt")
    assert wrong_name.json()["error"]["message"] == (
        "Invalid file format for Fine-Tuning API. Must be .jsonl"
    )
    batch = imported("https://x.test/doc.pdf", "doc.pdf", purpose="batch")
    assert batch.status_code == 400
    assert "'batch' is not one of ['fine-tune', 'vision', 'assistants']" in batch.text
    assert imported("https://x.test/doc.pdf", "doc.pdf", purpose="assistants").status_code == 200
    assert [f.filename for f in mockfiles.stored_files()] == ["doc.pdf"]


@pytest.mark.mockfiles(profile="compass")
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "could not parse the JSON body"),
        (
            b'{"filename": "a.jsonl", "purpose": "fine-tune"}',
            "'content_url' is a required property",
        ),
        (
            b'{"content_url": "https://a.test/x", "filename": "a.jsonl", "purpose": "fine-tune", '
            b'"colour": "red"}',
            "Additional properties are not allowed ('colour' was unexpected)",
        ),
        (b"[]", "[] is not of type 'object'"),
    ],
)
def test_bad_import_bodies(compass_http: httpx.Client, body: bytes, fragment: str) -> None:
    response = compass_http.post("/files/import", content=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_registering_a_non_http_url_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        MockFiles("compass").urls.register("file:///tmp/x", b"")


@pytest.mark.mockfiles(profile="compass")
def test_no_status_field_even_for_sdk(mockfiles: MockFiles) -> None:
    raw = mockfiles.openai_client().files.with_raw_response.create(
        file=("v.png", b"png"), purpose="vision"
    )
    assert "status" not in raw.http_response.json()
    assert isinstance(raw.parse(), openai.types.FileObject)
