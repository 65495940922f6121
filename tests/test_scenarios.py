"""Recorded scenarios: record, replay with a diff, load as starting state, proxy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.proxy import RecordingProxy
from mockfiles.scenario import replay
from mockfiles.scenario_format import ScenarioError
from mockfiles.server import ThreadedServer

from .conftest import BATCH_LINE

pytest_plugins = ["pytester"]


def exercise(client: openai.OpenAI, mock: MockFiles) -> str:
    """A little of everything: uploads, a seed, paging, downloads, errors, expiry."""
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    client.files.create(
        file=("notes.txt", b"\x00\xffbinary"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    mock.add_file(b'{"custom_id": "r1"}\n', filename="out.jsonl", purpose="batch_output")
    list(client.files.list(limit=1))
    client.files.content(created.id).read()
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-doesnotexist000")
    mock.clock.advance(3601)
    list(client.files.list())
    client.files.delete(created.id)
    return created.id


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    mock = MockFiles()
    exercise(mock.openai_client(max_retries=0), mock)
    return mock.save_scenario(tmp_path / "scenario.json")


def test_scenario_file_is_readable_and_redacted(recorded: Path) -> None:
    text = recorded.read_text()
    doc = json.loads(text)
    assert (doc["format"], doc["version"], doc["profile"]) == ("mockfiles.scenario", 1, "openai")
    assert "sk-mockfiles" not in text and '"authorization": "<redacted>"' in text
    upload = doc["steps"][0]
    assert upload["request"]["body"]["multipart"]["fields"] == {"purpose": "batch"}
    assert upload["request"]["body"]["multipart"]["files"][0]["content"] == {
        "text": BATCH_LINE.decode()
    }
    binary = doc["steps"][1]["request"]["body"]["multipart"]["files"][0]["content"]
    assert binary == {"base64": "AP9iaW5hcnk="}
    kinds = [("request" in s and s["request"]["method"]) or next(iter(s)) for s in doc["steps"]]
    # three list pages (limit=1, auto-paged), a download, a 404, the clock, a list, a delete
    assert kinds == ["POST", "POST", "seed", *["GET"] * 5, "clock", "GET", "DELETE"]
    assert text.count("\n") > 100  # one key per line: pleasant to diff


def test_recorded_scenario_replays_clean(recorded: Path) -> None:
    report = replay(recorded)
    assert report.ok, report.render()
    assert len(report.steps) == 11
    report.assert_ok()


def test_edited_scenario_fails_with_a_diff_naming_the_field(recorded: Path) -> None:
    doc = json.loads(recorded.read_text())
    doc["steps"][0]["response"]["body"]["json"]["filename"] = "edited.jsonl"
    doc["steps"][7]["response"]["status"] = 200  # the retrieve that answered 404
    recorded.write_text(json.dumps(doc))
    report = replay(recorded)
    assert not report.ok
    text = report.render()
    assert "response.body.json.filename: recorded 'edited.jsonl', now 'in.jsonl'" in text
    assert "response.status: recorded 200, now 404" in text
    assert "11 steps, 2 differ" in text
    with pytest.raises(AssertionError, match=r"edited\.jsonl"):
        report.assert_ok()


def test_cli_replay_exit_status(recorded: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "mockfiles", "replay", str(recorded)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "11 steps, 0 differ" in ok.stdout
    doc = json.loads(recorded.read_text())
    doc["steps"][9]["response"]["body"]["json"]["has_more"] = True
    recorded.write_text(json.dumps(doc))
    bad = subprocess.run(
        [sys.executable, "-m", "mockfiles", "replay", str(recorded)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "response.body.json.has_more: recorded True, now False" in bad.stdout


def test_replay_against_a_server(recorded: Path) -> None:
    with ThreadedServer(MockFiles()) as server:
        report = replay(recorded, base_url=server.base_url)
    assert report.ok, report.render()


def test_time_offsets_are_compared(recorded: Path) -> None:
    doc = json.loads(recorded.read_text())
    doc["steps"][0]["response"]["body"]["json"]["expires_at"] += 5
    report = replay(doc)
    assert (
        "response.body.json.expires_at: recorded <t0+2592005>, now <t0+2592000>" in report.render()
    )


def test_unreadable_scenarios(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a mockfiles scenario"):
        replay({"steps": []})
    with pytest.raises(ScenarioError, match="version 9"):
        replay({"format": "mockfiles.scenario", "version": 9, "steps": []})
    path = tmp_path / "bad.json"
    path.write_text('{"format": "nope"}')
    cli = subprocess.run(
        [sys.executable, "-m", "mockfiles", "replay", str(path)], capture_output=True, text=True
    )
    assert cli.returncode == 2 and "not a mockfiles scenario" in cli.stderr


def test_load_keeps_ids_content_and_ages(tmp_path: Path) -> None:
    mock = MockFiles()
    client = mock.openai_client()
    kept = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    gone = client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    seeded = mock.add_file(b"results", filename="r.csv", purpose="fine-tune-results")
    client.files.delete(gone.id)
    mock.clock.advance(10 * 86_400)
    path = mock.save_scenario(tmp_path / "s.json")

    loaded = MockFiles.from_scenario(path)
    files = {f.id: f for f in loaded.stored_files()}
    assert set(files) == {kept.id, seeded.id}
    assert files[kept.id].content == BATCH_LINE
    assert files[seeded.id].content == b"results"
    age = loaded.clock.now() - files[kept.id].created_at
    assert 10 * 86_400 - 5 <= age <= 10 * 86_400 + 5
    assert files[kept.id].expires_at == files[kept.id].created_at + 30 * 86_400
    assert len(loaded.calls) == 0
    loaded.clock.advance(20 * 86_400 + 10)
    assert [f.id for f in loaded.stored_files()] == [seeded.id]


def test_serve_load(tmp_path: Path) -> None:
    mock = MockFiles()
    created = mock.openai_client().files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    path = mock.save_scenario(tmp_path / "s.json")
    from .test_server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--port", str(port), "--load", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert any("loaded" in line and "1 file(s)" in line for line in lines)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=mock.api_key)
        assert client.files.retrieve(created.id).filename == "in.jsonl"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_record_proxy_with_a_mock_upstream(tmp_path: Path) -> None:
    output = tmp_path / "recorded.json"
    upstream = MockFiles()
    with (
        ThreadedServer(upstream) as up,
        ThreadedServer(RecordingProxy(up.root_url, output)) as proxy,
    ):
        client = openai.OpenAI(base_url=proxy.root_url + "/v1", api_key="sk-secret", max_retries=0)
        created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
        assert client.files.content(created.id).read() == BATCH_LINE
        with pytest.raises(openai.BadRequestError):
            client.files.create(file=("in.txt", BATCH_LINE), purpose="fine-tune")
        client.files.delete(created.id)
    assert [f.id for f in upstream.stored_files()] == []
    text = output.read_text()
    assert "sk-secret" not in text
    steps = json.loads(text)["steps"]
    assert [s["response"]["status"] for s in steps] == [200, 200, 400, 200]
    report = replay(output)  # what the upstream did, replayed against a fresh mock
    assert report.ok, report.render()


@pytest.mark.mockfiles(profile="compass")
def test_compass_import_scenario_replays(mockfiles: MockFiles, tmp_path: Path) -> None:
    import httpx

    mockfiles.urls.register("https://data.test/t.jsonl", b'{"messages": []}\n')
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers={"api-key": "k"})
    imported = http.post(
        f"{mockfiles.base_url}/files/import",
        json={
            "content_url": "https://data.test/t.jsonl",
            "filename": "t.jsonl",
            "purpose": "fine-tune",
        },
    )
    assert imported.status_code == 200
    http.get(f"{mockfiles.base_url}/files/{imported.json()['id']}/content")
    path = mockfiles.save_scenario(tmp_path / "compass.json")
    assert replay(path).ok
    loaded = MockFiles.from_scenario(path)
    assert loaded.content_of(imported.json()["id"]) == b'{"messages": []}\n'


def test_record_option_writes_one_file_per_fixture_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import openai

        def test_uses_mock(mockfiles):
            openai.OpenAI().files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")

        def test_uses_server(mockfiles_server):
            openai.OpenAI().files.list()

        def test_without_mock():
            pass
        """
    )
    out = pytester.path / "scenarios"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--mockfiles-record={out}")
    result.assert_outcomes(passed=3)
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "test_record_option_writes_one_file_per_fixture_test.py_test_uses_mock.json",
        "test_record_option_writes_one_file_per_fixture_test.py_test_uses_server.json",
    ]
    for name in written:
        report = replay(out / name)
        assert report.ok, report.render()
