"""A scenario loads only into a mock of the profile it was recorded with, at every
entrance (Python, ``POST /_mock/scenario``, ``mockfiles serve --load``), and a refusal
names both profiles and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mockfiles import MockFiles
from mockfiles.scenario import read
from mockfiles.scenario_format import ScenarioError, ScenarioProfileError

from .conftest import BATCH_LINE


@pytest.fixture
def azure_scenario(tmp_path: Path) -> Path:
    """A scenario recorded through ``AzureOpenAI`` against an azure mock."""
    azure = MockFiles("azure")
    with azure.openai_client(max_retries=0) as client:
        client.files.create(file=("azure.jsonl", BATCH_LINE), purpose="batch")
    return azure.save_scenario(tmp_path / "azure.json")


def _state(mock: MockFiles) -> tuple[int, float, list[tuple[str, str]]]:
    """Journal length and clock offset (taken first), then the files the SDK lists."""
    events, offset = len(mock.journal.events), mock.clock.offset
    with mock.openai_client(max_retries=0) as client:
        files = [(f.id, f.filename) for f in client.files.list()]
    return events, offset, files


def _refused(exc: pytest.ExceptionInfo[ScenarioProfileError], served: str) -> None:
    message = str(exc.value)
    assert "'azure' profile" in message and f"'{served}' profile" in message, message
    assert (exc.value.recorded, exc.value.served) == ("azure", served)
    assert isinstance(exc.value, ScenarioError)


@pytest.mark.parametrize("as_path", [True, False])
def test_python_load_refuses_another_profile(azure_scenario: Path, as_path: bool) -> None:
    mock = MockFiles("openai")
    with mock.openai_client(max_retries=0) as client:
        kept = client.files.create(file=("mine.jsonl", BATCH_LINE), purpose="batch")
    mock.clock.advance(10)
    before = _state(mock)
    events = len(mock.journal.events)
    source = azure_scenario if as_path else read(azure_scenario)
    with pytest.raises(ScenarioProfileError) as refused:
        mock.load_scenario(source)
    _refused(refused, "openai")
    with pytest.raises(ScenarioProfileError) as refused_control:
        mock.control.load_scenario(source)
    _refused(refused_control, "openai")
    assert len(mock.journal.events) == events
    assert _state(mock)[1:] == before[1:]
    with mock.openai_client(max_retries=0) as client:
        assert client.files.content(kept.id).read() == BATCH_LINE


def test_from_scenario_with_another_profile_is_refused(azure_scenario: Path) -> None:
    with pytest.raises(ScenarioProfileError) as refused:
        MockFiles.from_scenario(azure_scenario, profile="compass")
    _refused(refused, "compass")
    loaded = MockFiles.from_scenario(azure_scenario)
    with loaded.openai_client(max_retries=0) as client:
        assert [f.filename for f in client.files.list()] == ["azure.jsonl"]


def test_the_same_profile_still_loads(azure_scenario: Path) -> None:
    mock = MockFiles("azure")
    report = mock.load_scenario(azure_scenario)
    assert sum(report.files.values()) == 1
    with mock.openai_client(max_retries=0) as client:
        assert [f.filename for f in client.files.list()] == ["azure.jsonl"]


def test_control_route_refuses_a_recorded_azure_scenario(azure_scenario: Path) -> None:
    mock = MockFiles("openai")
    mock.add_file(b"kept", filename="kept.txt", purpose="user_data")
    before = _state(mock)
    with httpx.Client(transport=mock.transport("httpx"), base_url=mock.root_url) as http:
        events = len(mock.journal.events)
        refused = http.post("/_mock/scenario", content=azure_scenario.read_bytes())
        assert len(mock.journal.events) == events
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == "profile" and error["type"] == "invalid_request_error"
    assert "'azure' profile" in error["message"] and "'openai' profile" in error["message"]
    assert _state(mock)[1:] == before[1:]


def test_serve_load_with_another_profile_is_one_line(azure_scenario: Path) -> None:
    load = ["--load", str(azure_scenario), "--profile", "openai"]
    done = subprocess.run(
        [sys.executable, "-m", "mockfiles", "serve", "--port", "0", *load],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == "", done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("mockfiles serve: ")
    assert "'azure' profile" in lines[0] and "'openai' profile" in lines[0]
