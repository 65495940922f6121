"""Batches in scenarios (save, then load: the batch continues) and on real servers
driven by the control routes' clock."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from mockfiles import MockFiles
from mockfiles.scenario import replay
from mockfiles.server import ThreadedServer

from .batch_helpers import CHAT, chat_lines, parse_jsonl
from .test_server import free_port

DURATIONS = {"validating": 10, "in_progress": 100, "finalizing": 10, "cancelling": 300}


def test_saved_batch_continues_after_load(tmp_path: Path) -> None:
    mock = MockFiles(batch_durations=DURATIONS)
    client = mock.openai_client(max_retries=0)
    uploaded = client.files.create(file=("in.jsonl", chat_lines(4)), purpose="batch")
    running = client.batches.create(
        input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h"
    )
    cancelled = client.batches.create(
        input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h"
    )
    mock.clock.advance(60)  # 10 s validating, then two of four lines by 50 s in
    client.batches.cancel(cancelled.id)
    before = client.batches.retrieve(running.id)
    assert before.status == "in_progress" and before.request_counts.completed == 2
    path = mock.save_scenario(tmp_path / "batches.json")

    loaded = MockFiles.from_scenario(path, batch_durations=DURATIONS)
    again = loaded.openai_client(max_retries=0)
    now = again.batches.retrieve(running.id)
    assert now.status == "in_progress" and now.request_counts.completed == 2
    assert now.created_at - before.created_at == now.in_progress_at - before.in_progress_at
    assert now.expires_at == now.created_at + 86_400
    stopped = again.batches.retrieve(cancelled.id)
    assert stopped.status == "cancelling" and stopped.cancelling_at is not None
    loaded.clock.advance(300)
    done = again.batches.retrieve(running.id)
    assert done.status == "completed" and done.request_counts.completed == 4
    output = parse_jsonl(again.files.content(done.output_file_id).read())
    assert [line["custom_id"] for line in output] == [f"req-{i}" for i in range(4)]
    assert again.batches.retrieve(cancelled.id).status == "cancelled"
    # the original, moved on as far, made the same output file
    mock.clock.advance(300)
    assert client.batches.retrieve(running.id).output_file_id == done.output_file_id
    assert [b.id for b in again.batches.list()] == [cancelled.id, running.id]


def test_a_batch_scenario_replays_without_differences(tmp_path: Path) -> None:
    mock = MockFiles()
    client = mock.openai_client(max_retries=0)
    uploaded = client.files.create(file=("in.jsonl", chat_lines(2)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h")
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    client.batches.retrieve(batch.id)
    report = replay(mock.scenario())
    assert report.ok, report


def test_threaded_server_batches_follow_the_control_clock() -> None:
    mock = MockFiles(batch_durations=DURATIONS)
    with ThreadedServer(mock) as server:
        mock.base_url = server.base_url
        http = httpx.Client(base_url=server.base_url, headers={"authorization": "Bearer k"})
        file_id = http.post(
            "/files", files={"file": ("in.jsonl", chat_lines(3))}, data={"purpose": "batch"}
        ).json()["id"]
        body = {"input_file_id": file_id, "endpoint": CHAT, "completion_window": "24h"}
        batch = http.post("/batches", json=body).json()
        assert batch["status"] == "validating"
        clock = f"{server.root_url}/_mock/clock"
        assert httpx.post(clock, json={"advance": 10}).status_code == 200
        assert http.get(f"/batches/{batch['id']}").json()["status"] == "in_progress"
        httpx.post(clock, json={"advance": 110})
        done = http.get(f"/batches/{batch['id']}").json()
        assert done["status"] == "completed"
        assert done["completed_at"] == batch["created_at"] + 120
        output = http.get(f"/files/{done['output_file_id']}/content")
        assert [line["custom_id"] for line in parse_jsonl(output.content)] == [
            "req-0",
            "req-1",
            "req-2",
        ]


@pytest.fixture
def served() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockfiles",
            "serve",
            "--port",
            str(port),
            "--batch-duration",
            "in_progress=3600",
            "--batch-duration",
            "cancelling=600",
        ],
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


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_mockfiles_serve_runs_a_batch_for_curl(served: str, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_bytes(chat_lines(2))
    auth = ["-H", "Authorization: Bearer sk-curl"]

    def curl(*args: str) -> httpx.Response:
        out = subprocess.run(
            ["curl", "-s", "-w", "\n%{http_code}", *auth, *args],
            capture_output=True,
            check=True,
        ).stdout
        body, _, status = out.rpartition(b"\n")
        return httpx.Response(int(status), content=body)

    file_id = curl(f"{served}/v1/files", "-F", "purpose=batch", "-F", f"file=@{data}").json()["id"]
    created = curl(
        f"{served}/v1/batches",
        "-H",
        "Content-Type: application/json",
        "-d",
        f'{{"input_file_id": "{file_id}", "endpoint": "{CHAT}", "completion_window": "24h"}}',
    ).json()
    batch_url = f"{served}/v1/batches/{created['id']}"
    assert curl(batch_url).json()["status"] == "in_progress"
    httpx.post(f"{served}/_mock/clock", json={"advance": 1800})
    assert curl(batch_url).json()["request_counts"]["completed"] == 1
    cancelling = curl(f"{batch_url}/cancel", "-X", "POST").json()
    assert cancelling["status"] == "cancelling"
    httpx.post(f"{served}/_mock/clock", json={"advance": 600})
    done = curl(batch_url).json()
    assert done["status"] == "cancelled"
    assert done["cancelled_at"] == cancelling["cancelling_at"] + 600
    output = curl(f"{served}/v1/files/{done['output_file_id']}/content")
    assert [line["custom_id"] for line in parse_jsonl(output.content)] == ["req-0"]
    errors = curl(f"{served}/v1/files/{done['error_file_id']}/content")
    assert [line["error"]["code"] for line in parse_jsonl(errors.content)] == ["batch_cancelled"]
    completed = curl(f"{served}/v1/batches", "-H", "Content-Type: application/json", "-d", "{}")
    assert completed.status_code == 400
