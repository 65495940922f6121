"""The one way mockfiles parses JSON text: bounded nesting, so no input can exhaust the
stack (Python's parser raises ``RecursionError`` near 1000 levels, and anything that
walks or encodes a document fails far sooner than that on a busy stack).

:class:`TooDeep` is a ``ValueError``: callers that refuse malformed JSON refuse a
document nested too deeply the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: Most levels of arrays/objects a request body or JSONL line may nest.
MAX_DEPTH = 128
#: Scenario documents wrap recorded bodies in a few levels of their own.
SCENARIO_MAX_DEPTH = MAX_DEPTH + 32


class TooDeep(ValueError):
    """JSON nested more deeply than allowed."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"nested too deeply (more than {max_depth} levels of arrays/objects)")
        self.max_depth = max_depth


def _openers(text: str | bytes | bytearray) -> int:
    if isinstance(text, str):
        return text.count("[") + text.count("{")
    return text.count(b"[") + text.count(b"{")


def depth_over(value: Any, max_depth: int) -> bool:
    """Whether ``value`` nests more than ``max_depth`` containers (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(
    text: str | bytes | bytearray,
    *,
    max_depth: int = MAX_DEPTH,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """``json.loads`` that raises :class:`TooDeep` (a ``ValueError``) for a document
    nested more than ``max_depth`` levels, and ``ValueError`` for malformed JSON."""
    if _openers(text) <= max_depth:  # cannot nest deeper than it has brackets
        return json.loads(text, parse_constant=parse_constant)
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if depth_over(value, max_depth):
        raise TooDeep(max_depth)
    return value
