"""Scenarios keep who owns what: two keys recorded, loaded, and each sees exactly its own.

Recorded in-process and through ``mockfiles record``; loaded in-process and with
``mockfiles serve --load``; always read through the openai SDK with each key.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from pathlib import Path
from typing import Any

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.auth import tenant_label
from mockfiles.mock import openai_http_library
from mockfiles.scenario import replay
from mockfiles.server import ThreadedServer

from .conftest import BATCH_LINE, mockfiles_cli, wait_until_serving
from .test_server import free_port

ALICE = "sk-alice-0123456789abcdef"
BOB = "sk-bob-fedcba9876543210"
CAROL = "sk-carol-000000000000000"
DAVE = "sk-dave-111111111111111"
BOBS = b'{"custom_id": "bob"}\n'
EXPIRY: Any = {"anchor": "created_at", "seconds": 7200}


def record_two_keys(base_url: str, http_client: Any = None) -> dict[str, Any]:
    """Alice uploads two files (deletes one) and one in a project; Bob uploads one."""

    def client(key: str, project: str | None = None) -> openai.OpenAI:
        kwargs: dict[str, Any] = {"base_url": base_url, "api_key": key, "max_retries": 0}
        if http_client is not None:
            kwargs["http_client"] = http_client
        return openai.OpenAI(project=project, **kwargs)

    alice, bob = client(ALICE), client(BOB)
    kept = alice.files.create(file=("a.jsonl", BATCH_LINE), purpose="batch")
    gone = alice.files.create(file=("gone.txt", b"x"), purpose="user_data")
    in_project = client(ALICE, "proj_x").files.create(file=("p.txt", b"p"), purpose="user_data")
    bobs = bob.files.create(file=("b.jsonl", BOBS), purpose="batch", expires_after=EXPIRY)
    with pytest.raises(openai.NotFoundError):
        bob.files.retrieve(kept.id)
    alice.files.delete(gone.id)
    return {"kept": kept, "gone": gone, "in_project": in_project, "bobs": bobs}


def assert_each_key_sees_its_own(base_url: str, made: dict[str, Any], **kw: Any) -> None:
    def client(key: str, project: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(base_url=base_url, api_key=key, project=project, max_retries=0, **kw)

    kept, gone, in_project, bobs = (made[k] for k in ("kept", "gone", "in_project", "bobs"))
    alice, bob, carol = client(ALICE), client(BOB), client(CAROL)
    assert [f.id for f in alice.files.list()] == [kept.id]
    assert [f.id for f in client(ALICE, "proj_x").files.list()] == [in_project.id]
    assert [f.id for f in bob.files.list()] == [bobs.id]
    assert list(carol.files.list()) == []
    for stranger, file_id in ((carol, kept.id), (bob, kept.id), (alice, bobs.id)):
        with pytest.raises(openai.NotFoundError):
            stranger.files.retrieve(file_id)
    with pytest.raises(openai.NotFoundError):  # deleted stays deleted
        alice.files.retrieve(gone.id)
    loaded_bobs = bob.files.retrieve(bobs.id)
    assert (loaded_bobs.filename, loaded_bobs.purpose) == ("b.jsonl", "batch")
    assert loaded_bobs.bytes == len(BOBS)
    assert loaded_bobs.expires_at == loaded_bobs.created_at + 7200
    assert bob.files.content(bobs.id).read() == BOBS
    loaded_kept = alice.files.retrieve(kept.id)
    assert loaded_kept.expires_at == loaded_kept.created_at + 30 * 86_400
    assert alice.files.content(kept.id).read() == BATCH_LINE


def httpx_client_for(mock: MockFiles) -> Any:
    """A client of the library the SDK is built on, reaching ``mock`` in-process."""
    library = openai_http_library()
    return importlib.import_module(library).Client(transport=mock.transport(library))


def test_in_process_round_trip_keeps_owners(tmp_path: Path) -> None:
    mock = MockFiles()
    made = record_two_keys(mock.base_url, httpx_client_for(mock))
    seeded = mock.add_file(b"results", filename="r.jsonl", purpose="batch_output", api_key=DAVE)
    mock.clock.advance(600)
    path = mock.save_scenario(tmp_path / "s.json")
    text = path.read_text()
    for key in (ALICE, BOB, DAVE):
        assert key not in text
    doc = json.loads(text)
    assert set(doc["tenants"]) == {
        tenant_label(ALICE),
        tenant_label(ALICE, "proj_x"),
        tenant_label(BOB),
        tenant_label(DAVE),
    }
    assert doc["tenants"][tenant_label(ALICE)] == {"key": "sk-...cdef", "project": None}

    loaded = MockFiles.from_scenario(path)
    assert_each_key_sees_its_own(loaded.base_url, made, http_client=httpx_client_for(loaded))
    dave = loaded.openai_client(api_key=DAVE, max_retries=0)
    assert [f.id for f in dave.files.list()] == [seeded.id]
    assert dave.files.content(seeded.id).read() == b"results"
    bobs = loaded.stored_files(BOB)[0]
    assert 595 <= loaded.clock.now() - bobs.created_at <= 605  # ages kept
    lines = loaded.load_scenario(path).describe()
    assert "1 file(s) for API key sk-...3210 (tenant " + tenant_label(BOB) in "\n".join(lines)


def test_in_process_scenario_replays_with_a_key_per_tenant(tmp_path: Path) -> None:
    mock = MockFiles()
    record_two_keys(mock.base_url, httpx_client_for(mock))
    report = replay(mock.save_scenario(tmp_path / "s.json"))
    assert report.ok, report.render()


def test_record_through_the_cli_then_serve_load(tmp_path: Path) -> None:
    output = tmp_path / "recorded.json"
    upstream_mock = MockFiles()
    proxy_port = free_port()
    record = ("record", "--upstream", "--port", str(proxy_port), "-o", str(output))
    with (
        ThreadedServer(upstream_mock) as upstream,
        mockfiles_cli(*record[:2], upstream.root_url, *record[2:]),
    ):
        wait_until_serving(f"http://127.0.0.1:{proxy_port}")
        made = record_two_keys(f"http://127.0.0.1:{proxy_port}/v1")
    text = output.read_text()
    assert ALICE not in text and BOB not in text

    port = free_port()
    with mockfiles_cli(
        "serve", "--port", str(port), "--load", str(output), stdout=subprocess.PIPE
    ) as served:
        assert served.stdout is not None
        lines = [served.stdout.readline() for _ in range(6)]
        loaded_lines = [line for line in lines if line.startswith(f"loaded {output}")]
        assert any("1 file(s) for API key sk-...cdef (tenant" in line for line in loaded_lines)
        assert any("1 file(s) for API key sk-...3210 (tenant" in line for line in loaded_lines)
        assert any("in project proj_x" in line for line in loaded_lines)
        wait_until_serving(f"http://127.0.0.1:{port}")
        assert_each_key_sees_its_own(f"http://127.0.0.1:{port}/v1", made)


def test_a_file_that_expired_during_the_recording_stays_gone(tmp_path: Path) -> None:
    mock = MockFiles()
    client = mock.openai_client(max_retries=0)
    expired = client.files.create(file=("a.jsonl", BATCH_LINE), purpose="batch")  # 30 days
    kept = client.files.create(file=("notes.txt", b"n"), purpose="user_data")  # never
    mock.clock.advance(30 * 86_400)
    assert [f.id for f in mock.stored_files()] == [kept.id]
    mock.clock.follow_real_time()  # back to real time: the expiry happened all the same
    path = mock.save_scenario(tmp_path / "s.json")

    loaded = MockFiles.from_scenario(path)
    assert [f.id for f in loaded.stored_files()] == [kept.id]
    with pytest.raises(openai.NotFoundError):
        loaded.openai_client(max_retries=0).files.retrieve(expired.id)
    assert loaded.clock.offset == 0  # the loaded mock follows real time
