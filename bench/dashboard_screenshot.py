"""Take the README's screenshot of the dashboard: ``python -m bench.dashboard_screenshot``.

Serves a mock on a free loopback port, gives it two tenants with a few files and calls,
opens ``/_mock/`` in the same headless Chromium the tests use, opens the upload's
journal row, and writes ``docs/dashboard.png``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import httpx
import openai

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer
from tests.browser import chromium, chromium_or_reason

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
LINE = (
    '{{"custom_id": "r{}", "method": "POST", "url": "/v1/chat/completions", '
    '"body": {{"model": "gpt-4o-mini", "messages": [{{"role": "user", "content": "hi"}}]}}}}\n'
)
BATCH = LINE.format(1).encode()


def requests(count: int) -> bytes:
    """A batch input of ``count`` requests with distinct custom ids."""
    return "".join(LINE.format(n) for n in range(count)).encode()


def populate(server: ThreadedServer) -> None:
    """Two tenants, files of several purposes, a batch, a pending upload, a failed call
    and a clock move."""
    alice = openai.OpenAI(base_url=server.base_url, api_key="sk-alice-0123456789abcd")
    bob = openai.OpenAI(base_url=server.base_url, api_key="sk-bob-9876543210wxyz")
    alice.files.create(file=("notes.pdf", b"%PDF-1.4 " + b"x" * 48_000), purpose="user_data")
    httpx.post(f"{server.root_url}/_mock/clock", json={"advance": 2 * 3600})
    batch_input = alice.files.create(
        file=("requests.jsonl", requests(40)),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 7 * 86_400},
    )
    alice.batches.create(
        input_file_id=batch_input.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    bob.files.create(file=("train.jsonl", BATCH * 3), purpose="fine-tune")
    upload = bob.uploads.create(
        filename="large.jsonl", purpose="batch", bytes=len(BATCH) * 400, mime_type="text/jsonl"
    )
    bob.uploads.parts.create(upload.id, data=BATCH * 100)
    alice.files.list()
    with contextlib.suppress(openai.NotFoundError):
        bob.files.retrieve("file-doesnotexist")
    httpx.post(f"{server.root_url}/_mock/clock", json={"advance": 1800})


def main() -> int:
    reason = chromium_or_reason()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    with ThreadedServer(MockFiles()) as server:
        populate(server)
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(f"{server.root_url}/_mock/")
            page.locator('#journal tbody tr[data-index="1"]').click()  # the batch upload
            page.locator("#detail").wait_for(state="visible")
            page.wait_for_timeout(1500)
            OUTPUT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT), full_page=True)
            page.close()
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
