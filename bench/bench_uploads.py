"""A 1 GB file through the Uploads API in 64 MB parts, the way the SDK sends it.

Targets:
- ``complete`` costs O(parts), not O(bytes): through the SDK, completing the 1 GB Upload
  takes at most 0.02x the time its parts took to send; in the service (no HTTP, median
  of many runs), completing 16 parts of 64 MB takes at most 1.5x the time of completing
  16 parts of 64 KB (a 1,024x smaller file); 160 parts are shown for information;
- peak memory exceeds the file size by at most 0.1x of it, over a process that uploads
  nothing and over one that sends the same upload into a draining transport (the mock
  must hold the file; it must not hold a second copy). Memory is each variant's peak
  RSS (VmHWM, which exec resets) in a fresh process.
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

MB = 1024 * 1024
SIZE = 1024 * MB
PART = 64 * MB


def write_input(directory: Path, size: int) -> Path:
    path = directory / "large.bin"
    block = bytes(range(256)) * (MB // 256)
    with path.open("wb") as out:
        for _ in range(size // MB):
            out.write(block)
    return path


def drain_client() -> Any:
    """An SDK client whose transport reads each request and answers a canned body."""
    module = http_module()

    class Drain(module.BaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: Any) -> Any:
            sum(len(chunk) for chunk in request.stream)
            path = request.url.path
            if path.endswith("/parts"):
                body: dict[str, Any] = {
                    "id": "part_0",
                    "object": "upload.part",
                    "created_at": 0,
                    "upload_id": "upload_0",
                }
            else:
                body = {
                    "id": "upload_0",
                    "object": "upload",
                    "bytes": 0,
                    "created_at": 0,
                    "expires_at": 3600,
                    "filename": "large.bin",
                    "purpose": "user_data",
                    "status": "completed" if path.endswith("/complete") else "pending",
                }
            return module.Response(
                200,
                headers=[(b"content-type", b"application/json")],
                content=json.dumps(body).encode(),
                request=request,
            )

    return openai.OpenAI(
        api_key="k",
        base_url="http://drain.local/v1",
        http_client=module.Client(transport=Drain()),
        max_retries=0,
    )


def chunked(client: Any, path: Path, part_size: int = PART) -> Any:
    """The SDK's own helper: create, parts one after another, complete."""
    return client.uploads.upload_file_chunked(
        file=path, mime_type="application/octet-stream", purpose="user_data", part_size=part_size
    )


def send_then_complete(client: Any, path: Path, part_size: int) -> tuple[float, float]:
    """Seconds to create and send the parts, and seconds to complete (as the helper
    does it, timed apart)."""
    size = path.stat().st_size
    start = time.perf_counter()
    upload = client.uploads.create(
        filename=path.name, purpose="user_data", bytes=size, mime_type="application/octet-stream"
    )
    part_ids = []
    with path.open("rb") as handle:
        while data := handle.read(part_size):
            part_ids.append(client.uploads.parts.create(upload_id=upload.id, data=data).id)
            del data
    sent = time.perf_counter() - start
    start = time.perf_counter()
    done = client.uploads.complete(upload_id=upload.id, part_ids=part_ids)
    completing = time.perf_counter() - start
    assert done.file.bytes == size
    return sent, completing


def service_complete_seconds(part: bytes, parts: int, repeat: int = 200) -> float:
    """Median seconds of the Uploads service's ``complete`` over ``parts`` parts that
    each hold ``part`` (the same bytes object: no memory per part)."""
    from mockfiles.blobs import Blob

    mock = MockFiles()
    service = mock.backend.uploads
    tenant = mock.backend.own_tenant
    blob = Blob.of(part)
    samples = []
    for _ in range(repeat):
        upload = service.create(
            tenant,
            filename="large.bin",
            purpose="user_data",
            bytes=len(part) * parts,
            mime_type="application/octet-stream",
        )
        part_ids = [service.add_part(tenant, upload.id, blob).id for _ in range(parts)]
        start = time.perf_counter()
        service.complete(tenant, upload.id, part_ids)
        samples.append(time.perf_counter() - start)
        mock.reset()
    return statistics.median(samples)


def peak_rss_bytes(variant: str, path: Path) -> int:
    """Peak RSS of a fresh process that uploads ``path`` once through ``variant``."""
    code = (
        "import re\n"
        "from pathlib import Path\n"
        "from bench.bench_uploads import chunked, drain_client\n"
        "from mockfiles import MockFiles\n"
        f"mock = None if {variant!r} == 'drain' else MockFiles()\n"
        "client = drain_client() if mock is None else mock.openai_client(max_retries=0)\n"
        f"if {variant!r} != 'idle':\n"
        f"    upload = chunked(client, Path({str(path)!r}))\n"
        f"if {variant!r} == 'mock':\n"
        "    assert mock.get_file(upload.file.id).bytes == Path("
        f"{str(path)!r}).stat().st_size\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def main(size: int = SIZE, rounds: int = 3) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_input(Path(tmp), size)
        parts = size // PART
        print(
            f"\nUploads: a {size / 2**20:.0f} MB file in {parts} parts of 64 MB "
            f"({http_module().__name__})"
        )
        mock = MockFiles()
        client = mock.openai_client(max_retries=0)
        sends: list[float] = []
        completes: list[float] = []
        for _ in range(rounds):
            mock.reset()
            gc.collect()
            sent, completing = send_then_complete(client, path, PART)
            sends.append(sent)
            completes.append(completing)
        mock.reset()
        gc.collect()
        drain = drain_client()
        start = time.perf_counter()
        chunked(drain, path)
        drained = time.perf_counter() - start
        send, complete = statistics.median(sends), statistics.median(completes)
        to_send = complete / send
        print(
            f"  SDK: send the parts (create + {parts} parts): {send * 1e3:7.1f} ms "
            f"(the SDK helper into a draining transport: {drained * 1e3:.1f} ms)"
        )
        print(
            f"  SDK: complete:                            {complete * 1e3:7.2f} ms   "
            f"{to_send:.4f}x the send time{'  ok' if to_send <= 0.02 else '  OVER target 0.02'}"
        )
        big = bytes(PART)
        service = {
            f"{parts} x 64 KB": service_complete_seconds(big[: 64 * 1024], parts),
            f"{parts} x 64 MB": service_complete_seconds(big, parts),
            f"{parts * 10} x 64 KB": service_complete_seconds(big[: 64 * 1024], parts * 10),
        }
        del big
        floor = service[f"{parts} x 64 KB"]
        to_small = service[f"{parts} x 64 MB"] / floor
        for name, seconds in service.items():
            verdict = ""
            if name == f"{parts} x 64 MB":
                verdict = "  ok" if to_small <= 1.5 else "  OVER target 1.5"
            print(
                f"  service complete, {name:<12} {seconds * 1e6:8.1f} us   "
                f"ratio {seconds / floor:5.2f}{verdict}"
            )
        time_ok = to_send <= 0.02 and to_small <= 1.5
        idle_peak = min(peak_rss_bytes("idle", path) for _ in range(2))
        floor_peak = min(peak_rss_bytes("drain", path) for _ in range(2))
        mock_peak = min(peak_rss_bytes("mock", path) for _ in range(2))
        above_idle = (mock_peak - idle_peak - size) / size
        above_floor = (mock_peak - floor_peak - size) / size
        memory_ok = max(above_idle, above_floor) <= 0.1
        print(
            f"  peak RSS: no upload {idle_peak / 2**20:.0f} MB, drain {floor_peak / 2**20:.0f} MB, "
            f"mockfiles {mock_peak / 2**20:.0f} MB"
        )
        print(
            f"  mockfiles above the file size: {above_idle:+.3f}x over no upload, "
            f"{above_floor:+.3f}x over drain{'  ok' if memory_ok else '  OVER target 0.1'}"
        )
        return time_ok and memory_ok


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raise SystemExit(0 if main(args.mb * MB, args.rounds) else 1)
