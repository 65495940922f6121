"""The dashboard (``GET /_mock/``) in a real headless Chromium, and the JSON it polls."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from playwright.sync_api import expect

from mockfiles import MockFiles
from mockfiles.dashboard import Column, Row, register_panel
from mockfiles.server import ThreadedServer

from .browser import chromium, chromium_or_reason
from .conftest import BATCH_LINE
from .test_server import free_port

KEY = "sk-dashboard-test-0123456789abcdef"
THIRTY_DAYS = 30 * 86_400


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(MockFiles()) as running:
        yield running


def sdk(server: ThreadedServer, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)


def upload(server: ThreadedServer, key: str = KEY) -> Any:
    with sdk(server, key) as client:
        return client.files.create(
            file=("train.jsonl", BATCH_LINE),
            purpose="batch",
            expires_after={"anchor": "created_at", "seconds": THIRTY_DAYS},
        )


# -- the page, in a browser -----------------------------------------------------------


def test_the_page_shows_files_moves_the_clock_and_opens_calls(
    server: ThreadedServer, tmp_path: Path
) -> None:
    reason = chromium_or_reason()
    if reason is not None:
        pytest.skip(reason)

    created = upload(server)
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.root_url}/_mock/")

        # The file, in its tenant's Files panel: label and key hint, never the key.
        tenant = page.locator("article.tenant")
        expect(tenant).to_have_count(1)
        expect(tenant.locator("h3")).to_have_text(re.compile(r"^key-[0-9a-f]{16}$"))
        expect(tenant.locator(".who")).to_have_text("API key sk-...cdef")
        link = page.get_by_role("link", name=created.id)
        expect(link).to_be_visible()
        row = page.locator("section[data-panel=Files] tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("td")).to_have_text(
            [created.id, "train.jsonl", "batch", f"{len(BATCH_LINE)} B", "processed",
             re.compile(r"^(now|\d+ s ago)$"), re.compile(r"^in (30 d|29 d 23 h)$")]
        )  # fmt: skip
        expect(page.locator("#profile")).to_have_text("openai")
        expect(page.locator("#clock-offset")).to_have_text("none (real time)")
        assert KEY not in page.content()

        # Its bytes download from the page.
        with page.expect_download() as download:
            link.click()
        saved = tmp_path / "downloaded"
        download.value.save_as(saved)
        assert saved.read_bytes() == BATCH_LINE
        assert download.value.suggested_filename == "train.jsonl"

        # Thirty days later it has expired: gone from the page and from the API.
        page.get_by_role("button", name="Advance 30 days").click()
        expect(page.locator("#clock-offset")).to_have_text(re.compile(r"^\+30 d"))
        expect(link).to_have_count(0)
        expect(page.locator("section[data-panel=Files]")).to_contain_text("No files.")
        with sdk(server) as client:
            assert list(client.files.list()) == []

        # The upload's journal row opens its request and response, form fields included.
        journal = page.locator("#journal tbody tr")
        expect(journal).to_have_count(2)  # the upload, then the listing
        upload_row = journal.filter(has_text="POST")
        expect(upload_row).to_contain_text("/v1/files")
        expect(upload_row).to_contain_text("200")
        upload_row.click()
        detail = page.locator("#detail")
        expect(detail).to_be_visible()
        expect(page.locator("#detail-heading")).to_have_text("Call 0: POST /v1/files → 200")
        form = detail.locator("table", has=page.locator("caption", has_text="Form fields"))
        expect(form.locator("tbody td")).to_have_text(
            ["purpose", "batch", "expires_after[anchor]", "created_at",
             "expires_after[seconds]", str(THIRTY_DAYS)]
        )  # fmt: skip
        uploaded = detail.locator("table", has=page.locator("caption", has_text="Uploaded files"))
        expect(uploaded.locator("tbody tr td").first).to_have_text("train.jsonl")
        expect(detail).to_contain_text(f'"id": "{created.id}"')
        expect(detail).to_contain_text("Bearer sk-...cdef")
        assert KEY not in page.content()

        # Back to real time, then a reset empties the page.
        page.get_by_role("button", name="Return to real time").click()
        expect(page.locator("#clock-offset")).to_have_text("none (real time)")
        page.get_by_role("button", name="Reset the mock").click()
        expect(page.locator("#journal-count")).to_have_text("No call yet.")
        expect(page.locator("article.tenant")).to_have_count(0)
        expect(detail).to_be_hidden()
        page.close()
    assert errors == []


def test_the_page_keeps_up_with_calls_made_while_it_is_open(server: ThreadedServer) -> None:
    reason = chromium_or_reason()
    if reason is not None:
        pytest.skip(reason)

    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.root_url}/_mock/")
        expect(page.locator("#journal-count")).to_have_text("No call yet.")
        first = upload(server)
        second = upload(server, key="sk-another-tenant-0000000000")
        expect(page.get_by_role("link", name=first.id)).to_be_visible()
        expect(page.get_by_role("link", name=second.id)).to_be_visible()
        expect(page.locator("article.tenant")).to_have_count(2)
        # A name is text, never markup.
        with sdk(server) as client:
            client.files.create(
                file=("<img src=x onerror=alert(1)>.jsonl", b"{}\n"), purpose="batch"
            )
        expect(page.get_by_text("<img src=x onerror=alert(1)>.jsonl")).to_be_visible()
        page.close()


# -- the JSON it polls and the routes behind it ---------------------------------------


def test_state_lists_tenants_files_and_calls_without_keys(server: ThreadedServer) -> None:
    created = upload(server)
    state = httpx.get(f"{server.root_url}/_mock/state").json()
    assert KEY not in str(state)
    assert state["profile"] == {"name": "openai", "base_path": "/v1"}
    assert state["clock"]["offset"] == 0
    [tenant] = state["tenants"]
    assert tenant["who"] == "API key sk-...cdef"
    files, pending, batches = tenant["panels"]
    assert [files["title"], pending["title"], batches["title"]] == [
        "Files",
        "Pending uploads",
        "Batches",
    ]
    assert pending["rows"] == batches["rows"] == []
    assert files["rows"] == [
        {
            "id": created.id,
            "filename": "train.jsonl",
            "purpose": "batch",
            "bytes": len(BATCH_LINE),
            "status": "processed",
            "created_at": created.created_at,
            "expires_at": created.created_at + THIRTY_DAYS,
        }
    ]
    [call] = state["journal"]["calls"]
    assert (call["index"], call["method"], call["path"], call["status"]) == (
        0,
        "POST",
        "/v1/files",
        200,
    )
    assert call["tenant"] == tenant["label"]


def test_pending_uploads_have_their_panel_until_completed(server: ThreadedServer) -> None:
    def panels() -> dict[str, list[dict[str, Any]]]:
        [tenant] = httpx.get(f"{server.root_url}/_mock/state").json()["tenants"]
        return {panel["title"]: panel["rows"] for panel in tenant["panels"]}

    with sdk(server) as client:
        pending = client.uploads.create(
            filename="big.jsonl", purpose="batch", bytes=len(BATCH_LINE), mime_type="text/jsonl"
        )
        part = client.uploads.parts.create(pending.id, data=BATCH_LINE)
        [row] = panels()["Pending uploads"]
        assert row == {
            "id": pending.id,
            "filename": "big.jsonl",
            "purpose": "batch",
            "bytes": len(BATCH_LINE),
            "received": len(BATCH_LINE),
            "parts": 1,
            "created_at": pending.created_at,
            "expires_at": pending.expires_at,
        }
        done = client.uploads.complete(pending.id, part_ids=[part.id])
    assert done.file is not None
    shown = panels()
    assert shown["Pending uploads"] == []
    assert [row["id"] for row in shown["Files"]] == [done.file.id]


def test_batches_show_their_status_and_request_counts() -> None:
    phases = {"validating": 60, "in_progress": 600, "finalizing": 60}
    with ThreadedServer(MockFiles(batch_durations=phases)) as server:
        check_the_batches_panel(server)


def check_the_batches_panel(server: ThreadedServer) -> None:
    files_shown: list[str] = []

    def batch_rows() -> list[dict[str, Any]]:
        [tenant] = httpx.get(f"{server.root_url}/_mock/state").json()["tenants"]
        panels = {panel["title"]: panel["rows"] for panel in tenant["panels"]}
        files_shown[:] = [row["id"] for row in panels["Files"]]
        return list(panels["Batches"])

    created = upload(server)
    with sdk(server) as client:
        batch = client.batches.create(
            input_file_id=created.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        [row] = batch_rows()
        assert row["id"] == batch.id
        assert (row["status"], row["input_file_id"], row["output_file_id"]) == (
            "validating",
            created.id,
            None,
        )
        assert batch.status == "validating"
        assert row["expires_at"] == batch.created_at + 86_400
        httpx.post(f"{server.root_url}/_mock/clock", json={"advance": 3600})
        [row] = batch_rows()
        done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (row["status"], row["total"], row["completed"], row["failed"]) == (
        "completed",
        done.request_counts.total,
        done.request_counts.completed,
        done.request_counts.failed,
    )
    assert (row["total"], row["completed"]) == (1, 1)
    assert row["output_file_id"] == done.output_file_id
    # the output file the batch made as it was brought up to now, in the same snapshot
    assert files_shown == [done.output_file_id, created.id]
    output = httpx.get(f"{server.root_url}/_mock/files/{row['output_file_id']}/content")
    assert output.status_code == 200
    assert b'"custom_id": "r1"' in output.content or b'"custom_id":"r1"' in output.content


def test_call_detail_shows_the_upload_and_hides_the_key(server: ThreadedServer) -> None:
    upload(server)
    detail = httpx.get(f"{server.root_url}/_mock/calls/0").json()
    assert detail["request"]["form"] == {
        "purpose": "batch",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": str(THIRTY_DAYS),
    }
    [uploaded] = detail["request"]["files"]
    assert (uploaded["filename"], uploaded["bytes"]) == ("train.jsonl", len(BATCH_LINE))
    assert "body" not in detail["request"]  # multipart: fields and files instead
    assert dict(detail["request"]["headers"])["authorization"] == "Bearer sk-...cdef"
    assert KEY not in str(detail)
    assert '"object": "file"' in detail["response"]["body"]


def test_download_streams_a_files_bytes_until_it_expires(server: ThreadedServer) -> None:
    created = upload(server)
    url = f"{server.root_url}/_mock/files/{created.id}/content"
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == BATCH_LINE
    assert 'filename="train.jsonl"' in response.headers["content-disposition"]
    moved = httpx.post(f"{server.root_url}/_mock/clock", json={"advance": THIRTY_DAYS})
    assert moved.status_code == 200
    gone = httpx.get(url)
    assert gone.status_code == 404
    assert created.id in gone.json()["error"]["message"]


def test_return_to_real_time(server: ThreadedServer) -> None:
    root = server.root_url
    httpx.post(f"{root}/_mock/clock", json={"advance": 3600})
    assert httpx.get(f"{root}/_mock/state").json()["clock"]["offset"] == 3600
    back = httpx.post(f"{root}/_mock/clock", json={"real_time": True})
    assert back.status_code == 200
    assert httpx.get(f"{root}/_mock/state").json()["clock"]["offset"] == 0
    # The move back is journaled, so a recorded scenario replays it.
    steps = httpx.get(f"{root}/_mock/journal").json()["steps"]
    assert [step["clock"] for step in steps] == [{"advance": 3600}, {"advance": -3600}]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("calls/5", "No journal entry 5: the journal holds 1 call(s)"),
        ("calls/-1", "No journal entry '-1'"),
        ("calls/x", "No journal entry 'x'"),
        ("files/file-nope/content", "file-nope"),
        ("static/secrets.py", "No dashboard asset named 'secrets.py'"),
    ],
)
def test_bad_dashboard_requests_are_404s_that_change_nothing(
    server: ThreadedServer, path: str, message: str
) -> None:
    upload(server)
    before = httpx.get(f"{server.root_url}/_mock/state").json()
    response = httpx.get(f"{server.root_url}/_mock/{path}")
    assert response.status_code == 404
    assert message in response.json()["error"]["message"]
    after = httpx.get(f"{server.root_url}/_mock/state").json()
    assert after["tenants"] == before["tenants"]
    assert after["journal"] == before["journal"]


def test_the_page_and_its_assets_are_served_from_the_package(server: ThreadedServer) -> None:
    root = server.root_url
    page = httpx.get(f"{root}/_mock/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:href|src)="(/_mock/static/[^"]+)"', page.text)
    assert sorted(assets) == ["/_mock/static/dashboard.css", "/_mock/static/dashboard.js"]
    for asset in assets:
        assert httpx.get(root + asset).status_code == 200
    bare = httpx.get(f"{root}/_mock")
    assert (bare.status_code, bare.headers["location"]) == (307, "/_mock/")


class _Notes:
    """A stand-in service with its own panel, as Batches or Uploads add theirs."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    def reset(self) -> None:
        pass

    def restore(self, exchange: object) -> bool:
        return False


def _note_rows(service: _Notes, tenant: str, limit: int) -> list[Row]:
    return [{"note": "hello", "count": 3}] if tenant == service.tenant else []


register_panel(
    _Notes, "Notes", (Column("note", "Note"), Column("count", "Count", "number")), _note_rows
)


def test_a_service_adds_its_panel_without_touching_the_others() -> None:
    mock = MockFiles()
    backend = mock.backend
    tenant = backend.own_tenant
    backend.services.append(_Notes(tenant))
    with ThreadedServer(mock) as running:
        state = httpx.get(f"{running.root_url}/_mock/state").json()
    [shown] = state["tenants"]
    assert shown["label"] == tenant
    titles = [panel["title"] for panel in shown["panels"]]
    assert titles == ["Files", "Pending uploads", "Batches", "Notes"]
    notes = shown["panels"][3]
    assert notes["rows"] == [{"note": "hello", "count": 3}]
    assert notes["columns"][1] == {"key": "count", "label": "Count", "kind": "number"}


def test_serve_prints_where_the_dashboard_is() -> None:
    port = free_port()
    command = [sys.executable, "-m", "mockfiles", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[1].startswith("export OPENAI_BASE_URL=")  # the exports come first
        assert lines[3] == f"dashboard: http://127.0.0.1:{port}/_mock/\n"
        for _ in range(200):  # serving (and handling SIGINT) before it is stopped
            try:
                page = httpx.get(lines[3].removeprefix("dashboard: ").strip(), timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert page.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


DASHBOARD_PATHS = [
    "/_mock/",
    "/_mock",
    "/_mock/static/dashboard.js",
    "/_mock/state",
    "/_mock/calls/0",
    "/_mock/files/file-abc/content",
]


async def test_the_dashboard_follows_the_control_routes_access_rule() -> None:
    mock = MockFiles(control_token="s3cret")
    outside = httpx.ASGITransport(app=mock.app, client=("192.0.2.7", 5555))
    async with httpx.AsyncClient(transport=outside, base_url="http://mock") as http:
        for path in DASHBOARD_PATHS:
            refused = await http.get(path)
            assert refused.status_code == 403, path
            assert "control token" in refused.json()["error"]["message"]
        token = {"x-mockfiles-control-token": "s3cret"}
        assert (await http.get("/_mock/", headers=token)).status_code == 200
        assert (await http.get("/_mock/state", headers=token)).status_code == 200
