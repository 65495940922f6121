"""Helpers shared by the batch tests: input files and output parsing."""

from __future__ import annotations

import json
from typing import Any

CHAT = "/v1/chat/completions"


def chat_lines(count: int, *, model: str = "gpt-4o-mini", prefix: str = "req") -> bytes:
    """``count`` chat-completions request lines, custom ids ``{prefix}-0``..."""
    return b"".join(
        json.dumps(
            {
                "custom_id": f"{prefix}-{i}",
                "method": "POST",
                "url": CHAT,
                "body": {"model": model, "messages": [{"role": "user", "content": f"Hi {i}"}]},
            }
        ).encode()
        + b"\n"
        for i in range(count)
    )


def parse_jsonl(text: str | bytes) -> list[dict[str, Any]]:
    """Each line of an output or error file as a dict (split on newlines only: a JSON
    string may hold U+2028, which ``str.splitlines`` would split on)."""
    if isinstance(text, bytes):
        text = text.decode()
    return [json.loads(line) for line in text.split("\n") if line]
