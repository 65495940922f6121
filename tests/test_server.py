"""`python -m mockfiles serve` on loopback, driven with curl."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/v1" in first
    assert proc.stdout.readline().startswith(f"export OPENAI_BASE_URL=http://127.0.0.1:{port}/v1")
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(200):
        probe = subprocess.run(["curl", "-s", "-o", "/dev/null", base + "/files"], check=False)
        if probe.returncode == 0:
            break
        time.sleep(0.05)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def curl(*args: str) -> tuple[int, dict[str, object]]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body)


def test_curl_upload_list_download(served: str, tmp_path: Path) -> None:
    data = tmp_path / "batch.jsonl"
    data.write_bytes(b'{"custom_id": "1"}\n')
    auth = ["-H", "Authorization: Bearer sk-local"]
    status, created = curl(f"{served}/files", *auth, "-F", "purpose=batch", "-F", f"file=@{data}")
    assert status == 200
    assert created["filename"] == "batch.jsonl"
    status, listed = curl(f"{served}/files", *auth)
    assert status == 200 and listed["data"][0]["id"] == created["id"]  # type: ignore[index]
    content = subprocess.run(
        ["curl", "-s", f"{served}/files/{created['id']}/content", *auth],
        capture_output=True,
        check=True,
    ).stdout
    assert content == b'{"custom_id": "1"}\n'
    status, error = curl(f"{served}/files")
    assert status == 401 and "API key" in error["error"]["message"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("profile", "path", "header", "env"),
    [
        ("compass", "/v1/files", "api-key: k", "OPENAI_BASE_URL"),
        ("batch_only", "/v1/files", "Authorization: Bearer k", "OPENAI_BASE_URL"),
        ("azure", "/openai/files?api-version=2024-10-21", "api-key: k", "AZURE_OPENAI_ENDPOINT"),
    ],
)
def test_serve_each_profile(profile: str, path: str, header: str, env: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--port", str(port), "--profile", profile],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert f"({profile} profile)" in proc.stdout.readline()
        assert proc.stdout.readline().startswith(f"export {env}=http://127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}{path}"
        for _ in range(200):
            if subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False).returncode == 0:
                break
            time.sleep(0.05)
        status, listed = curl(url, "-H", header)
        assert status == 200 and listed["object"] == "list"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
