"""Shared fixtures. The ``mockfiles`` fixture itself comes from the installed plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import openai
import pytest

from mockfiles import MockFiles

BATCH_LINE = (
    b'{"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", '
    b'"body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}}\n'
)


@pytest.fixture
def client(mockfiles: MockFiles) -> Iterator[openai.OpenAI]:
    """A real ``openai.OpenAI()`` built with no arguments, reaching the patched mock."""
    with openai.OpenAI(max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(mockfiles: MockFiles) -> AsyncIterator[openai.AsyncOpenAI]:
    """A real ``openai.AsyncOpenAI()`` built with no arguments, reaching the patched mock."""
    async with openai.AsyncOpenAI(max_retries=0) as sdk:
        yield sdk
