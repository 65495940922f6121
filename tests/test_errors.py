"""Every error the service documents, with its status and envelope, via the SDK and httpx."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from mockfiles import MockFiles

from .conftest import BATCH_LINE

UPLOAD_PURPOSES = "['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
AUTH = {"Authorization": "Bearer sk-test"}


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of an ``openai``-profile error body, after checking the body
    is the service's: ``error`` and its sibling ``detail`` repeating the message."""
    body = response.json()
    assert list(body) == ["error", "detail"]
    assert list(body["error"]) == ["message", "type", "param", "code"]
    error: dict[str, Any] = body["error"]
    assert body["detail"] == {"message": error["message"], "code": None}
    return error


@pytest.fixture
def http(mockfiles: MockFiles) -> httpx.Client:
    return httpx.Client(transport=mockfiles.transport("httpx"), base_url=mockfiles.base_url)


def test_unknown_id_is_404_everywhere(client: openai.OpenAI) -> None:
    for call in (client.files.retrieve, client.files.delete, client.files.content):
        with pytest.raises(openai.NotFoundError) as caught:
            call("file-doesnotexist")
        assert caught.value.status_code == 404
        assert caught.value.body == {
            "message": "No such File object: file-doesnotexist",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        }
        assert caught.value.request_id and caught.value.request_id.startswith("req_")


def test_invalid_purpose_lists_the_upload_purposes(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("a.jsonl", b"{}"), purpose="training")  # type: ignore[arg-type]
    assert caught.value.body["message"] == f"'training' is not one of {UPLOAD_PURPOSES} - 'purpose'"  # type: ignore[index]
    assert mockfiles.stored_files() == []


def test_jsonl_required_for_fine_tune(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("data.json", BATCH_LINE), purpose="fine-tune")
    assert caught.value.body == {
        "message": "Invalid file format for Fine-Tuning API. Must be .jsonl",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert mockfiles.stored_files() == []


@pytest.mark.parametrize("purpose", ["assistants", "user_data", "fine-tune"])
def test_download_refused_for_purpose(
    client: openai.OpenAI, mockfiles: MockFiles, purpose: str
) -> None:
    name = "t.jsonl" if purpose == "fine-tune" else "doc.txt"
    created = client.files.create(file=(name, b"{}\n"), purpose=purpose)  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.content(created.id)
    assert caught.value.body["message"] == f"Not allowed to download files of purpose: {purpose}"  # type: ignore[index]


def test_missing_file_and_purpose(http: httpx.Client) -> None:
    multipart_no_file = http.post("/files", files={"purpose": (None, "batch")}, headers=AUTH)
    assert multipart_no_file.status_code == 400
    assert envelope(multipart_no_file)["message"] == "'file' is a required property"
    no_purpose = http.post("/files", files={"file": ("a.jsonl", b"{}")}, headers=AUTH)
    assert no_purpose.status_code == 400
    assert envelope(no_purpose) == {
        "message": "'purpose' is a required property",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_unexpected_form_field(http: httpx.Client, mockfiles: MockFiles) -> None:
    response = http.post(
        "/files",
        files={"purpose": (None, "batch"), "colour": (None, "red"), "file": ("a.jsonl", b"{}")},
        headers=AUTH,
    )
    assert response.status_code == 400
    assert (
        envelope(response)["message"]
        == "Additional properties are not allowed ('colour' was unexpected)"
    )
    assert mockfiles.stored_files() == []


def test_no_api_key_is_401(http: httpx.Client) -> None:
    response = http.get("/files")
    assert response.status_code == 401
    error = envelope(response)
    assert "Authorization header using Bearer auth" in error["message"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] is None


@pytest.mark.mockfiles(api_keys=["sk-good"])
def test_only_accepted_keys(mockfiles: MockFiles) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        mockfiles.openai_client(api_key="sk-wrong-key-1234", max_retries=0).files.list()
    assert caught.value.code == "invalid_api_key"
    assert "sk-" + "*" * 10 + "1234" in caught.value.message
    assert list(mockfiles.openai_client(api_key="sk-good").files.list()) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nothing"),
        ("PUT", "/v1/files"),
        ("POST", "/v1/files/file-abc"),
        ("GET", "/"),
        ("PATCH", "/v1/files/file-abc/content"),
        ("GET", "/v2/files"),
    ],
)
def test_unknown_route_is_invalid_url(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, "http://mockfiles.local" + path, headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert envelope(response) == {
        "message": f"Invalid URL ({method} {path})",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"expires_after[anchor]": "last_accessed", "expires_after[seconds]": "3600"},
            "'last_accessed' is not one of ['created_at'] - 'expires_after.anchor'",
        ),
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "3599"},
            "3599 is less than the minimum of 3600 - 'expires_after.seconds'",
        ),
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "2592001"},
            "2592001 is greater than the maximum of 2592000 - 'expires_after.seconds'",
        ),
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "soon"},
            "'soon' is not of type 'integer' - 'expires_after.seconds'",
        ),
        ({"expires_after[seconds]": "3600"}, "'anchor' is a required property - 'expires_after'"),
        (
            {
                "expires_after[anchor]": "created_at",
                "expires_after[seconds]": "3600",
                "expires_after[x]": "1",
            },
            "Additional properties are not allowed ('x' was unexpected) - 'expires_after'",
        ),
    ],
)
def test_bad_expires_after(
    http: httpx.Client, mockfiles: MockFiles, fields: dict[str, str], message: str
) -> None:
    parts: dict[str, Any] = {
        "purpose": (None, "batch"),
        **{k: (None, v) for k, v in fields.items()},
    }
    parts["file"] = ("a.jsonl", b"{}")
    response = http.post("/files", files=parts, headers=AUTH)
    assert response.status_code == 400
    error = envelope(response)
    assert error["message"] == message
    assert error["param"] == message.rsplit(" - ", 1)[1].strip("'")  # the field it names
    assert mockfiles.stored_files() == []


@pytest.mark.parametrize(
    ("headers", "body", "fragment"),
    [
        ({"content-type": "application/json"}, b'{"purpose": "batch"}', "multipart/form-data"),
        ({"content-type": "multipart/form-data"}, b"--x\r\n", "no boundary"),
        (
            {"content-type": "multipart/form-data; boundary=xyz"},
            b'--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--xyz\r\n'
            b'Content-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{}',
            "truncated",
        ),
        (
            {"content-type": "multipart/form-data; boundary=xyz"},
            b"garbage without boundary",
            "could not be parsed",
        ),
        (
            {"content-type": "multipart/form-data; boundary=xyz"},
            b'--xyz\r\nContent-Disposition: form-data; name="file"; '
            b'filename="\xff\xfe.jsonl"\r\n\r\n{}\r\n--xyz--\r\n',
            "not valid UTF-8",
        ),
        (
            {"content-type": "multipart/form-data; boundary=xyz"},
            b"--xyz\r\nContent-Type: text/plain\r\n\r\nbatch\r\n--xyz--\r\n",
            "Content-Disposition",
        ),
    ],
)
def test_malformed_multipart_is_400(
    http: httpx.Client, mockfiles: MockFiles, headers: dict[str, str], body: bytes, fragment: str
) -> None:
    response = http.post("/files", content=body, headers={**AUTH, **headers})
    assert response.status_code == 400, response.text
    assert fragment in envelope(response)["message"]
    assert mockfiles.stored_files() == []


def test_file_sent_as_text_field(http: httpx.Client) -> None:
    response = http.post(
        "/files", files={"purpose": (None, "batch"), "file": (None, "{}")}, headers=AUTH
    )
    assert response.status_code == 400
    assert "file part" in envelope(response)["message"]


def test_error_body_through_sdk_reads_type_param_code(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.list(limit=0)
    assert caught.value.param == "limit"
    assert caught.value.code == "integer_below_min_value"
    assert caught.value.type == "invalid_request_error"
