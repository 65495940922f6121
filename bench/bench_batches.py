"""A 50,000-line (~10 MB) chat-completions batch: upload, create, poll until
``completed``, download the output — vs a floor that only ``json.loads`` each input line
and ``json.dumps`` a small dict per line.

Targets: time ratio <= 3; peak memory above the input and output sizes <= 1x the
output size. Memory is measured in a fresh process: its peak RSS (VmHWM, reset through
``/proc/self/clear_refs`` after a warm-up and once the input is made) minus its RSS
before the input existed.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from mockfiles import MockFiles

from .common import http_module

LINES = 50_000
PADDING = "x" * 60


def make_input(lines: int = LINES) -> bytes:
    """``lines`` chat-completions request lines, about 200 bytes each."""
    return b"".join(
        json.dumps(
            {
                "custom_id": f"request-{i:06d}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gpt-4o-mini",
                    "messages": [{"role": "user", "content": f"Question {i}: {PADDING}"}],
                },
            }
        ).encode()
        + b"\n"
        for i in range(lines)
    )


def floor(data: bytes) -> int:
    """The floor: parse each line, write a small dict per line."""
    written = 0
    for line in data.splitlines():
        item = json.loads(line)
        written += len(json.dumps({"custom_id": item["custom_id"], "status_code": 200}))
    return written


def pipeline(client: Any, data: bytes) -> bytes:
    """Upload, create, poll until completed, download the output."""
    uploaded = client.files.create(file=("batch.jsonl", data), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed", batch
    output: bytes = client.files.content(batch.output_file_id).read()
    return output


def timing(data: bytes, rounds: int) -> tuple[dict[str, float], int]:
    mocks = {
        "mockfiles": MockFiles(),
        # A responder that always defers to the default answer: validation and
        # answering in separate passes (a responder is never called for a bad file).
        "responder": MockFiles(batch_responder=lambda request: None),
    }
    clients = {name: mock.openai_client(max_retries=0) for name, mock in mocks.items()}
    samples: dict[str, list[float]] = {"floor": [], "mockfiles": [], "responder": []}
    output_size = 0
    for _ in range(rounds):
        for name in samples:
            for mock in mocks.values():
                mock.reset()
            gc.collect()
            start = time.perf_counter()
            if name == "floor":
                floor(data)
            else:
                output = pipeline(clients[name], data)
                output_size = len(output)
                assert output.count(b"\n") == data.count(b"\n")
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}, output_size


MEMORY_PROBE = """
import re
from bench.bench_batches import make_input, pipeline
from mockfiles import MockFiles

def rss(field):
    status = open('/proc/self/status').read()
    return int(re.search(field + r':\\s+(\\d+) kB', status).group(1)) * 1024

mock = MockFiles()
client = mock.openai_client(max_retries=0)
pipeline(client, make_input(10))  # warm up every code path
mock.reset()
data = make_input({lines})
open('/proc/self/clear_refs', 'w').write('5')  # reset the peak
before = rss('VmRSS') - len(data)  # the input counts as grown
output = pipeline(client, data)
print(rss('VmHWM') - before, len(data), len(output))
"""


def peak_above(lines: int) -> tuple[int, int, int]:
    """Peak RSS growth of a fresh process running the pipeline, input and output sizes."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE.format(lines=lines)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak, input_size, output_size = (int(v) for v in out.stdout.split())
    return peak, input_size, output_size


def main(lines: int = LINES, rounds: int = 5) -> bool:
    data = make_input(lines)
    print(
        f"\nbatch of {lines} chat-completions lines ({len(data) / 2**20:.1f} MB) "
        f"({http_module().__name__}): upload, create, poll, download"
    )
    medians, output_size = timing(data, rounds)
    ratio = medians["mockfiles"] / medians["floor"]
    time_ok = ratio <= 3.0
    print(
        f"  floor (loads + small dumps per line) {medians['floor'] * 1e3:7.1f} ms   "
        f"mockfiles {medians['mockfiles'] * 1e3:7.1f} ms   ratio {ratio:5.2f}"
        + ("  ok" if time_ok else "  OVER target 3")
    )
    print(
        f"  with a batch_responder (two passes)         {medians['responder'] * 1e3:7.1f} ms   "
        f"ratio {medians['responder'] / medians['floor']:5.2f}  (information)"
    )
    peak, input_size, output_size = min((peak_above(lines) for _ in range(2)), key=lambda r: r[0])
    above = (peak - input_size - output_size) / output_size
    memory_ok = above <= 1.0
    print(
        f"  peak RSS growth {peak / 2**20:.1f} MB for input {input_size / 2**20:.1f} MB + output "
        f"{output_size / 2**20:.1f} MB; above both = {above:.2f}x the output size"
        + ("  ok" if memory_ok else "  OVER target 1")
    )
    return time_ok and memory_ok


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    raise SystemExit(0 if main(args.lines, args.rounds) else 1)
