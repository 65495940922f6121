"""Content checks on JSONL files (no HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
    for number, line in jsonl_lines(blob):
        seen = True
        if not line.strip():
            return f"line {number} is empty."
        try:
            value = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"line {number} is not valid JSON ({exc})."
        if not isinstance(value, dict):
            return f"line {number} is a JSON {type(value).__name__}, not an object."
    if not seen:
        return "the file is empty."
    return None
