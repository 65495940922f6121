"""The default batch responder: a plausible, deterministic, schema-valid answer for
every endpoint of the Batch API, with ``model`` taken from the request and ``usage``
filled (so a batch's ``usage`` adds up).

Ids inside answers are derived from the request (batch id and ``custom_id``), token
counts from its text (about four characters a token), so the same request always gets
the same answer.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from typing import Any

from ..batch_types import BatchRequest

Body = dict[str, Any]

MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
#: A 1x1 transparent PNG, the image every image request gets.
PIXEL_PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJ"
    "RU5ErkJggg=="
)
EMBEDDING_DIMENSIONS = 8


def tokens(text: str) -> int:
    """A deterministic token estimate: about four characters a token, at least one."""
    return max(1, (len(text) + 3) // 4)


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " ".join(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _suffix(request: BatchRequest, length: int = 24) -> str:
    return hashlib.blake2b(
        f"{request.batch_id}/{request.custom_id}".encode(), digest_size=length // 2
    ).hexdigest()


def reply_text(request: BatchRequest) -> str:
    """The text every text answer carries."""
    return f"Mock answer to request {request.custom_id}."


def _model(request: BatchRequest, default: str) -> str:
    model = request.body.get("model")
    return model if isinstance(model, str) and model else default


Tokens = tuple[int, int, int, int]


def chat_completion(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """A ``chat.completion``."""
    messages = request.body.get("messages")
    prompt = 0
    if isinstance(messages, list):
        for message in messages:
            content = message.get("content") if isinstance(message, dict) else message
            prompt += 3 + tokens(_text_of(content))
    text = reply_text(request)
    completion = tokens(text)
    body = {
        "id": "chatcmpl-" + _suffix(request),
        "object": "chat.completion",
        "created": now,
        "model": _model(request, "gpt-4o-mini"),
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": None,
    }
    return body, (prompt, completion, 0, 0)


def response(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """A Responses API ``response``."""
    prompt = tokens(_text_of(request.body.get("input"))) + tokens(
        _text_of(request.body.get("instructions"))
    )
    text = reply_text(request)
    output = tokens(text)
    suffix = _suffix(request, 32)
    body = {
        "id": "resp_" + suffix,
        "object": "response",
        "created_at": now,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": request.body.get("instructions"),
        "max_output_tokens": request.body.get("max_output_tokens"),
        "model": _model(request, "gpt-4o-mini"),
        "output": [
            {
                "type": "message",
                "id": "msg_" + suffix,
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + output,
        },
        "metadata": request.body.get("metadata") or {},
    }
    return body, (prompt, output, 0, 0)


def _vector(request: BatchRequest, index: int, dimensions: int) -> list[float]:
    seed = f"{request.custom_id}/{index}".encode()
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(seed + struct.pack(">I", counter)).digest()
        values.extend(round(b / 127.5 - 1.0, 6) for b in digest)
        counter += 1
    return values[:dimensions]


def embeddings(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """An embeddings ``list``: one vector per input, ``dimensions`` long (default 8)."""
    raw = request.body.get("input")
    inputs = raw if isinstance(raw, list) and raw and not isinstance(raw[0], int) else [raw]
    dimensions = request.body.get("dimensions")
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
        dimensions = EMBEDDING_DIMENSIONS
    prompt = sum(tokens(_text_of(item)) for item in inputs)
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": _vector(request, i, dimensions)}
            for i in range(len(inputs))
        ],
        "model": _model(request, "text-embedding-3-small"),
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    }
    return body, (prompt, 0, 0, 0)


def completion(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """A legacy ``text_completion``."""
    prompt = tokens(_text_of(request.body.get("prompt")))
    text = reply_text(request)
    output = tokens(text)
    body = {
        "id": "cmpl-" + _suffix(request),
        "object": "text_completion",
        "created": now,
        "model": _model(request, "gpt-3.5-turbo-instruct"),
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
        },
    }
    return body, (prompt, output, 0, 0)


def moderation(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """A moderation: nothing flagged."""
    raw = request.body.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    body = {
        "id": "modr-" + _suffix(request),
        "model": _model(request, "omni-moderation-latest"),
        "results": [
            {
                "flagged": False,
                "categories": dict.fromkeys(MODERATION_CATEGORIES, False),
                "category_scores": dict.fromkeys(MODERATION_CATEGORIES, 0.0),
                "category_applied_input_types": {c: ["text"] for c in MODERATION_CATEGORIES},
            }
            for _ in inputs
        ],
    }
    return body, (0, 0, 0, 0)


def image(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """An images response: ``n`` copies of a 1x1 PNG (as ``b64_json``)."""
    count = request.body.get("n")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        count = 1
    prompt = tokens(_text_of(request.body.get("prompt")))
    body = {
        "created": now,
        "data": [{"b64_json": PIXEL_PNG_B64} for _ in range(count)],
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"text_tokens": prompt, "image_tokens": 0},
            "output_tokens": 0,
            "total_tokens": prompt,
        },
    }
    return body, (prompt, 0, 0, 0)


def video(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """A completed ``video`` job."""
    body = {
        "id": "video_" + _suffix(request, 32),
        "object": "video",
        "created_at": now,
        "completed_at": now,
        "expires_at": now + 86_400,
        "status": "completed",
        "model": _model(request, "sora-2"),
        "progress": 100,
        "prompt": request.body.get("prompt"),
        "seconds": str(request.body.get("seconds", "4")),
        "size": str(request.body.get("size", "720x1280")),
        "error": None,
        "remixed_from_video_id": None,
    }
    return body, (0, 0, 0, 0)


ANSWERS: dict[str, Callable[[BatchRequest, int], tuple[Body, Tokens]]] = {
    "/v1/chat/completions": chat_completion,
    "/v1/responses": response,
    "/v1/embeddings": embeddings,
    "/v1/completions": completion,
    "/v1/moderations": moderation,
    "/v1/images/generations": image,
    "/v1/images/edits": image,
    "/v1/videos": video,
}


def default_answer(request: BatchRequest, now: int) -> tuple[Body, Tokens]:
    """The default responder's body for ``request``, answered at ``now``, and the
    ``(input, output, cached, reasoning)`` tokens its ``usage`` reports."""
    answer = ANSWERS.get(request.endpoint, chat_completion)
    return answer(request, now)


def usage_of(body: Any) -> Tokens:
    """``(input, output, cached, reasoning)`` tokens an answer's ``usage`` reports."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0, 0, 0, 0
    input_tokens = _int(usage.get("input_tokens", usage.get("prompt_tokens")))
    output_tokens = _int(usage.get("output_tokens", usage.get("completion_tokens")))
    input_details = usage.get("input_tokens_details") or usage.get("prompt_tokens_details")
    output_details = usage.get("output_tokens_details") or usage.get("completion_tokens_details")
    cached = _int(input_details.get("cached_tokens")) if isinstance(input_details, dict) else 0
    reasoning = (
        _int(output_details.get("reasoning_tokens")) if isinstance(output_details, dict) else 0
    )
    return input_tokens, output_tokens, cached, reasoning


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_STRING = json.encoder.encode_basestring


def chat_completion_line(
    request: BatchRequest, custom_id: Any, now: int, req_id: str, request_id: str
) -> tuple[bytes, Tokens] | None:
    """The output line the default responder writes for a chat request, formatted
    directly (the same bytes as encoding :func:`chat_completion`'s body in an output
    line, without building it); None when the request needs the general path."""
    if not isinstance(custom_id, str):
        return None
    messages = request.body.get("messages")
    prompt = 0
    if isinstance(messages, list):
        for message in messages:
            content = message.get("content") if isinstance(message, dict) else message
            text = content if isinstance(content, str) else _text_of(content)
            prompt += 3 + max(1, (len(text) + 3) // 4)
    reply = f"Mock answer to request {custom_id}."
    completion = max(1, (len(reply) + 3) // 4)
    model = request.body.get("model")
    if not isinstance(model, str) or not model:
        model = "gpt-4o-mini"
    line = (
        f'{{"id":"{req_id}","custom_id":{_STRING(custom_id)},"response":{{"status_code":200,'
        f'"request_id":"{request_id}","body":{{"id":"chatcmpl-{_suffix(request)}",'
        f'"object":"chat.completion","created":{now},"model":{_STRING(model)},'
        f'"choices":[{{"index":0,"message":{{"role":"assistant","content":{_STRING(reply)},'
        '"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],'
        f'"usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion},'
        f'"total_tokens":{prompt + completion},"prompt_tokens_details":{{"cached_tokens":0,'
        '"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,'
        '"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},'
        '"service_tier":"default","system_fingerprint":null}},"error":null}\n'
    )
    return line.encode(), (prompt, completion, 0, 0)
