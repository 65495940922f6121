# mypy: disable-error-code="union-attr, arg-type, operator, comparison-overlap"
"""Batches per profile (Azure, batch_only, compass) and the default answer of every
endpoint, checked against the SDK's own types."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai.types import (
    Completion,
    CreateEmbeddingResponse,
    ImagesResponse,
    ModerationCreateResponse,
    Video,
)
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from mockfiles import MockFiles

from .batch_helpers import CHAT, chat_lines, parse_jsonl


@pytest.mark.mockfiles(profile="azure", batch_durations={"in_progress": 200_000})
def test_azure_batches_under_openai_path_and_never_expire(mockfiles: MockFiles) -> None:
    client = openai.AzureOpenAI(max_retries=0)
    uploaded = client.files.create(file=("in.jsonl", chat_lines(2)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h")
    call = mockfiles.calls.last
    assert call.path == "/openai/batches" and call.query["api-version"]
    assert call.request_headers["api-key"]
    mockfiles.clock.advance(100_000)  # past expires_at: Azure does not expire jobs
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.expired_at is None
    mockfiles.clock.advance(100_000)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    output = client.files.retrieve(done.output_file_id)
    assert output.purpose == "batch_output" and len(output.id) == 37  # Azure's hex ids
    assert len(parse_jsonl(client.files.content(done.output_file_id).read())) == 2
    assert [b.id for b in client.batches.list()] == [batch.id]


@pytest.mark.mockfiles(profile="azure")
async def test_async_azure_batches(mockfiles: MockFiles) -> None:
    client = openai.AsyncAzureOpenAI(max_retries=0)
    uploaded = await client.files.create(file=("in.jsonl", chat_lines(1)), purpose="batch")
    batch = await client.batches.create(
        input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h"
    )
    assert (await client.batches.retrieve(batch.id)).status == "completed"


@pytest.mark.mockfiles(profile="azure")
def test_azure_batches_need_the_api_version(mockfiles: MockFiles) -> None:
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers={"api-key": "k"})
    response = http.get(f"{mockfiles.base_url}/batches")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"


@pytest.mark.mockfiles(profile="batch_only")
def test_batch_only_outputs_are_batch_output_with_a_hyphen(client: openai.OpenAI) -> None:
    uploaded = client.files.create(file=("in.jsonl", chat_lines(2)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h")
    done = client.batches.retrieve(batch.id)
    output = client.files.retrieve(done.output_file_id)
    assert output.purpose == "batch-output"
    assert output.expires_at == output.created_at + 30 * 86_400  # the profile's default
    assert len(parse_jsonl(client.files.content(done.output_file_id).read())) == 2


def test_batch_only_output_past_the_quota_fails_the_batch() -> None:
    content = chat_lines(20)
    mock = MockFiles("batch_only", storage_quota_bytes=len(content) + 1000)
    client = mock.openai_client(max_retries=0)
    uploaded = client.files.create(file=("in.jsonl", content), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h")
    done = client.batches.retrieve(batch.id)
    assert done.status == "failed" and done.output_file_id is None
    assert done.errors is not None
    [error] = done.errors.data
    assert error.code == "output_not_stored" and error.message is not None
    assert "quota" in error.message.lower() and "output file" in error.message
    assert [f.id for f in mock.stored_files()] == [uploaded.id]  # nothing half-stored
    client.files.delete(uploaded.id)  # the tenant can still work
    assert mock.stored_files() == []


@pytest.mark.mockfiles(profile="compass")
def test_compass_has_no_batches(mockfiles: MockFiles) -> None:
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers={"api-key": "k"})
    response = http.get(f"{mockfiles.base_url}/batches")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (GET /v1/batches)"


REQUESTS: dict[str, tuple[dict[str, Any], Any]] = {
    "/v1/chat/completions": (
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
        ChatCompletion,
    ),
    "/v1/responses": ({"model": "gpt-4.1", "input": "hello there"}, Response),
    "/v1/embeddings": (
        {"model": "text-embedding-3-large", "input": ["a", "b"], "dimensions": 4},
        CreateEmbeddingResponse,
    ),
    "/v1/completions": ({"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi"}, Completion),
    "/v1/moderations": (
        {"model": "omni-moderation-latest", "input": "hi"},
        ModerationCreateResponse,
    ),
    "/v1/images/generations": ({"model": "gpt-image-1", "prompt": "a cat", "n": 2}, ImagesResponse),
    "/v1/images/edits": ({"model": "gpt-image-1", "prompt": "a hat"}, ImagesResponse),
    "/v1/videos": ({"model": "sora-2", "prompt": "waves"}, Video),
}


@pytest.mark.parametrize("endpoint", list(REQUESTS))
def test_default_answers_are_schema_valid(endpoint: str, client: openai.OpenAI) -> None:
    body, model_type = REQUESTS[endpoint]
    lines = "".join(
        json.dumps({"custom_id": f"c{i}", "method": "POST", "url": endpoint, "body": body}) + "\n"
        for i in range(2)
    )
    uploaded = client.files.create(file=("in.jsonl", lines.encode()), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint=endpoint,
        completion_window="24h",
    )
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.model == body["model"]
    output = parse_jsonl(client.files.content(done.output_file_id).read())
    answers = [line["response"]["body"] for line in output]
    assert answers[0] != answers[1] or endpoint.startswith("/v1/images")  # per request
    for answer in answers:
        parsed = model_type.model_validate(answer)
        if hasattr(parsed, "model"):
            assert parsed.model == body["model"]
    if endpoint == "/v1/embeddings":
        assert [len(item["embedding"]) for item in answers[0]["data"]] == [4, 4]
    if endpoint == "/v1/images/generations":
        assert len(answers[0]["data"]) == 2
    input_tokens = sum(_usage(answer)[0] for answer in answers)
    output_tokens = sum(_usage(answer)[1] for answer in answers)
    assert (done.usage.input_tokens, done.usage.output_tokens) == (input_tokens, output_tokens)
    # the same request always gets the same answer
    again = client.batches.create(
        input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h"
    )
    repeat = parse_jsonl(
        client.files.content(client.batches.retrieve(again.id).output_file_id).read()
    )
    assert [line["response"]["body"].get("usage") for line in repeat] == [
        answer.get("usage") for answer in answers
    ]


def _usage(answer: dict[str, Any]) -> tuple[int, int]:
    usage = answer.get("usage") or {}
    return (
        usage.get("input_tokens", usage.get("prompt_tokens", 0)),
        usage.get("output_tokens", usage.get("completion_tokens", 0)),
    )
