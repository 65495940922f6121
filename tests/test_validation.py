"""JSONL validation: the service's codes, the CLI, and the mock's opt-in strict mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.validation import validate

from .conftest import BATCH_LINE


def batch_line(
    custom_id: str, url: str = "/v1/chat/completions", model: str = "gpt-4o-mini"
) -> bytes:
    return (
        json.dumps(
            {
                "custom_id": custom_id,
                "method": "POST",
                "url": url,
                "body": {"model": model, "messages": []},
            }
        ).encode()
        + b"\n"
    )


def codes(content: bytes, purpose: str) -> list[tuple[int | None, str]]:
    return [(p.line, p.code) for p in validate(content, purpose)]


def test_good_batch_file_has_no_problems() -> None:
    assert validate(batch_line("a") + batch_line("b"), "batch") == []


def test_every_bad_batch_line_is_reported() -> None:
    content = (
        batch_line("a")
        + b"{not json\n"
        + batch_line("a")
        + batch_line("c", url="/v1/embeddings")
        + batch_line("d", model="gpt-4o")
        + b'{"custom_id": "e", "method": "POST", "url": "/v1/chat/completions"}\n'
        + b"[1, 2]\n"
        + json.dumps(
            {
                "custom_id": "f",
                "method": "GET",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o-mini"},
            }
        ).encode()
    )
    assert codes(content, "batch") == [
        (2, "invalid_json_line"),
        (3, "duplicate_custom_id"),
        (4, "url_mismatch"),
        (5, "model_mismatch"),
        (6, "missing_required_parameter"),
        (7, "invalid_json_line"),
        (8, "invalid_method"),
    ]
    problems = validate(content, "batch")
    assert problems[1].param == "custom_id"
    assert problems[4].message == "Missing required parameter: 'body'."


def test_empty_and_oversized_batches() -> None:
    assert codes(b"", "batch") == [(None, "empty_file")]
    many = b"".join(batch_line(str(i)) for i in range(50_001))
    assert codes(many, "batch") == [(None, "too_many_tasks")]


def test_fine_tune_examples() -> None:
    good = (
        b'{"messages": [{"role": "user", "content": "hi"}, '
        b'{"role": "assistant", "content": "yo"}]}\n'
    )
    content = (
        good
        + b'{"messages": [{"role": "user", "content": "hi"}]}\n'
        + b'{"prompt_only": true}\n'
        + b'{"messages": [{"role": "bot", "content": "x"}, '
        + b'{"role": "assistant", "content": "y"}]}\n'
        + b"nope\n"
    )
    problems = validate(content, "fine-tune")
    assert [(p.line, p.code) for p in problems] == [
        (2, "invalid_training_file"),
        (3, "invalid_training_file"),
        (4, "invalid_training_file"),
        (5, "invalid_json_line"),
    ]
    assert problems[0].message == "Invalid file format. Example 2 has no assistant message."
    assert "unrecognized role: 'bot'" in problems[2].message
    assert validate(b'{"prompt": "a", "completion": "b"}\n', "fine-tune") == []


def test_cli_validate(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(batch_line("a") + batch_line("b"))
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(batch_line("a") + batch_line("a"))

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mockfiles", "validate", str(path), "--purpose", "batch"],
            capture_output=True,
            text=True,
        )

    ok = run(good)
    assert ok.returncode == 0 and "OK, 2 line(s)" in ok.stdout
    failed = run(bad)
    assert failed.returncode == 1
    assert failed.stdout.startswith("line 2: duplicate_custom_id: The custom_id 'a'")
    missing = run(tmp_path / "absent.jsonl")
    assert missing.returncode == 2 and "absent.jsonl" in missing.stderr


@pytest.mark.mockfiles(validate_content=True)
def test_strict_mode_marks_bad_uploads_as_error(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    bad = client.files.create(file=("in.jsonl", BATCH_LINE + b"oops\n"), purpose="batch")
    assert bad.status == "error"
    assert (
        bad.status_details == "line 2: invalid_json_line: This line is not parseable as valid JSON."
    )
    assert client.files.retrieve(bad.id).status == "error"
    assert client.files.wait_for_processing(bad.id).status == "error"
    good = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    assert (good.status, good.status_details) == ("processed", None)
    other = client.files.create(file=("a.txt", b"not jsonl at all"), purpose="user_data")
    assert other.status == "processed"


def test_without_strict_mode_bad_content_uploads_fine(client: openai.OpenAI) -> None:
    created = client.files.create(file=("in.jsonl", b"oops\n"), purpose="batch")
    assert (created.status, created.status_details) == ("processed", None)
