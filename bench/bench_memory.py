"""Memory a long-running ``mockfiles serve`` keeps: RSS growth against the journal budget.

Starts a real server process (default journal budget), then measures its resident set
size at start, after 200 cycles of uploading and deleting a 10 MB file, after 20,000
small requests, and after reading ``GET /_mock/journal``. Target: growth from the start
stays within the journal's body budget (64 MiB by default).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from mockfiles.journal import DEFAULT_JOURNAL_BYTES

MB = 1024 * 1024
CYCLES = 200
UPLOAD_BYTES = 10 * MB
SMALL_REQUESTS = 20_000


def rss(pid: int) -> int:
    """Resident set size of ``pid`` in bytes (Linux ``/proc``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) * 1024


def main() -> bool:
    budget = DEFAULT_JOURNAL_BYTES
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        found = re.search(r"serving on (http://[^ /]+)", proc.stdout.readline())
        assert found, "the server did not start"
        root = found.group(1)
        auth = {"Authorization": "Bearer sk-bench"}
        line = b'{"custom_id": "x", "pad": "' + b"x" * 64 + b'"}\n'
        content = line * (UPLOAD_BYTES // len(line))
        with httpx.Client(base_url=root + "/v1", headers=auth, timeout=60) as http:

            def cycle() -> None:
                made = http.post(
                    "/files", data={"purpose": "batch"}, files={"file": ("big.jsonl", content)}
                )
                assert made.status_code == 200, made.text
                assert http.delete(f"/files/{made.json()['id']}").status_code == 200

            cycle()  # warm every code path before the baseline
            start = rss(proc.pid)
            for _ in range(CYCLES):
                cycle()
            after_uploads = rss(proc.pid)
            kept = http.post(
                "/files", data={"purpose": "batch"}, files={"file": ("small.jsonl", line)}
            ).json()["id"]
            for n in range(SMALL_REQUESTS):
                path = f"/files/{kept}" if n % 2 else "/files"
                assert http.get(path).status_code == 200
            after_small = rss(proc.pid)
        journal = httpx.get(root + "/_mock/journal", timeout=120)
        assert journal.status_code == 200
        after_journal = rss(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    print(f"\nmemory of mockfiles serve (journal budget {budget / MB:.0f} MiB)")
    ok = True
    for label, value in [
        (f"after {CYCLES} x {UPLOAD_BYTES // MB} MB upload+delete", after_uploads),
        (f"after {SMALL_REQUESTS:,} small requests", after_small),
        (f"after GET /_mock/journal ({len(journal.content) / MB:.1f} MiB)", after_journal),
    ]:
        growth = value - start
        within = growth <= budget
        ok = ok and within
        print(
            f"  {label:<46} RSS {value / MB:7.1f} MiB  growth {growth / MB:+7.1f} MiB  "
            f"{growth / budget:5.2f} x budget  {'ok' if within else 'OVER budget'}"
        )
    print(f"  RSS at start {start / MB:.1f} MiB")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
