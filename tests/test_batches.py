# mypy: disable-error-code="union-attr, arg-type, operator, comparison-overlap"
"""The Batch API through the openai SDK: pipeline, lifecycle on the clock, validation,
cancel, expiry, responders, create-time errors, listing, tenants, journal and faults."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import openai
import pytest
import time_machine
from freezegun import freeze_time

from mockfiles import (
    BatchErrorResponse,
    BatchExpired,
    BatchFailed,
    BatchRequest,
    MockFiles,
)
from mockfiles.services.batch_answers import chat_completion

from .batch_helpers import CHAT, chat_lines, parse_jsonl

KEY_ORDER = [
    "id",
    "object",
    "endpoint",
    "model",
    "errors",
    "input_file_id",
    "completion_window",
    "status",
    "output_file_id",
    "error_file_id",
    "created_at",
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
    "request_counts",
    "usage",
    "metadata",
]
TERMINAL = ("completed", "failed", "expired", "cancelled")


def upload(client: openai.OpenAI, content: bytes, name: str = "in.jsonl") -> str:
    file_id: str = client.files.create(file=(name, content), purpose="batch").id
    return file_id


def create(client: openai.OpenAI, file_id: str, **extra: Any) -> Any:
    return client.batches.create(
        input_file_id=file_id, endpoint=CHAT, completion_window="24h", **extra
    )


def poll(client: openai.OpenAI, batch_id: str) -> Any:
    batch = client.batches.retrieve(batch_id)
    for _ in range(10):
        if batch.status in TERMINAL:
            break
        batch = client.batches.retrieve(batch_id)
    return batch


# -- the pipeline ---------------------------------------------------------------------


def test_pipeline_upload_create_poll_download_parse(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    file_id = upload(client, chat_lines(3))
    created = create(client, file_id, metadata={"job": "nightly"})
    assert re.fullmatch(r"batch_[0-9a-f]{32}", created.id)
    assert created.status == "validating" and created.model is None
    assert created.expires_at == created.created_at + 86_400
    assert created.in_progress_at is None and created.completed_at is None
    assert created.request_counts.total == 0 and created.usage.total_tokens == 0
    batch = poll(client, created.id)
    assert batch.status == "completed"
    assert batch.model == "gpt-4o-mini" and batch.metadata == {"job": "nightly"}
    assert batch.error_file_id is None and batch.errors is None
    assert (batch.request_counts.total, batch.request_counts.completed) == (3, 3)
    assert batch.request_counts.failed == 0
    lines = parse_jsonl(client.files.content(batch.output_file_id).read())
    assert [line["custom_id"] for line in lines] == ["req-0", "req-1", "req-2"]
    for line in lines:
        assert re.fullmatch(r"batch_req_[0-9a-f]{32}", line["id"])
        assert line["error"] is None and line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_")
        completion = openai.types.chat.ChatCompletion.model_validate(line["response"]["body"])
        assert completion.model == "gpt-4o-mini"
        assert completion.choices[0].message.content
    usages = [line["response"]["body"]["usage"] for line in lines]
    assert batch.usage.input_tokens == sum(u["prompt_tokens"] for u in usages) > 0
    assert batch.usage.output_tokens == sum(u["completion_tokens"] for u in usages) > 0
    assert batch.usage.total_tokens == batch.usage.input_tokens + batch.usage.output_tokens
    output = client.files.retrieve(batch.output_file_id)
    assert output.purpose == "batch_output" and output.filename == f"{batch.id}_output.jsonl"
    assert batch.output_file_id in [f.id for f in client.files.list(purpose="batch_output")]
    assert batch.output_file_id in [f.id for f in mockfiles.stored_files()]


def test_batch_object_keys_in_the_recorded_order(mockfiles: MockFiles) -> None:
    http = httpx.Client(
        transport=mockfiles.transport("httpx"), headers={"authorization": "Bearer k"}
    )
    root = mockfiles.base_url
    file_id = http.post(
        f"{root}/files", files={"file": ("a.jsonl", chat_lines(1))}, data={"purpose": "batch"}
    ).json()["id"]
    body = {"input_file_id": file_id, "endpoint": CHAT, "completion_window": "24h"}
    created = http.post(f"{root}/batches", json=body).json()
    assert list(created) == KEY_ORDER
    assert created["usage"] == {
        "input_tokens": 0,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    }
    done = http.get(f"{root}/batches/{created['id']}").json()
    assert list(done) == KEY_ORDER and done["status"] == "completed"


async def test_async_pipeline(aclient: openai.AsyncOpenAI) -> None:
    uploaded = await aclient.files.create(file=("in.jsonl", chat_lines(2)), purpose="batch")
    batch = await aclient.batches.create(
        input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h"
    )
    assert batch.status == "validating"
    batch = await aclient.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.output_file_id
    content = await aclient.files.content(batch.output_file_id)
    assert [line["custom_id"] for line in parse_jsonl(content.read())] == ["req-0", "req-1"]
    page = await aclient.batches.list()
    assert [b.id for b in page.data] == [batch.id]
    with pytest.raises(openai.ConflictError, match="status 'completed'"):
        await aclient.batches.cancel(batch.id)


# -- the lifecycle on the clock -------------------------------------------------------


@pytest.mark.mockfiles(batch_durations={"validating": 10, "in_progress": 100, "finalizing": 5})
def test_every_transition_at_its_moment_on_the_clock(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    batch = create(client, upload(client, chat_lines(4)))
    t0 = batch.created_at
    mockfiles.clock.advance(9)
    assert client.batches.retrieve(batch.id).status == "validating"
    mockfiles.clock.advance(1)
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.in_progress_at == t0 + 10
    assert running.model == "gpt-4o-mini" and running.request_counts.total == 4
    mockfiles.clock.advance(50)  # two of four lines are due at 25 s and 50 s
    halfway = client.batches.retrieve(batch.id)
    assert halfway.request_counts.completed == 2 and halfway.output_file_id is None
    mockfiles.clock.advance(50)
    finalizing = client.batches.retrieve(batch.id)
    assert finalizing.status == "finalizing" and finalizing.finalizing_at == t0 + 110
    assert finalizing.request_counts.completed == 4
    mockfiles.clock.advance(10_000)  # look much later: the times stay where they happened
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert (done.in_progress_at, done.finalizing_at, done.completed_at) == (
        t0 + 10,
        t0 + 110,
        t0 + 115,
    )
    assert client.files.retrieve(done.output_file_id).created_at == t0 + 115


@pytest.mark.mockfiles(batch_durations={"validating": 10, "in_progress": 100, "finalizing": 5})
def test_output_files_are_listed_without_reading_the_batch(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    input_id = upload(client, chat_lines(2))
    batch = create(client, input_id)
    mockfiles.clock.advance(200)  # nobody reads the batch: its outputs still appear
    names = sorted(f.filename for f in client.files.list())
    assert names == sorted(["in.jsonl", f"{batch.id}_output.jsonl"])
    assert sorted(f.filename for f in mockfiles.stored_files()) == names
    output = next(f for f in client.files.list() if f.purpose == "batch_output")
    assert output.created_at == batch.created_at + 115  # made when it happened on the clock
    assert client.batches.retrieve(batch.id).output_file_id == output.id


@pytest.mark.mockfiles(batch_durations={"validating": 60, "in_progress": 60, "finalizing": 60})
def test_freezegun_drives_batches(client: openai.OpenAI) -> None:
    with freeze_time("2030-01-01 00:00:00") as frozen:
        batch = create(client, upload(client, chat_lines(2)))
        assert client.batches.retrieve(batch.id).status == "validating"
        frozen.tick(120)
        assert client.batches.retrieve(batch.id).status == "finalizing"
        frozen.tick(60)
        done = client.batches.retrieve(batch.id)
    start = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    assert done.status == "completed" and done.completed_at == start + 180


@pytest.mark.mockfiles(batch_durations={"in_progress": 3600})
def test_time_machine_drives_batches(client: openai.OpenAI) -> None:
    with time_machine.travel(datetime(2031, 6, 1, tzinfo=UTC), tick=False) as traveller:
        batch = create(client, upload(client, chat_lines(2)))
        traveller.shift(1800)
        assert client.batches.retrieve(batch.id).request_counts.completed == 1
        traveller.shift(1800)
        done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.completed_at == batch.created_at + 3600


# -- validation -----------------------------------------------------------------------


def test_a_failing_file_reports_every_bad_line(client: openai.OpenAI) -> None:
    good = json.loads(chat_lines(1))
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({k: v for k, v in good.items() if k != "custom_id"}),
        json.dumps({**good, "custom_id": "b", "url": "/v1/embeddings"}),
        json.dumps({**good, "custom_id": "c", "body": {**good["body"], "stream": True}}),
        json.dumps({**good, "custom_id": "d", "body": {"messages": good["body"]["messages"]}}),
    ]
    batch = poll(client, create(client, upload(client, "\n".join(lines).encode())).id)
    assert batch.status == "failed" and batch.failed_at is not None
    assert batch.output_file_id is None and batch.error_file_id is None
    assert batch.in_progress_at is None and batch.request_counts.total == 0
    found = [(e.line, e.code, e.param, e.message) for e in batch.errors.data]
    assert (2, "invalid_json_line", None, "This line is not parseable as valid JSON.") in found
    assert (
        3,
        "missing_required_parameter",
        "custom_id",
        "Missing required parameter: 'custom_id'.",
    ) in found
    assert (
        4,
        "invalid_url",
        "url",
        "The URL provided for this request does not match the batch endpoint.",
    ) in found
    assert (
        5,
        "streaming_unsupported",
        "body.stream",
        "Chat Completions: Streaming is not supported in the Batch API.",
    ) in found
    assert (6, "invalid_request", "body.model", "Model parameter is required.") in found
    assert {line for line, *_ in found} == {2, 3, 4, 5, 6}


def test_an_empty_file_fails(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, b"")).id)
    assert batch.status == "failed"
    assert [(e.code, e.line) for e in batch.errors.data] == [("empty_file", None)]


# -- cancel ---------------------------------------------------------------------------


@pytest.mark.mockfiles(batch_durations={"in_progress": 100, "cancelling": 600})
def test_cancel_keeps_the_output_so_far(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    batch = create(client, upload(client, chat_lines(4)))
    mockfiles.clock.advance(50)
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling"
    assert cancelling.cancelling_at == int(mockfiles.clock.now())
    assert cancelling.cancelled_at is None
    mockfiles.clock.advance(599)
    assert client.batches.retrieve(batch.id).status == "cancelling"
    mockfiles.clock.advance(1)
    done = client.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.cancelled_at == cancelling.cancelling_at + 600
    assert (done.request_counts.completed, done.request_counts.failed) == (2, 2)
    output = parse_jsonl(client.files.content(done.output_file_id).read())
    errors = parse_jsonl(client.files.content(done.error_file_id).read())
    assert [line["custom_id"] for line in output] == ["req-0", "req-1"]
    assert [line["custom_id"] for line in errors] == ["req-2", "req-3"]
    assert all(line["response"] is None for line in errors)
    assert {line["error"]["code"] for line in errors} == {"batch_cancelled"}
    assert client.batches.cancel(batch.id).status == "cancelled"  # allowed again


@pytest.mark.mockfiles(batch_durations={"validating": 30})
def test_cancel_while_validating(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    batch = create(client, upload(client, chat_lines(2)))
    assert client.batches.cancel(batch.id).status == "cancelled"  # cancelling takes 0 s
    mockfiles.clock.advance(60)
    done = client.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.in_progress_at is None
    assert done.output_file_id is None and done.error_file_id is None


def test_cancel_of_a_completed_batch_is_409(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, chat_lines(1))).id)
    with pytest.raises(openai.ConflictError) as caught:
        client.batches.cancel(batch.id)
    assert caught.value.status_code == 409
    assert caught.value.body == {
        "message": "Cannot cancel a batch with status 'completed'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert client.batches.retrieve(batch.id).status == "completed"


def test_cancel_of_a_failed_batch_is_409(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, b"nope\n")).id)
    with pytest.raises(openai.ConflictError, match="status 'failed'"):
        client.batches.cancel(batch.id)


# -- expiry ---------------------------------------------------------------------------


@pytest.mark.mockfiles(batch_durations={"in_progress": 200_000, "finalizing": 600})
def test_unfinished_at_expires_at_becomes_expired(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    batch = create(client, upload(client, chat_lines(4)))
    mockfiles.clock.advance(86_400)
    expiring = client.batches.retrieve(batch.id)
    assert expiring.status == "finalizing" and expiring.finalizing_at == batch.expires_at
    mockfiles.clock.advance(600)
    done = client.batches.retrieve(batch.id)
    assert done.status == "expired" and done.expired_at == batch.expires_at + 600
    assert done.completed_at is None
    assert (done.request_counts.completed, done.request_counts.failed) == (1, 3)
    output = parse_jsonl(client.files.content(done.output_file_id).read())
    errors = parse_jsonl(client.files.content(done.error_file_id).read())
    assert [line["custom_id"] for line in output] == ["req-0"]
    assert [line["custom_id"] for line in errors] == ["req-1", "req-2", "req-3"]
    for line in errors:
        assert line["response"] is None
        assert line["error"]["code"] == "batch_expired"
        assert line["error"]["message"]


# -- responders -----------------------------------------------------------------------


def answer(request: BatchRequest) -> Any:
    if request.custom_id == "req-1":
        return BatchErrorResponse.of(429, "Rate limit reached.", type="requests", code="rate")
    if request.custom_id == "req-2":
        return {
            "id": "custom",
            "echo": request.body["messages"][0]["content"],
            "line": request.line,
        }
    return None  # the default answer


@pytest.mark.mockfiles(batch_responder=answer)
def test_custom_responder_and_http_error_lines(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, chat_lines(3))).id)
    assert batch.status == "completed"
    assert (batch.request_counts.completed, batch.request_counts.failed) == (2, 1)
    output = parse_jsonl(client.files.content(batch.output_file_id).read())
    assert [line["custom_id"] for line in output] == ["req-0", "req-2"]
    assert output[1]["response"]["body"] == {"id": "custom", "echo": "Hi 2", "line": 3}
    errors = parse_jsonl(client.files.content(batch.error_file_id).read())
    assert len(errors) == 1
    assert errors[0]["custom_id"] == "req-1" and errors[0]["error"] is None
    assert errors[0]["response"]["status_code"] == 429
    assert errors[0]["response"]["body"] == {
        "error": {
            "message": "Rate limit reached.",
            "type": "requests",
            "param": None,
            "code": "rate",
        }
    }
    default_usage = output[0]["response"]["body"]["usage"]
    assert batch.usage.input_tokens == default_usage["prompt_tokens"]  # the custom body has none


def test_override_by_custom_id(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    mockfiles.batch_responses["req-0"] = {"usage": {"prompt_tokens": 7, "completion_tokens": 3}}
    mockfiles.batch_responses["req-1"] = BatchErrorResponse.of(500, "Boom", type="server_error")
    batch = poll(client, create(client, upload(client, chat_lines(2))).id)
    assert (batch.request_counts.completed, batch.request_counts.failed) == (1, 1)
    assert (batch.usage.input_tokens, batch.usage.output_tokens) == (7, 3)
    errors = parse_jsonl(client.files.content(batch.error_file_id).read())
    assert errors[0]["response"]["status_code"] == 500


def fail_on_second(request: BatchRequest) -> None:
    if request.line == 2:
        raise BatchFailed("The upstream model is unavailable.", code="model_unavailable")


@pytest.mark.mockfiles(batch_responder=fail_on_second)
def test_a_responder_fails_the_batch_on_demand(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, chat_lines(3))).id)
    assert batch.status == "failed" and batch.failed_at is not None
    assert [(e.code, e.message, e.line) for e in batch.errors.data] == [
        ("model_unavailable", "The upstream model is unavailable.", 2)
    ]


@pytest.mark.mockfiles(batch_responses={"req-1": BatchExpired()})
def test_an_override_expires_the_batch_on_demand(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, chat_lines(3))).id)
    assert batch.status == "expired" and batch.expired_at is not None
    output = parse_jsonl(client.files.content(batch.output_file_id).read())
    errors = parse_jsonl(client.files.content(batch.error_file_id).read())
    assert [line["custom_id"] for line in output] == ["req-0"]
    assert [(line["custom_id"], line["error"]["code"]) for line in errors] == [
        ("req-1", "batch_expired"),
        ("req-2", "batch_expired"),
    ]


def broken(request: BatchRequest) -> Any:
    if request.line == 2:
        return "not a body"
    return None


@pytest.mark.mockfiles(batch_responder=broken)
def test_a_broken_responder_fails_the_batch_with_the_reason(client: openai.OpenAI) -> None:
    batch = poll(client, create(client, upload(client, chat_lines(3))).id)
    assert batch.status == "failed"
    [error] = batch.errors.data
    assert (error.code, error.line) == ("responder_error", 2)
    assert "TypeError" in error.message and "'req-1'" in error.message
    assert client.batches.retrieve(batch.id).status == "failed"  # stays put, no 500


def default_body_the_general_way(request: BatchRequest) -> dict[str, Any]:
    body, _ = chat_completion(request, int(time.time()))
    return body


def test_default_lines_equal_the_general_path() -> None:
    """The chat answer written directly equals the default body encoded the general way."""
    outputs = []
    for responder in (None, default_body_the_general_way):
        mock = MockFiles(seed=11, batch_responder=responder)
        client = mock.openai_client(max_retries=0)
        content = (
            chat_lines(3)
            + json.dumps(
                {
                    "custom_id": 'quote " and ünïcode \u2028',
                    "method": "POST",
                    "url": CHAT,
                    "body": {
                        "model": "gpt-4o-mini",
                        "messages": [{"role": "user", "content": [1]}],
                    },
                }
            ).encode()
        )
        with freeze_time("2030-02-02 00:00:00"):
            batch = poll(client, create(client, upload(client, content)).id)
            outputs.append(client.files.content(batch.output_file_id).read())
            assert batch.usage.input_tokens > 0
    assert outputs[0] == outputs[1]
    assert len(parse_jsonl(outputs[0])) == 4


# -- create-time errors ---------------------------------------------------------------


def bad_create(client: openai.OpenAI, status: type[Exception], **body: Any) -> dict[str, Any]:
    with pytest.raises(status) as caught:
        client.batches.create(**body)
    error: dict[str, Any] = caught.value.body  # type: ignore[attr-defined]
    return error


def test_every_create_time_mistake(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    file_id = upload(client, chat_lines(1))
    ok = {"input_file_id": file_id, "endpoint": CHAT, "completion_window": "24h"}
    error = bad_create(client, openai.BadRequestError, **{**ok, "endpoint": "/v1/nope"})
    assert error["param"] == "endpoint" and error["code"] == "invalid_value"
    assert error["message"] == (
        "Invalid value: '/v1/nope'. Supported values are: '/v1/responses', "
        "'/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/moderations', "
        "'/v1/images/generations', '/v1/images/edits' and '/v1/videos'."
    )
    error = bad_create(client, openai.BadRequestError, **{**ok, "completion_window": "48h"})
    assert error["param"] == "completion_window" and error["code"] == "invalid_value"
    error = bad_create(client, openai.BadRequestError, **ok, metadata={"n": 1})
    assert error["message"] == (
        "Invalid type for 'metadata.n': expected a string, but got an integer instead."
    )
    assert error["code"] == "invalid_type"
    error = bad_create(client, openai.BadRequestError, **ok, extra_body={"colour": "red"})
    assert error["message"] == "Unrecognized request argument supplied: colour"
    error = bad_create(
        client,
        openai.BadRequestError,
        **ok,
        output_expires_after={"anchor": "created_at", "seconds": 60},
    )
    assert error["param"] == "output_expires_after.seconds"
    assert error["code"] == "integer_below_min_value"
    error = bad_create(client, openai.NotFoundError, **{**ok, "input_file_id": "file-missing"})
    assert error["message"] == "No such File object: file-missing"
    notes = client.files.create(file=("notes.pdf", b"%PDF"), purpose="user_data").id
    error = bad_create(client, openai.BadRequestError, **{**ok, "input_file_id": notes})
    assert error["param"] == "input_file_id" and "purpose 'batch'" in error["message"]
    expiring = client.files.create(
        file=("soon.jsonl", chat_lines(1)),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 3600},
    ).id
    mockfiles.clock.advance(3600)
    error = bad_create(client, openai.NotFoundError, **{**ok, "input_file_id": expiring})
    assert error["message"] == f"No such File object: {expiring}"
    assert list(client.batches.list()) == []  # nothing was created


def test_missing_fields_and_bad_json(mockfiles: MockFiles) -> None:
    http = httpx.Client(
        transport=mockfiles.transport("httpx"), headers={"authorization": "Bearer k"}
    )
    url = f"{mockfiles.base_url}/batches"
    response = http.post(url, json={"endpoint": CHAT, "completion_window": "24h"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Missing required parameter: 'input_file_id'.",
        "type": "invalid_request_error",
        "param": "input_file_id",
        "code": "missing_required_parameter",
    }
    response = http.post(url, content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]
    response = http.post(url, json=[1])
    assert response.status_code == 400
    assert http.get(f"{url}/batch_nope").status_code == 404
    assert http.get(f"{url}/batch_nope").json()["error"]["message"] == (
        "No such Batch object: batch_nope"
    )
    assert http.delete(f"{url}/batch_nope").status_code == 404  # no such route
    assert http.get(url).json()["data"] == []  # still usable


# -- listing --------------------------------------------------------------------------


def test_list_pages_newest_first(client: openai.OpenAI) -> None:
    file_id = upload(client, chat_lines(1))
    ids = [create(client, file_id).id for _ in range(5)]
    first = client.batches.list(limit=2)
    assert [b.id for b in first.data] == ids[::-1][:2]
    assert first.has_more is True
    assert first.first_id == ids[4] and first.last_id == ids[3]  # type: ignore[attr-defined]
    assert [b.id for b in client.batches.list(limit=2)] == ids[::-1]  # auto-paging
    last = client.batches.list(limit=2, after=ids[1])
    assert [b.id for b in last.data] == [ids[0]] and last.has_more is False
    for limit in (0, 101):
        with pytest.raises(openai.BadRequestError, match="limit"):
            client.batches.list(limit=limit)
    with pytest.raises(openai.BadRequestError, match="after"):
        client.batches.list(after="batch_unknown")
    assert len(client.batches.list(limit=100).data) == 5


# -- tenants, journal, faults ---------------------------------------------------------


def test_another_keys_batch_is_404(mockfiles: MockFiles) -> None:
    alice = openai.OpenAI(api_key="sk-alice", max_retries=0)
    bob = openai.OpenAI(api_key="sk-bob", max_retries=0)
    file_id = upload(alice, chat_lines(1))
    batch = create(alice, file_id)
    for call in (bob.batches.retrieve, bob.batches.cancel):
        with pytest.raises(openai.NotFoundError, match=f"No such Batch object: {batch.id}"):
            call(batch.id)
    with pytest.raises(openai.NotFoundError):
        create(bob, file_id)  # nor can bob batch alice's file
    assert list(bob.batches.list()) == []
    with pytest.raises(openai.BadRequestError):
        bob.batches.list(after=batch.id)
    done = poll(alice, batch.id)
    with pytest.raises(openai.NotFoundError):
        bob.files.content(done.output_file_id)
    assert [f.id for f in mockfiles.stored_files(api_key="sk-alice")][-1] == done.output_file_id
    assert [b.id for b in mockfiles.stored_batches(api_key="sk-alice")] == [batch.id]
    assert mockfiles.stored_batches(api_key="sk-bob") == []


def test_journal_and_faults_apply(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    file_id = upload(client, chat_lines(1))
    mockfiles.faults.add(status=503, method="POST", path="/v1/batches")
    with pytest.raises(openai.InternalServerError):
        create(client, file_id)
    assert list(client.batches.list()) == []  # the fault answered before the service
    batch = create(client, file_id)
    call = mockfiles.calls.last
    assert (call.method, call.path, call.status) == ("POST", "/v1/batches", 200)
    assert json.loads(call.request_body)["input_file_id"] == file_id
    assert call.response_json["id"] == batch.id
    mockfiles.faults.add(status=500, method="GET", path="/v1/batches/*")
    with pytest.raises(openai.InternalServerError):
        client.batches.retrieve(batch.id)
    assert client.batches.retrieve(batch.id).status == "completed"
    assert [c.status for c in mockfiles.calls][-2:] == [500, 200]


@pytest.mark.mockfiles(batch_durations={"in_progress": 10})
def test_output_expires_after(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    batch = create(
        client,
        upload(client, chat_lines(1)),
        output_expires_after={"anchor": "created_at", "seconds": 3600},
    )
    mockfiles.clock.advance(10)
    done = client.batches.retrieve(batch.id)
    output = client.files.retrieve(done.output_file_id)
    assert output.expires_at == done.completed_at + 3600
    mockfiles.clock.advance(3600)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(done.output_file_id)
    assert client.batches.retrieve(batch.id).output_file_id == done.output_file_id


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown batch phase"):
        MockFiles(batch_durations={"running": 1})
    with pytest.raises(ValueError, match=">= 0"):
        MockFiles(batch_durations={"validating": -1})
    with pytest.raises(ValueError, match=r"400\.\.599"):
        BatchErrorResponse.of(200, "fine")


def test_a_file_sent_in_parts_is_a_batch_input(client: openai.OpenAI, tmp_path: Any) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(chat_lines(50))
    upload = client.uploads.upload_file_chunked(
        file=path, mime_type="text/jsonl", purpose="batch", part_size=1000
    )
    assert upload.file is not None
    batch = poll(client, create(client, upload.file.id).id)
    assert batch.status == "completed" and batch.request_counts.completed == 50
    lines = parse_jsonl(client.files.content(batch.output_file_id).read())
    assert [line["custom_id"] for line in lines] == [f"req-{i}" for i in range(50)]
