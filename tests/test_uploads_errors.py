"""Every refusal of the Uploads API: a 4xx in the service's envelope, a message that
says what to do, nothing changed, and later requests unaffected."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from mockfiles import MockFiles

MB = 1024 * 1024
GB = 1024 * MB


def refusal(
    call: Callable[[], object], status: type[openai.APIStatusError] = openai.BadRequestError
) -> dict[str, Any]:
    with pytest.raises(status) as caught:
        call()
    body = caught.value.body
    assert isinstance(body, dict)
    return body


def new_upload(client: openai.OpenAI, size: int = 6, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "filename": "f.bin",
        "purpose": "user_data",
        "bytes": size,
        "mime_type": "application/octet-stream",
    }
    options.update(kwargs)
    return client.uploads.create(**options)


@pytest.fixture
def http(mockfiles: MockFiles) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=mockfiles.transport("httpx"),
        base_url=mockfiles.base_url,
        headers={"Authorization": f"Bearer {mockfiles.api_key}"},
    ) as client:
        yield client


# -- create --------------------------------------------------------------------------


def test_unknown_field_is_refused_as_the_files_upload_refuses_it(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    body = refusal(lambda: new_upload(client, extra_body={"colour": "red"}))
    assert body["message"] == "Additional properties are not allowed ('colour' was unexpected)"
    files_body = refusal(
        lambda: client.files.create(
            file=("a.txt", b"x"), purpose="vision", extra_body={"colour": "red"}
        )
    )
    assert files_body["message"] == body["message"]
    assert mockfiles.backend.uploads.uploads() == []


def test_purpose_and_required_fields(client: openai.OpenAI) -> None:
    body = refusal(lambda: new_upload(client, purpose="nonsense"))
    assert body["message"] == (
        "'nonsense' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', 'vision', "
        "'evals'] - 'purpose'"
    )
    body = refusal(
        lambda: client.post(
            "/uploads", body={"filename": "a", "purpose": "vision", "bytes": 1}, cast_to=object
        )
    )
    assert body["message"] == "'mime_type' is a required property"
    body = refusal(lambda: new_upload(client, size=-1))
    assert body["message"] == "-1 is less than the minimum of 0 - 'bytes'"


def test_jsonl_name_rule_is_checked_at_create(client: openai.OpenAI) -> None:
    body = refusal(lambda: new_upload(client, purpose="fine-tune", filename="t.txt"))
    assert body["message"] == "Invalid file format for Fine-Tuning API. Must be .jsonl"
    # batch: the service accepts other names (recorded 2025-10), as for a Files upload
    assert new_upload(client, purpose="batch", filename="in.csv").status == "pending"


@pytest.mark.mockfiles(jsonl_filename_required=frozenset({"batch", "fine-tune"}))
def test_older_jsonl_name_rule_for_batch_is_checked_at_create(client: openai.OpenAI) -> None:
    body = refusal(lambda: new_upload(client, purpose="batch", filename="in.csv"))
    assert body["message"] == "Invalid file format for Batch API. Must be .jsonl"


def test_eight_gb_in_total(client: openai.OpenAI) -> None:
    assert new_upload(client, size=8 * GB).bytes == 8 * GB  # larger than one file upload
    body = refusal(lambda: new_upload(client, size=8 * GB + 1))
    assert body["param"] == "bytes"
    assert body["message"] == (
        f"The Upload is too large: bytes={8 * GB + 1}, but an Upload may be at most "
        f"{8 * GB} bytes. Split the content into several files."
    )


def test_the_purposes_own_limit_applies_to_the_declared_size(client: openai.OpenAI) -> None:
    body = refusal(
        lambda: new_upload(client, size=200 * MB + 1, purpose="batch", filename="b.jsonl")
    )
    assert body["message"].startswith(
        f"The Upload is too large: bytes={200 * MB + 1}, but a file of purpose 'batch' may be "
        f"at most {200 * MB} bytes."
    )


def test_malformed_json(http: httpx.Client) -> None:
    response = http.post("/uploads", content=b"{not json")
    assert response.status_code == 400
    assert "could not parse the JSON body" in response.json()["error"]["message"]
    response = http.post("/uploads", json=["a list"])
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "['a list'] is not of type 'object'"


# -- parts ---------------------------------------------------------------------------


@pytest.mark.mockfiles(upload_part_max_bytes=1000)
def test_part_over_the_part_size(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = new_upload(client, size=1001)
    body = refusal(lambda: client.uploads.parts.create(upload_id=upload.id, data=b"x" * 1001))
    assert body["param"] == "data"
    assert body["message"] == (
        "The part is too large: a part may be at most 1000 bytes. Send the file in smaller "
        "parts (for example part_size=1000 with upload_file_chunked)."
    )
    assert mockfiles.backend.uploads.held_bytes() == 0
    assert client.uploads.parts.create(upload_id=upload.id, data=b"x" * 1000).upload_id == upload.id


def test_part_over_64_mb_is_refused_while_streaming(
    http: httpx.Client, mockfiles: MockFiles, client: openai.OpenAI
) -> None:
    upload = new_upload(client, size=65 * MB)
    pulled = 0

    def body() -> Iterator[bytes]:
        nonlocal pulled
        yield b'--B\r\nContent-Disposition: form-data; name="data"; filename="p"\r\n\r\n'
        for _ in range(130):  # 130 MB if it were all read
            pulled += 1
            yield bytes(MB)
        yield b"\r\n--B--\r\n"

    response = http.post(
        f"/uploads/{upload.id}/parts",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=B"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        f"The part is too large: a part may be at most {64 * MB} bytes."
    )
    assert pulled == 65  # stopped within the first MB past the limit
    assert mockfiles.backend.uploads.held_bytes() == 0
    declared = http.post(
        f"/uploads/{upload.id}/parts",
        files={"data": ("p", b"x")},
        headers={"content-length": str(65 * MB)},
    )
    assert declared.status_code == 400 and "too large" in declared.json()["error"]["message"]


def field(name: str, value: bytes, filename: str | None = None) -> bytes:
    named = f'; filename="{filename}"' if filename is not None else ""
    return (
        f'--B\r\nContent-Disposition: form-data; name="{name}"{named}\r\n\r\n'.encode()
        + value
        + b"\r\n"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            field("data", b"abc", "p") + field("other", b"x"),
            "Additional properties are not allowed ('other' was unexpected)",
        ),
        (
            field("file", b"abc", "f"),
            "Additional properties are not allowed ('file' was unexpected)",
        ),
        (
            field("data", b"abc"),
            "'data' must be sent as a file part (with a filename), not as a text field.",
        ),
        (b"", "'data' is a required property"),
        (
            field("data", b"abc", "p") + field("data", b"def", "q"),
            "Only one 'data' part may be sent per request.",
        ),
    ],
    ids=["extra-field", "file-field", "text-data", "empty", "two-data"],
)
def test_part_form_fields(
    http: httpx.Client, client: openai.OpenAI, mockfiles: MockFiles, body: bytes, message: str
) -> None:
    upload = new_upload(client)
    response = http.post(
        f"/uploads/{upload.id}/parts",
        content=body + b"--B--\r\n",
        headers={"content-type": "multipart/form-data; boundary=B"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == message
    assert mockfiles.backend.uploads.held_bytes() == 0
    assert client.uploads.parts.create(upload_id=upload.id, data=b"abc").upload_id == upload.id


def test_part_must_be_multipart(http: httpx.Client, client: openai.OpenAI) -> None:
    upload = new_upload(client)
    response = http.post(f"/uploads/{upload.id}/parts", content=b"abc")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "A part must be sent as multipart/form-data with one file field 'data' "
        "(got Content-Type: none)."
    )


def test_unknown_upload_is_not_found(client: openai.OpenAI) -> None:
    for call in (
        lambda: client.uploads.parts.create(upload_id="upload_nope", data=b"x"),
        lambda: client.uploads.complete(upload_id="upload_nope", part_ids=[]),
        lambda: client.uploads.cancel("upload_nope"),
    ):
        body = refusal(call, openai.NotFoundError)
        assert body["message"] == "No such Upload object: upload_nope"


# -- complete ------------------------------------------------------------------------


def test_byte_total_must_match_the_declared_bytes(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = new_upload(client, size=6)
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    body = refusal(lambda: client.uploads.complete(upload_id=upload.id, part_ids=[part.id]))
    assert body["param"] == "part_ids"
    assert body["message"] == (
        f"The parts listed in part_ids add up to 3 bytes, but Upload {upload.id} was created "
        "with bytes=6. List every part of the file, or create a new Upload with the right size."
    )
    more = client.uploads.parts.create(upload_id=upload.id, data=b"def")
    done = client.uploads.complete(upload_id=upload.id, part_ids=[part.id, more.id])
    assert done.status == "completed"


def test_md5_mismatch(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = new_upload(client, size=6)
    a = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    b = client.uploads.parts.create(upload_id=upload.id, data=b"def")
    right = hashlib.md5(b"abcdef").hexdigest()
    body = refusal(
        lambda: client.uploads.complete(upload_id=upload.id, part_ids=[b.id, a.id], md5=right)
    )
    assert body["param"] == "md5"
    assert body["message"] == (
        f"The md5 of the parts joined in the order of part_ids is "
        f"{hashlib.md5(b'defabc').hexdigest()}, but the request says {right}. Check the order "
        "of part_ids and the bytes sent in each part."
    )
    body = refusal(
        lambda: client.uploads.complete(upload_id=upload.id, part_ids=[a.id, b.id], md5="xyz")
    )
    assert body["message"] == "Invalid 'md5': expected 32 hexadecimal digits, got 'xyz'."
    assert mockfiles.stored_files() == []
    done = client.uploads.complete(upload_id=upload.id, part_ids=[a.id, b.id], md5=right.upper())
    assert done.file is not None and mockfiles.content_of(done.file.id) == b"abcdef"


def test_unknown_or_repeated_part_id(client: openai.OpenAI) -> None:
    upload = new_upload(client, size=6)
    other = new_upload(client, size=3)
    foreign = client.uploads.parts.create(upload_id=other.id, data=b"abc")
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    body = refusal(
        lambda: client.uploads.complete(upload_id=upload.id, part_ids=[part.id, foreign.id])
    )
    assert body["message"] == (
        f"Part {foreign.id} is not a part of Upload {upload.id}. Use the ids that adding parts "
        "to this Upload returned (1 so far)."
    )
    body = refusal(
        lambda: client.uploads.complete(upload_id=upload.id, part_ids=[part.id, part.id])
    )
    assert body["message"] == (
        f"Part {part.id} is listed more than once in part_ids; list each part once, in the "
        "order its bytes belong in the file."
    )


def test_complete_body_is_checked(http: httpx.Client, client: openai.OpenAI) -> None:
    upload = new_upload(client)
    for document, message in (
        ({}, "'part_ids' is a required property"),
        ({"part_ids": "p"}, "'p' is not of type 'array' - 'part_ids'"),
        (
            {"part_ids": [], "extra": 1},
            "Additional properties are not allowed ('extra' was unexpected)",
        ),
    ):
        response = http.post(f"/uploads/{upload.id}/complete", json=document)
        assert response.status_code == 400
        assert response.json()["error"]["message"] == message


def test_nothing_after_complete(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = new_upload(client, size=3)
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    done = client.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert done.file is not None
    for action, call in (
        ("add parts to", lambda: client.uploads.parts.create(upload_id=upload.id, data=b"x")),
        ("complete", lambda: client.uploads.complete(upload_id=upload.id, part_ids=[part.id])),
        ("cancel", lambda: client.uploads.cancel(upload.id)),
    ):
        body = refusal(call)
        assert body["message"] == (
            f"Cannot {action} Upload {upload.id}: it is already completed (it became file "
            f"{done.file.id}). Only a pending Upload takes parts, completes or cancels; "
            "create a new Upload and send the parts again."
        )
    assert len(mockfiles.stored_files()) == 1


def test_nothing_after_cancel_but_cancel(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    upload = new_upload(client, size=3)
    part = client.uploads.parts.create(upload_id=upload.id, data=b"abc")
    assert client.uploads.cancel(upload.id).status == "cancelled"
    assert mockfiles.backend.uploads.held_bytes() == 0
    for action, call in (
        ("add parts to", lambda: client.uploads.parts.create(upload_id=upload.id, data=b"x")),
        ("complete", lambda: client.uploads.complete(upload_id=upload.id, part_ids=[part.id])),
    ):
        body = refusal(call)
        assert body["message"].startswith(f"Cannot {action} Upload {upload.id}: it was cancelled.")
    assert client.uploads.cancel(upload.id).status == "cancelled"  # again: answered as it is
    assert mockfiles.stored_files() == []


async def test_async_refusals(aclient: openai.AsyncOpenAI) -> None:
    upload = await aclient.uploads.create(
        filename="a.bin", purpose="vision", bytes=2, mime_type="application/octet-stream"
    )
    part = await aclient.uploads.parts.create(upload_id=upload.id, data=b"a")
    with pytest.raises(openai.BadRequestError, match="add up to 1 bytes"):
        await aclient.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    await aclient.uploads.cancel(upload.id)
    with pytest.raises(openai.BadRequestError, match="was cancelled"):
        await aclient.uploads.parts.create(upload_id=upload.id, data=b"b")


@pytest.mark.mockfiles(upload_max_bytes=10)
def test_parts_may_not_hold_more_than_the_upload_limit(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = new_upload(client, size=10)
    client.uploads.parts.create(upload_id=upload.id, data=b"x" * 8)
    body = refusal(lambda: client.uploads.parts.create(upload_id=upload.id, data=b"x" * 3))
    assert body["message"] == (
        f"Upload {upload.id} already holds 8 bytes in 1 part(s); this part of 3 bytes would "
        "take it past the 10 bytes an Upload accepts."
    )
    assert mockfiles.backend.uploads.held_bytes() == 8
