"""Run every benchmark: ``python -m bench``. Exit status 1 if a target is missed."""

from __future__ import annotations

from . import (
    bench_batches,
    bench_fixture,
    bench_memory,
    bench_retrieve,
    bench_scale,
    bench_server,
    bench_upload,
    bench_uploads,
)

results = {
    "retrieve": bench_retrieve.main(),
    "scale": bench_scale.main(),
    "upload": bench_upload.main(),
    "uploads": bench_uploads.main(),
    "fixture": bench_fixture.main(),
    "server": bench_server.main(),
    "batches": bench_batches.main(),
    "memory": bench_memory.main(),
}
print(
    "\ntargets met:", ", ".join(f"{name}={'yes' if ok else 'NO'}" for name, ok in results.items())
)
raise SystemExit(0 if all(results.values()) else 1)
