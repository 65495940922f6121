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
def mockfiles_cli(*args: str, stdout: int = subprocess.DEVNULL) -> Iterator[subprocess.Popen[str]]:
    """``python -m mockfiles ARGS`` in the background; stopped with SIGINT, which must
    end it cleanly (exit 0)."""
    proc = subprocess.Popen([sys.executable, "-m", "mockfiles", *args], stdout=stdout, text=True)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def wait_until_serving(root: str, proc: subprocess.Popen[str] | None = None) -> None:
    """Return once ``root`` answers HTTP (fail after 20 s, or if ``proc`` exits)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(root + "/", timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                raise RuntimeError(f"nothing started serving on {root}") from None
            time.sleep(0.05)


@contextmanager
def mockfiles_serve(profile: str = "openai") -> Iterator[str]:
    """``python -m mockfiles serve`` on a free loopback port; yields ``http://host:port``.

    Stops it with SIGINT and checks it shut down cleanly.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = f"http://127.0.0.1:{port}"
    with mockfiles_cli("serve", "--port", str(port), "--profile", profile) as proc:
        wait_until_serving(root, proc)
        yield root
