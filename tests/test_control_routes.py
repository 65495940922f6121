"""The real-socket server fixture, the /_mock control routes and document 002's curls."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockfiles import MockFiles

from .conftest import mockfiles_serve

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
pytest_plugins = ["pytester"]


def curl(*args: str) -> tuple[int, Any]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body) if body else None


def control(server: MockFiles, path: str, body: str | None = None) -> tuple[int, Any]:
    root = server.root_url
    if body is None:
        return curl(f"{root}/_mock/{path}")
    return curl(
        "-X", "POST", f"{root}/_mock/{path}", "-H", "content-type: application/json", "--data", body
    )


def test_server_fixture_points_openai_base_url(mockfiles_server: MockFiles) -> None:
    assert os.environ["OPENAI_BASE_URL"] == mockfiles_server.base_url
    assert mockfiles_server.base_url.startswith("http://127.0.0.1:")
    code = (
        "import openai\n"
        "created = openai.OpenAI().files.create(file=('a.jsonl', b'{}\\n'), purpose='batch')\n"
        "print(created.id)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert [f.id for f in mockfiles_server.stored_files()] == [out.stdout.strip()]


def test_clock_route_drives_expiry(mockfiles_server: MockFiles, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text('{"custom_id": "1"}\n')
    auth = ["-H", "Authorization: Bearer k"]
    _, created = curl(
        f"{mockfiles_server.base_url}/files", *auth, "-F", "purpose=batch", "-F", f"file=@{data}"
    )
    status, moved = control(mockfiles_server, "clock", '{"advance": 2592000}')
    assert status == 200 and moved["now"] >= created["expires_at"]
    status, error = curl(f"{mockfiles_server.base_url}/files/{created['id']}", *auth)
    assert status == 404 and error["error"]["message"] == f"No such File object: {created['id']}"
    status, _ = control(mockfiles_server, "clock", '{"set": 1000000000}')
    assert status == 200 and int(mockfiles_server.clock.now()) == 1_000_000_000


def test_reset_journal_and_scenario_routes(mockfiles_server: MockFiles) -> None:
    mockfiles_server.add_file(b"out\n", filename="out.jsonl", purpose="batch_output")
    curl(f"{mockfiles_server.base_url}/files", "-H", "Authorization: Bearer k")
    status, journal = control(mockfiles_server, "journal")
    assert status == 200 and journal["format"] == "mockfiles.scenario"
    assert [next(iter(s)) if "request" not in s else "request" for s in journal["steps"]] == [
        "seed",
        "request",
    ]
    assert control(mockfiles_server, "reset", "")[0] == 200
    assert mockfiles_server.stored_files() == []
    status, loaded = control(mockfiles_server, "scenario", json.dumps(journal))
    assert status == 200 and loaded["files"] == 1
    assert mockfiles_server.stored_files()[0].filename == "out.jsonl"


def test_seed_route(mockfiles_server: MockFiles) -> None:
    status, created = control(
        mockfiles_server, "files", '{"content": {"text": "x"}, "purpose": "batch_output"}'
    )
    assert status == 200 and created["purpose"] == "batch_output" and created["bytes"] == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("clock", '{"advance": "soon"}', 400, "'advance' must be a number"),
        ("clock", '{"forward": 1}', 400, '{"advance": seconds}'),
        ("clock", "not json", 400, "must be JSON"),
        ("scenario", '{"format": "other"}', 400, "not a mockfiles scenario"),
        ("files", '{"purpose": "nonsense", "content": {"text": "x"}}', 400, "purpose"),
        ("urls", '{"content": {"text": "x"}}', 400, "Cannot register"),
        ("nothing", "{}", 404, "Invalid URL (POST /_mock/nothing)"),
        ("journal", "{}", 404, "Invalid URL (POST /_mock/journal)"),
    ],
)
def test_bad_control_requests(
    mockfiles_server: MockFiles, path: str, body: str, status: int, fragment: str
) -> None:
    got, error = control(mockfiles_server, path, body)
    assert got == status
    assert fragment in error["error"]["message"]


def test_document_002_curl_examples(tmp_path: Path) -> None:
    """Document 002's two upload examples, as written apart from host and key, against
    `mockfiles serve`."""
    (tmp_path / "file").write_bytes(b"%PDF-1.4 assistants document")
    (tmp_path / "mydata.jsonl").write_text('{"messages": []}\n')
    with mockfiles_serve("openai") as root:
        run_document_002(f"{root}/v1", tmp_path)


def run_document_002(base: str, tmp_path: Path) -> None:
    first = f"""curl {base}/files \\
    -H 'Content-Type: multipart/form-data' \\
    -H "Authorization: Bearer $OPENAI_API_KEY" \\
    -F 'file=@{tmp_path}/file' \\
    -F purpose=assistants"""
    # The document's second example lacks the last two line continuations; this is the
    # command it means.
    second = f"""cd {tmp_path} && curl {base}/files \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -F purpose="fine-tune" \\
  -F file="@mydata.jsonl" \\
  -F expires_after[anchor]="created_at" \\
  -F expires_after[seconds]=2592000"""
    env = {**os.environ, "OPENAI_API_KEY": "sk-doc-example"}
    results = [
        json.loads(
            subprocess.run(
                ["bash", "-c", command], capture_output=True, text=True, check=True, env=env
            ).stdout
        )
        for command in (first, second)
    ]
    assert (results[0]["purpose"], results[0]["filename"]) == ("assistants", "file")
    assert results[1]["expires_at"] == results[1]["created_at"] + 2_592_000
    assert results[1]["filename"] == "mydata.jsonl"
    status, listed = curl(f"{base}/files", "-H", "Authorization: Bearer sk-doc-example")
    assert status == 200 and len(listed["data"]) == 2


def test_server_is_shared_and_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        ports = []

        def test_one(mockfiles_server):
            ports.append(mockfiles_server.base_url)
            mockfiles_server.add_file(b"x", purpose="batch_output")

        def test_two(mockfiles_server):
            ports.append(mockfiles_server.base_url)
            assert mockfiles_server.stored_files() == []
            assert ports[0] == ports[1]

        @pytest.mark.mockfiles(profile="compass")
        def test_other_profile_gets_its_own_server(mockfiles_server):
            assert mockfiles_server.profile.name == "compass"
            assert mockfiles_server.base_url != ports[0]
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_server_fixture_seeds_for_the_environment_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    pytester.makepyfile(
        """
        import subprocess, sys

        def test_subprocess_sees_seeded_file(mockfiles_server):
            seeded = mockfiles_server.add_file(b"x", purpose="batch_output")
            code = "import openai; print([f.id for f in openai.OpenAI().files.list()])"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            assert out.stdout.strip() == str([seeded.id]), out.stderr
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
