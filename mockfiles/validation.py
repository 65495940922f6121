"""Content checks on JSONL files (no HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .blobs import Blob


def jsonl_lines(blob: Blob) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` for every line, joined across chunk boundaries.

    A final newline does not make an extra empty line.
    """
    number = 0
    carry = b""
    for chunk in blob.chunks():
        data = carry + bytes(chunk) if carry else bytes(chunk)
        lines = data.split(b"\n")
        carry = lines.pop()
        for line in lines:
            number += 1
            yield number, line.rstrip(b"\r")
    if carry:
        yield number + 1, carry.rstrip(b"\r")


def first_jsonl_problem(blob: Blob) -> str | None:
    """Why ``blob`` is not one JSON object per line (naming the line), or None if it is."""
    seen = False
    for number, item in _objects(blob):
        seen = True
        if isinstance(item, LineProblem):
            return f"line {number}: {item.message}"
    return None if seen else "the file is empty."


@dataclass(frozen=True)
class LineProblem:
    """One problem in a JSONL file, with the service's error code."""

    line: int | None
    code: str
    message: str
    param: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.code}: {self.message}"


BATCH_MAX_TASKS = 50_000
BATCH_FIELDS = ("custom_id", "method", "url", "body")
CHAT_ROLES = frozenset({"system", "user", "assistant", "tool"})


def _objects(blob: Blob) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """Each line parsed as a JSON object, or the problem with it."""
    for number, line in jsonl_lines(blob):
        if not line.strip():
            yield number, LineProblem(number, "invalid_json_line", "This line is empty.")
            continue
        try:
            value = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            yield (
                number,
                LineProblem(
                    number, "invalid_json_line", "This line is not parseable as valid JSON."
                ),
            )
            continue
        if not isinstance(value, dict):
            yield (
                number,
                LineProblem(number, "invalid_json_line", "This line is not a JSON object."),
            )
            continue
        yield number, value


class _Examples:
    """The JSON objects of a file, one per line; lines that are not go to ``problems``."""

    def __init__(self, blob: Blob, problems: list[LineProblem]) -> None:
        self.blob = blob
        self.problems = problems
        self.lines = 0

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, item in _objects(self.blob):
            self.lines += 1
            if isinstance(item, LineProblem):
                self.problems.append(item)
            else:
                yield number, item


def validate_batch(blob: Blob, *, max_tasks: int = BATCH_MAX_TASKS) -> list[LineProblem]:
    """Every problem the Batch API would report for this input file."""
    problems: list[LineProblem] = []
    seen_ids: set[str] = set()
    first_url: str | None = None
    first_model: str | None = None
    examples = _Examples(blob, problems)
    for number, item in examples:
        missing = [name for name in BATCH_FIELDS if name not in item]
        for name in missing:
            problems.append(
                LineProblem(
                    number,
                    "missing_required_parameter",
                    f"Missing required parameter: '{name}'.",
                    name,
                )
            )
        if missing:
            continue
        custom_id, url, body = item["custom_id"], item["url"], item["body"]
        if item["method"] != "POST":
            problems.append(
                LineProblem(
                    number,
                    "invalid_method",
                    f"Invalid method '{item['method']}': only 'POST' is supported.",
                    "method",
                )
            )
        if custom_id in seen_ids:
            problems.append(
                LineProblem(
                    number,
                    "duplicate_custom_id",
                    f"The custom_id '{custom_id}' is a duplicate of another request. The "
                    "custom_id parameter must be unique for each request in a batch.",
                    "custom_id",
                )
            )
        seen_ids.add(str(custom_id))
        if first_url is None:
            first_url = url
        elif url != first_url:
            problems.append(
                LineProblem(
                    number,
                    "url_mismatch",
                    f"The provided URL '{url}' does not match the URL of the first request "
                    f"('{first_url}'). All requests in a batch must use the same URL.",
                    "url",
                )
            )
        model = body.get("model") if isinstance(body, dict) else None
        if first_model is None:
            first_model = model
        elif model != first_model:
            problems.append(
                LineProblem(
                    number,
                    "model_mismatch",
                    f"The provided model '{model}' does not match the model of the first request "
                    f"('{first_model}'). All requests in a batch must use the same model.",
                    "body.model",
                )
            )
    count = examples.lines
    if count == 0:
        problems.append(LineProblem(None, "empty_file", "The batch input file is empty."))
    elif count > max_tasks:
        problems.append(
            LineProblem(
                None,
                "too_many_tasks",
                f"The batch input file has {count} requests; at most {max_tasks} are allowed.",
            )
        )
    return problems


def _chat_problem(example: dict[str, Any]) -> str | None:
    if "messages" not in example:
        if isinstance(example.get("prompt"), str) and isinstance(example.get("completion"), str):
            return None  # the legacy prompt/completion format
        return "is missing key 'messages'"
    messages = example["messages"]
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list"
    for index, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            return f"message {index} is not an object"
        role = message.get("role")
        if role not in CHAT_ROLES:
            return f"message {index} has unrecognized role: {role!r}"
        content = message.get("content")
        if not isinstance(content, str | list) and not (
            role == "assistant" and content is None and message.get("tool_calls")
        ):
            return f"message {index} is missing 'content' (a string)"
    if not any(m.get("role") == "assistant" for m in messages):
        return "has no assistant message"
    return None


def validate_fine_tune(blob: Blob) -> list[LineProblem]:
    """Every problem a fine-tuning job would report for this chat training file."""
    problems: list[LineProblem] = []
    examples = _Examples(blob, problems)
    for number, item in examples:
        problem = _chat_problem(item)
        if problem is not None:
            problems.append(
                LineProblem(
                    number,
                    "invalid_training_file",
                    f"Invalid file format. Example {number} {problem}.",
                    "messages",
                )
            )
    if examples.lines == 0:
        problems.append(LineProblem(None, "empty_file", "The training file is empty."))
    return problems


VALIDATORS = {"batch": validate_batch, "fine-tune": validate_fine_tune}


def validate(content: Blob | bytes, purpose: str) -> list[LineProblem]:
    """Every problem in ``content`` for ``purpose`` (``batch`` or ``fine-tune``)."""
    try:
        validator = VALIDATORS[purpose]
    except KeyError:
        raise ValueError(f"purpose must be one of {sorted(VALIDATORS)}, not {purpose!r}") from None
    return validator(content if isinstance(content, Blob) else Blob.of(content))
