"""The `batch_only` profile (document 004), through the openai SDK."""

from __future__ import annotations

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.errors import QuotaExceeded
from mockfiles.profiles import GB

from .conftest import BATCH_LINE

pytestmark = pytest.mark.mockfiles(profile="batch_only")
THIRTY_DAYS = 2_592_000


def test_batch_upload_object_shape(client: openai.OpenAI) -> None:
    raw = client.files.with_raw_response.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    body = raw.http_response.json()
    assert list(body) == [
        "id",
        "object",
        "bytes",
        "created_at",
        "filename",
        "purpose",
        "expires_at",
    ]
    assert body["expires_at"] == body["created_at"] + THIRTY_DAYS


def test_fine_tune_is_recognised_but_not_supported(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    assert "Fine-tuning is not yet supported" in caught.value.message
    assert caught.value.param == "purpose"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.files.create(file=("t.jsonl", b"{}\n"), purpose="assistants")
    assert unknown.value.body["message"] == (  # type: ignore[index]
        "'assistants' is not one of ['batch', 'fine-tune'] - 'purpose'"
    )
    assert mockfiles.stored_files() == []


@pytest.mark.parametrize(
    ("fields", "expected_seconds"),
    [
        ({"expires_after[anchor]": "created_at"}, THIRTY_DAYS),
        ({"expires_after[seconds]": "3600"}, 3600),
        ({"expires_after[anchor]": "created_at", "expires_after[seconds]": "7200"}, 7200),
    ],
)
def test_expires_after_keys_are_optional(
    mockfiles: MockFiles, fields: dict[str, str], expected_seconds: int
) -> None:
    import httpx

    http = httpx.Client(
        transport=mockfiles.transport("httpx"), headers={"Authorization": "Bearer k"}
    )
    parts: dict[str, tuple[str | None, str | bytes]] = {
        "purpose": (None, "batch"),
        **{k: (None, v) for k, v in fields.items()},
        "file": ("in.jsonl", BATCH_LINE),
    }
    body = http.post(f"{mockfiles.base_url}/files", files=parts).json()
    assert body["expires_at"] - body["created_at"] == expected_seconds


@pytest.mark.parametrize("seconds", [3599, 2_592_001])
def test_expires_after_bounds(client: openai.OpenAI, seconds: int) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(
            file=("in.jsonl", BATCH_LINE),
            purpose="batch",
            expires_after={"anchor": "created_at", "seconds": seconds},
        )
    assert "expires_after.seconds" in caught.value.message


def test_every_file_expires(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    output = mockfiles.add_file(b'{"id": "r"}\n', filename="out.jsonl", purpose="batch-output")
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    assert output.expires_at == output.created_at + THIRTY_DAYS
    assert client.files.content(output.id).read() == b'{"id": "r"}\n'
    mockfiles.clock.advance(THIRTY_DAYS)
    assert list(client.files.list()) == []
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_batch_is_limited_to_200_mb(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("in.jsonl", bytes(200 * 1024 * 1024 + 1)), purpose="batch")
    assert caught.value.status_code == 413
    assert mockfiles.stored_files() == []


def test_quota_of_2_gb_counts_output_files(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    # bytes(n) is calloc'd: the 2 GB costs no real memory until touched
    mockfiles.add_file(bytes(2 * GB - 1000), filename="out.jsonl", purpose="batch-output")
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("in.jsonl", b"x" * 1001), purpose="batch")
    assert caught.value.code == "quota_exceeded"
    assert len(mockfiles.stored_files()) == 1
    created = client.files.create(file=("in.jsonl", b"x" * 1000), purpose="batch")
    assert created.bytes == 1000
    with pytest.raises(QuotaExceeded, match="quota"):
        mockfiles.add_file(b"y", purpose="batch-output")


def test_list_parameters(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    ids = [
        mockfiles.add_file(b"{}\n", purpose="batch-output", created_at=1_800_000_000).id
        for _ in range(5)
    ]
    assert [f.id for f in client.files.list(limit=2, order="asc")] == ids
    assert [f.id for f in client.files.list(purpose="batch-output", order="desc")] == ids[::-1]
    with pytest.raises(openai.BadRequestError):
        client.files.list(limit=10_001)


def test_delete_returns_file_deleted(client: openai.OpenAI) -> None:
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "file")
