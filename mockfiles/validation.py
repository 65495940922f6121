"""Content checks on JSONL files (no HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import safe_json
from .blobs import Blob

#: Content is read in pieces of at most this size, so scanning a file never copies it
#: whole (nor splits it into all of its lines at once).
PIECE_BYTES = 1 << 20


def pieces(blob: Blob) -> Iterator[bytes]:
    """The content in order, as ``bytes`` of at most :data:`PIECE_BYTES`."""
    for chunk in blob.chunks():
        if isinstance(chunk, bytes) and len(chunk) <= PIECE_BYTES:
            yield chunk
            continue
        view = memoryview(chunk)
        for start in range(0, len(view), PIECE_BYTES):
            yield view[start : start + PIECE_BYTES].tobytes()


def jsonl_lines(blob: Blob) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` for every line, joined across chunk boundaries.

    A final newline does not make an extra empty line.
    """
    number = 0
    carry = b""
    for piece in pieces(blob):
        data = carry + piece if carry else piece
        lines = data.split(b"\n")
        carry = lines.pop()
        for line in lines:
            number += 1
            yield number, line.rstrip(b"\r")
    if carry:
        yield number + 1, carry.rstrip(b"\r")


def line_count(blob: Blob) -> int:
    """How many lines :func:`jsonl_lines` yields for ``blob``."""
    newlines = 0
    last = b""
    for piece in pieces(blob):
        newlines += piece.count(b"\n")
        last = piece[-1:]
    return newlines + (1 if last not in (b"", b"\n") else 0)


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


_DECODE = safe_json.loads


def _objects(blob: Blob) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """Each line parsed as a JSON object, or the problem with it."""
    for number, line in jsonl_lines(blob):
        if not line.strip():
            yield number, LineProblem(number, "invalid_json_line", "This line is empty.")
            continue
        try:
            value = _DECODE(line.decode("utf-8"))
        except safe_json.TooDeep as exc:
            yield (
                number,
                LineProblem(number, "invalid_json_line", f"This line is {exc}."),
            )
            continue
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


#: Endpoints whose request body must name a ``model``.
MODEL_ENDPOINTS = frozenset(
    {"/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions"}
)


def _endpoint_problems(number: int, url: Any, body: Any, endpoint: str) -> list[LineProblem]:
    """What the Batch API reports for a line that does not fit the batch's endpoint."""
    problems: list[LineProblem] = []
    if url != endpoint:
        problems.append(
            LineProblem(
                number,
                "invalid_url",
                "The URL provided for this request does not match the batch endpoint.",
                "url",
            )
        )
    if not isinstance(body, dict):
        problems.append(
            LineProblem(
                number,
                "invalid_request",
                "The 'body' of a request must be a JSON object.",
                "body",
            )
        )
        return problems
    if endpoint in MODEL_ENDPOINTS and not body.get("model"):
        problems.append(
            LineProblem(number, "invalid_request", "Model parameter is required.", "body.model")
        )
    if endpoint == "/v1/chat/completions" and not body.get("messages"):
        problems.append(
            LineProblem(
                number, "invalid_request", "Messages parameter is required.", "body.messages"
            )
        )
    if body.get("stream") is True:
        api = "Chat Completions" if endpoint == "/v1/chat/completions" else "Requests"
        problems.append(
            LineProblem(
                number,
                "streaming_unsupported",
                f"{api}: Streaming is not supported in the Batch API.",
                "body.stream",
            )
        )
    return problems


class BatchChecker:
    """The Batch API's checks, one parsed line at a time (so a caller that parses each
    line once can check and use it in the same pass); :func:`validate_batch` runs it
    over a whole file."""

    def __init__(self, *, max_tasks: int = BATCH_MAX_TASKS, endpoint: str | None = None) -> None:
        self.max_tasks = max_tasks
        self.endpoint = endpoint
        self.problems: list[LineProblem] = []
        self.lines = 0
        self._seen_ids: set[str] = set()
        self._first_url: str | None = None
        self._first_model: str | None = None

    def bad_line(self, problem: LineProblem) -> None:
        """Count a line that is not a JSON object (its problem is reported)."""
        self.lines += 1
        self.problems.append(problem)

    def check(self, number: int, item: dict[str, Any]) -> bool:
        """Check one request line; True when it added no problem."""
        self.lines += 1
        problems = self.problems
        before = len(problems)
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
            return False
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
        if str(custom_id) in self._seen_ids:
            problems.append(
                LineProblem(
                    number,
                    "duplicate_custom_id",
                    f"The custom_id '{custom_id}' is a duplicate of another request. The "
                    "custom_id parameter must be unique for each request in a batch.",
                    "custom_id",
                )
            )
        self._seen_ids.add(str(custom_id))
        if self.endpoint is not None:
            problems.extend(_endpoint_problems(number, url, body, self.endpoint))
        elif self._first_url is None:
            self._first_url = url
        elif url != self._first_url:
            problems.append(
                LineProblem(
                    number,
                    "url_mismatch",
                    f"The provided URL '{url}' does not match the URL of the first request "
                    f"('{self._first_url}'). All requests in a batch must use the same URL.",
                    "url",
                )
            )
        model = body.get("model") if isinstance(body, dict) else None
        if self._first_model is None:
            self._first_model = model
        elif model != self._first_model:
            problems.append(
                LineProblem(
                    number,
                    "model_mismatch",
                    f"The provided model '{model}' does not match the model of the first request "
                    f"('{self._first_model}'). All requests in a batch must use the same model.",
                    "body.model",
                )
            )
        return len(problems) == before

    @property
    def model(self) -> str | None:
        """The model the first request line names, if any."""
        return self._first_model if isinstance(self._first_model, str) else None

    def finish(self) -> list[LineProblem]:
        """Every problem found, with the file-level ones (empty, too many tasks)."""
        count = self.lines
        if count == 0:
            self.problems.append(LineProblem(None, "empty_file", "The batch input file is empty."))
        elif count > self.max_tasks:
            self.problems.append(
                LineProblem(
                    None,
                    "too_many_tasks",
                    f"The batch input file has {count} requests; at most {self.max_tasks} "
                    "are allowed.",
                )
            )
        return self.problems


def parsed_lines(blob: Blob) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """Each line of ``blob`` parsed as a JSON object, or the problem with it."""
    return _objects(blob)


def validate_batch(
    blob: Blob, *, max_tasks: int = BATCH_MAX_TASKS, endpoint: str | None = None
) -> list[LineProblem]:
    """Every problem the Batch API would report for this input file (with ``endpoint``,
    also each line whose ``url`` or body does not fit the batch's endpoint)."""
    checker = BatchChecker(max_tasks=max_tasks, endpoint=endpoint)
    for number, item in _objects(blob):
        if isinstance(item, LineProblem):
            checker.bad_line(item)
        else:
            checker.check(number, item)
    return checker.finish()


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
