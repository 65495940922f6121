"""Shared fixtures. The ``mockfiles`` fixture itself comes from the installed plugin."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
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


@contextmanager
def mockfiles_serve(profile: str = "openai") -> Iterator[str]:
    """``python -m mockfiles serve`` on a free loopback port; yields ``http://host:port``.

    Stops it with SIGINT and checks it shut down cleanly.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--port", str(port), "--profile", profile],
        stdout=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(root + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("mockfiles serve did not start") from None
                time.sleep(0.05)
        yield root
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
