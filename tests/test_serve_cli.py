"""Issue 10: ``mockfiles serve`` as a person uses it, and the CLI from a plain install.

Every server here is a real ``python -m mockfiles serve`` process on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockfiles.cli import non_loopback_warning

ROOT = Path(__file__).resolve().parents[1]
LINE = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


@contextmanager
def serving(
    *args: str, python: Sequence[str] = (sys.executable, "-m", "mockfiles")
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``serve --port 0 ARGS``; yields the process and the root URL it printed."""
    proc = subprocess.Popen(
        [*python, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", first)
        assert found, (first, proc.stderr.read() if proc.stderr else "")
        assert found.group(2) != "0"
        yield proc, found.group(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=15)


def test_port_zero_and_the_flags_reach_the_mock() -> None:
    flags = [
        "--api-key", "sk-one", "--api-key", "sk-two",
        "--set", "list_max_limit=5",
        "--max-file-bytes", "2000",
        "--processing-seconds", "60",
        "--validate-content",
    ]  # fmt: skip
    with serving(*flags) as (proc, root), httpx.Client(base_url=root + "/v1") as http:
        one = {"Authorization": "Bearer sk-one"}
        assert http.get("/files", headers={"Authorization": "Bearer sk-three"}).status_code == 401
        assert http.get("/files", headers={"Authorization": "Bearer sk-two"}).status_code == 200
        limited = http.get("/files", params={"limit": "6"}, headers=one)
        assert limited.status_code == 400 and "<= 5" in limited.json()["error"]["message"]
        too_big = http.post(
            "/files", headers=one, data={"purpose": "batch"}, files={"file": ("a.jsonl", LINE * 40)}
        )
        assert too_big.status_code == 413
        good = http.post(
            "/files", headers=one, data={"purpose": "batch"}, files={"file": ("a.jsonl", LINE)}
        )
        assert good.status_code == 200 and good.json()["status"] == "uploaded"
        bad = http.post(
            "/files", headers=one, data={"purpose": "batch"}, files={"file": ("b.jsonl", b"{}\n")}
        )
        assert bad.status_code == 200 and bad.json()["status"] == "error"
        assert stop(proc) == 0


def test_seed_makes_ids_reproducible() -> None:
    ids = []
    for _ in range(2):
        with serving("--seed", "7") as (proc, root):
            created = httpx.post(
                root + "/v1/files",
                headers={"Authorization": "Bearer sk-x"},
                data={"purpose": "batch"},
                files={"file": ("a.jsonl", LINE)},
            )
            ids.append(created.json()["id"])
            assert stop(proc) == 0
    assert ids[0] == ids[1]


def test_port_in_use_fails_before_printing() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "mockfiles", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot listen on 127.0.0.1" in lines[0], done.stderr
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    "bad",
    [
        ["--set", "nope=1"],
        ["--set", "max_file_bytes=abc"],
        ["--set", "max_file_bytes=-1"],
        ["--set", "upload_purposes=7"],
        ["--set", "id_format=x"],
    ],
)
def test_bad_profile_settings_are_one_line(bad: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockfiles", "serve", "--port", "0", *bad],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def _stall(root: str) -> socket.socket:
    """A client that promises a 1000-byte upload, sends 10 bytes and waits."""
    host, port = root.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(
        b"POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-x\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n"
        b"--b\r\nConte"
    )
    return sock


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_ends_serve_with_a_stalled_client(sig: int) -> None:
    with serving() as (proc, root):
        stalled = _stall(root)
        try:
            time.sleep(0.5)
            started = time.monotonic()
            assert stop(proc, sig) == 0
            assert time.monotonic() - started < 8
        finally:
            stalled.close()


def test_stalled_body_answers_408() -> None:
    with serving("--body-timeout", "1") as (proc, root):
        stalled = _stall(root)
        answer = b""
        try:
            while b"}}" not in answer:  # headers, then the envelope (maybe in two reads)
                chunk = stalled.recv(65536)
                if not chunk:
                    break
                answer += chunk
        finally:
            stalled.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b"stalled" in answer
        assert stop(proc) == 0


def test_non_loopback_addresses_are_warned_about() -> None:
    for host in ("0.0.0.0", "192.0.2.10", "::", "example.internal"):
        warning = non_loopback_warning(host)
        assert warning is not None and "--control-token" in warning, host
    for host in ("127.0.0.1", "127.0.0.5", "::1", "localhost"):
        assert non_loopback_warning(host) is None


def test_multipart_warnings_do_not_reach_stderr() -> None:
    code = (
        "import httpx\n"
        "from mockfiles import MockFiles\n"
        "mock = MockFiles()\n"
        "body = b'--zz\\r\\nContent-Disposition: form-data; name=purpose\\r\\n\\r\\nbatch\\r\\n'\n"
        "with httpx.Client(transport=mock.transport('httpx'), base_url=mock.root_url) as http:\n"
        "    r = http.post('/v1/files', content=body, headers={\n"
        "        'authorization': 'Bearer k', 'content-type': 'multipart/form-data; boundary=b'})\n"
        "    print(r.status_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "400"  # a boundary that does not match
    assert done.stderr == ""


def test_missing_library_is_one_line(tmp_path: Path) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"format": "mockfiles.scenario", "version": 1, "steps": []}))
    code = (
        "import sys\n"
        "sys.modules['httpx'] = None\n"
        "sys.modules['httpx2'] = None\n"
        "from mockfiles.cli import main\n"
        f"sys.exit(main(['replay', {str(scenario)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "httpx" in done.stderr


@pytest.fixture(scope="module")
def plain_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv built as ./scripts/serve builds one: ``pip install -e .``, no extras."""
    venv = tmp_path_factory.mktemp("plain") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "-e", str(ROOT)],
        check=True, capture_output=True, env=env, timeout=600,
    )  # fmt: skip
    return venv


def test_everything_works_from_a_plain_install(plain_venv: Path, tmp_path: Path) -> None:
    python = [str(plain_venv / "bin" / "python"), "-m", "mockfiles"]
    # record a scenario with the plain install's own server
    with serving(python=python) as (proc, root):
        created = httpx.post(
            root + "/v1/files",
            headers={"Authorization": "Bearer sk-plain"},
            data={"purpose": "batch"},
            files={"file": ("a.jsonl", LINE)},
        )
        assert created.status_code == 200
        scenario = httpx.get(root + "/_mock/journal").json()
        loaded = httpx.post(root + "/_mock/scenario", json=scenario)
        assert loaded.status_code == 200 and loaded.json()["files"] == 1
        assert stop(proc) == 0
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    replay = subprocess.run([*python, "replay", str(path)], capture_output=True, text=True)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    with serving("--load", str(path), python=python) as (proc, root):
        listed = httpx.get(root + "/v1/files", headers={"Authorization": "Bearer sk-plain"})
        assert [f["id"] for f in listed.json()["data"]] == [created.json()["id"]]
        assert stop(proc) == 0
