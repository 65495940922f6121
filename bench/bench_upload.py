"""A 200 MB batch upload through the mock vs the same upload into a draining transport.

Targets: time ratio <= 1.5; peak memory above the floor <= 1.2x the file size.
The upload is the documented one, ``files.create(file=open(path, "rb"), purpose="batch")``;
a ``Path`` upload and an in-memory ``bytes`` upload are printed for information.
Memory is each variant's peak RSS (VmHWM, which exec resets, unlike ru_maxrss) in a
fresh process.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openai

from mockfiles import MockFiles

from .common import http_module

SIZE = 200 * 1024 * 1024
LINE = (
    b'{"custom_id": "req-0000000", "method": "POST", "url": "/v1/chat/completions", '
    b'"body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}}\n'
)


def write_input(directory: Path, size: int) -> Path:
    path = directory / "batch_input.jsonl"
    with path.open("wb") as out:
        block = LINE * (1024 * 1024 // len(LINE))
        written = 0
        while written + len(block) <= size:
            out.write(block)
            written += len(block)
    return path


def drain_client() -> Any:
    module = http_module()

    class Drain(module.BaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: Any) -> Any:
            total = sum(len(chunk) for chunk in request.stream)
            body = json.dumps(
                {
                    "id": "file-drained",
                    "object": "file",
                    "bytes": total,
                    "created_at": 0,
                    "filename": "batch_input.jsonl",
                    "purpose": "batch",
                    "status": "processed",
                    "expires_at": None,
                    "status_details": None,
                }
            ).encode()
            return module.Response(
                200, headers=[(b"content-type", b"application/json")], content=body, request=request
            )

    return openai.OpenAI(
        api_key="k",
        base_url="http://drain.local/v1",
        http_client=module.Client(transport=Drain()),
        max_retries=0,
    )


def upload(client: Any, path: Path, how: str) -> None:
    if how == "handle":
        with path.open("rb") as handle:
            client.files.create(file=handle, purpose="batch")
    elif how == "path":
        client.files.create(file=path, purpose="batch")
    else:
        client.files.create(file=(path.name, path.read_bytes()), purpose="batch")


def timing(path: Path, how: str, rounds: int) -> dict[str, float]:
    mock = MockFiles()
    clients = {"drain (floor)": drain_client(), "mockfiles": mock.openai_client(max_retries=0)}
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, client in clients.items():
            mock.reset()
            gc.collect()
            start = time.perf_counter()
            upload(client, path, how)
            samples[name].append(time.perf_counter() - start)
    assert mock.stored_files()[0].bytes == path.stat().st_size
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_rss_bytes(variant: str, path: Path) -> int:
    """Peak RSS of a fresh process that uploads ``path`` once through ``variant``."""
    code = (
        "import re\n"
        "from pathlib import Path\n"
        "from bench.bench_upload import drain_client, upload\n"
        "from mockfiles import MockFiles\n"
        f"client = drain_client() if {variant!r} == 'drain' else MockFiles().openai_client()\n"
        f"upload(client, Path({str(path)!r}), 'handle')\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def main(size: int = SIZE, rounds: int = 5) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_input(Path(tmp), size)
        actual = path.stat().st_size
        print(f"\nupload of a {actual / 2**20:.0f} MB batch file ({http_module().__name__})")
        ok = True
        for how in ("handle", "path", "bytes"):
            medians = timing(path, how, rounds)
            ratio = medians["mockfiles"] / medians["drain (floor)"]
            target = how == "handle"
            verdict = (
                ("  ok" if ratio <= 1.5 else "  OVER target 1.5") if target else "  (information)"
            )
            ok = ok and (ratio <= 1.5 or not target)
            print(
                f"  file={how:<7} drain {medians['drain (floor)'] * 1e3:7.1f} ms   "
                f"mockfiles {medians['mockfiles'] * 1e3:7.1f} ms   ratio {ratio:5.2f}{verdict}"
            )
        floor_peak = min(peak_rss_bytes("drain", path) for _ in range(2))
        mock_peak = min(peak_rss_bytes("mock", path) for _ in range(2))
        above = (mock_peak - floor_peak) / actual
        verdict = "  ok" if above <= 1.2 else "  OVER target 1.2"
        print(
            f"  peak RSS: drain {floor_peak / 2**20:.0f} MB, mockfiles {mock_peak / 2**20:.0f} MB; "
            f"above floor = {above:.2f}x the file size{verdict}"
        )
        return ok and above <= 1.2


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    raise SystemExit(0 if main(args.mb * 1024 * 1024, args.rounds) else 1)
