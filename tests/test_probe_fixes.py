"""Defects a newcomer's probe found: deep JSON, unsendable fault headers, empty tokens and
keys, non-finite settings, CLI tracebacks, the proxy recorder, batch ids in replays.

Real clients throughout: the openai SDK, httpx against a ``ThreadedServer`` on loopback,
and the CLI as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer

from .batch_helpers import CHAT, chat_lines

KEY = {"Authorization": "Bearer sk-A"}
#: An unterminated array nested 2000 deep (the parser recursed before seeing the end).
DEEP_OPEN = "[" * 2000
#: Well-formed, 500 deep: Python's parser manages it; what walks it later may not.
DEEP_CLOSED = "[" * 500 + "]" * 500


@pytest.fixture
def served() -> Iterator[tuple[MockFiles, httpx.Client]]:
    mock = MockFiles()
    with ThreadedServer(mock) as server, httpx.Client(base_url=server.root_url) as http:
        yield mock, http


def envelope_message(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    message: str = response.json()["error"]["message"]
    return message


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockfiles", *args], capture_output=True, text=True, timeout=60
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode != 0, done
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- 1. deeply nested JSON --------------------------------------------------------------


def _deep_bodies(deep: str, upload_id: str) -> list[tuple[str, str]]:
    return [
        ("/_mock/clock", '{"advance": ' + deep + "}"),
        ("/_mock/files", '{"filename": ' + deep + "}"),
        ("/_mock/urls", '{"url": ' + deep + "}"),
        ("/_mock/faults", '{"status": ' + deep + "}"),
        ("/_mock/scenario", '{"steps": ' + deep + "}"),
        ("/v1/batches", '{"metadata": {"a": ' + deep + "}}"),
        ("/v1/uploads", '{"filename": "a", "metadata": ' + deep + "}"),
        (f"/v1/uploads/{upload_id}/complete", '{"part_ids": ' + deep + "}"),
    ]


@pytest.mark.parametrize("deep", [DEEP_OPEN, DEEP_CLOSED], ids=["unterminated", "closed"])
def test_deeply_nested_bodies_answer_400_everywhere(
    served: tuple[MockFiles, httpx.Client], deep: str
) -> None:
    _, http = served
    upload = http.post(
        "/v1/uploads",
        headers=KEY,
        json={"filename": "a.jsonl", "purpose": "batch", "bytes": 1, "mime_type": "text/jsonl"},
    )
    assert upload.status_code == 200, upload.text
    for path, body in _deep_bodies(deep, upload.json()["id"]):
        response = http.post(
            path, headers={**KEY, "content-type": "application/json"}, content=body
        )
        assert "nested too deeply" in envelope_message(response), path
    # nothing broke: the journal, the dashboard's state and call detail, the clock
    assert http.get("/_mock/journal").status_code == 200
    assert http.get("/_mock/state").status_code == 200
    last = http.get("/_mock/calls/3")  # a refused deep request, shown as text
    assert last.status_code == 200, last.text
    assert http.post("/_mock/clock", json={"advance": 1}).status_code == 200


def test_bodies_nested_a_little_are_fine(served: tuple[MockFiles, httpx.Client]) -> None:
    _, http = served
    nested: object = "x"
    for _ in range(100):
        nested = [nested]
    file_id = http.post(
        "/v1/files", headers=KEY, data={"purpose": "batch"}, files={"file": ("a", chat_lines(1))}
    ).json()["id"]
    created = http.post(
        "/v1/batches",
        headers=KEY,
        json={
            "input_file_id": file_id,
            "endpoint": CHAT,
            "completion_window": "24h",
            "metadata": {"a": json.dumps(nested)},
        },
    )
    assert created.status_code == 200, created.text


DEEP_LINE = b"[" * 300_000 + b"\n"


def test_a_deep_batch_line_fails_validation_and_breaks_nothing(
    served: tuple[MockFiles, httpx.Client],
) -> None:
    mock, http = served
    base_url = str(http.base_url.join("/v1"))
    with openai.OpenAI(base_url=base_url, api_key="sk-A", max_retries=0) as sdk:
        file_id = sdk.files.create(file=("in.jsonl", chat_lines(1) + DEEP_LINE), purpose="batch").id
        batch = sdk.batches.create(
            input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        mock.clock.advance(3600)
        done = sdk.batches.retrieve(batch.id)
        assert done.status == "failed"
        assert done.errors is not None and done.errors.data is not None
        [error] = done.errors.data
        assert (error.line, error.code) == (2, "invalid_json_line")
        assert error.message is not None and "nested too deeply" in error.message
        assert [b.id for b in sdk.batches.list()] == [batch.id]
    assert http.get("/_mock/state").status_code == 200
    assert http.get("/_mock/journal").status_code == 200


def test_a_deep_line_in_a_checked_upload_is_a_bad_line() -> None:
    strict = MockFiles(validate_content=True)
    with ThreadedServer(strict) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key=strict.api_key, max_retries=0)
        created = sdk.files.create(file=("in.jsonl", DEEP_LINE), purpose="batch")
        assert created.status == "error"
        assert created.status_details is not None
        assert created.status_details.startswith("line 1: invalid_json_line: This line is nested")
        assert httpx.get(f"{server.root_url}/_mock/state").status_code == 200


def test_a_deep_line_in_a_compass_fine_tune_upload_is_refused() -> None:
    compass = MockFiles("compass")
    with ThreadedServer(compass) as server:
        sdk = openai.OpenAI(
            base_url=server.base_url,
            api_key=compass.api_key,
            default_headers={"api-key": compass.api_key},
            max_retries=0,
        )
        with pytest.raises(openai.BadRequestError) as refused:
            sdk.files.create(file=("train.jsonl", DEEP_LINE), purpose="fine-tune")
        assert "line 1: This line is nested too deeply" in refused.value.message
        assert compass.stored_files() == []


def test_cli_validate_of_a_deep_line_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(DEEP_LINE)
    done = run_cli("validate", str(path), "--purpose", "batch")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.startswith("line 1: invalid_json_line: This line is nested too deeply")


# -- 2. faults with headers that cannot be sent -------------------------------------------

UNSENDABLE = [
    {"x": "a\r\nb"},
    {"x": "a\x00b"},
    {"bad header": "x"},
    {"": "x"},
    {"content-length": "5"},
    {"Transfer-Encoding": "chunked"},
    {"connection": "close"},
]


@pytest.mark.parametrize("headers", UNSENDABLE, ids=repr)
def test_unsendable_fault_headers_are_refused_when_queued(
    served: tuple[MockFiles, httpx.Client], headers: dict[str, str]
) -> None:
    mock, http = served
    refused = http.post("/_mock/faults", json={"status": 429, "headers": headers})
    assert "Cannot queue that fault: header" in envelope_message(refused)
    assert len(mock.faults) == 0
    with pytest.raises(ValueError, match="header"):
        mock.faults.add(status=429, headers=headers)
    assert len(mock.faults) == 0
    listed = http.get("/v1/files", headers=KEY)  # the next request is served normally
    assert listed.status_code == 200 and listed.json()["data"] == []


def test_sendable_fault_headers_reach_the_client(served: tuple[MockFiles, httpx.Client]) -> None:
    _, http = served
    queued = http.post(
        "/_mock/faults",
        json={"status": 429, "headers": {"retry-after-ms": "10", "x-note": "a b\tc"}},
    )
    assert queued.status_code == 200, queued.text
    hit = http.get("/v1/files", headers=KEY)
    assert hit.status_code == 429
    assert (hit.headers["retry-after-ms"], hit.headers["x-note"]) == ("10", "a b\tc")


@pytest.mark.parametrize("times", [1e30, 2.5, 2.0, True])
def test_fault_times_must_be_a_whole_number(
    served: tuple[MockFiles, httpx.Client], times: object
) -> None:
    mock, http = served
    refused = http.post("/_mock/faults", json={"status": 500, "times": times})
    assert refused.status_code == 400, refused.text
    assert len(mock.faults) == 0
    with pytest.raises(ValueError, match="times must be a whole number"):
        mock.faults.add(status=500, times=times)  # type: ignore[arg-type]
    assert http.get("/v1/files", headers=KEY).status_code == 200


# -- 3. empty control token and keys ------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{"control_token": ""}, {"api_keys": [""]}, {"api_keys": ["sk-a", ""]}, {"api_key": ""}],
    ids=repr,
)
def test_empty_tokens_and_keys_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        MockFiles(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--control-token", ""], "--control-token must not be empty"),
        (["--api-key", ""], "--api-key must not be empty"),
        (["--api-key", "sk-a", "--api-key", ""], "--api-key must not be empty"),
    ],
)
def test_cli_refuses_empty_tokens_and_keys(flags: list[str], needle: str) -> None:
    assert_one_line_error(run_cli("serve", "--port", "0", *flags), needle)


def test_an_empty_control_header_does_not_open_the_control_routes() -> None:
    """A remote caller sending an empty token header is refused when a token is set."""
    from mockfiles.api.control import TOKEN_HEADER, Forbidden, check_caller

    scope = {"client": ("203.0.113.9", 1234), "headers": [(TOKEN_HEADER.encode(), b"")]}
    with pytest.raises(Forbidden):
        check_caller(scope, "s3cret")


# -- 4. non-finite and negative settings --------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"batch_durations": {"in_progress": float("nan")}},
        {"batch_durations": {"validating": float("inf")}},
        {"batch_durations": {"in_progress": -1}},
        {"processing_seconds": float("nan")},
        {"processing_seconds": float("inf")},
        {"processing_seconds": -1},
    ],
    ids=repr,
)
def test_non_finite_or_negative_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="finite number of seconds >= 0"):
        MockFiles(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_cli_refuses_a_non_finite_batch_duration(value: str) -> None:
    done = run_cli("serve", "--port", "0", "--batch-duration", f"in_progress={value}")
    assert_one_line_error(done, "--batch-duration", "finite")


# -- 5. CLI tracebacks --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "record"])
@pytest.mark.parametrize("port", ["70000", "-1"])
def test_cli_port_out_of_range_is_one_line(command: str, port: str, tmp_path: Path) -> None:
    extra = ["--upstream", "http://127.0.0.1:9", "-o", str(tmp_path / "s.json")]
    done = run_cli(command, "--port", port, *(extra if command == "record" else []))
    assert_one_line_error(done, f"cannot listen on 127.0.0.1:{port}", "0 to 65535")


@pytest.fixture
def saved_scenario(tmp_path: Path) -> Path:
    mock = MockFiles()
    mock.openai_client(max_retries=0).files.create(file=("a.jsonl", chat_lines(1)), purpose="batch")
    return mock.save_scenario(tmp_path / "s.json")


@pytest.mark.parametrize(
    ("base_url", "needle"),
    [
        ("http://127.0.0.1:1/v1", "cannot reach http://127.0.0.1:1/v1"),
        ("not-a-url", "must be an http(s) URL"),
    ],
)
def test_cli_replay_against_nothing_is_one_line(
    saved_scenario: Path, base_url: str, needle: str
) -> None:
    done = run_cli("replay", str(saved_scenario), "--base-url", base_url)
    assert_one_line_error(done, needle)


# -- 6. serve prints a key it accepts -----------------------------------------------------


def _served_key(*flags: str) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        root = ""
        for line in proc.stdout:
            if "serving on" in line:
                root = line.split("serving on ")[1].strip()
            if line.startswith("export OPENAI_API_KEY="):
                key = line.strip().split("=", 1)[1]
                assert root
                listed = httpx.get(root + "/files", headers={"Authorization": f"Bearer {key}"})
                assert listed.status_code == 200, listed.text
                return key
        raise AssertionError("serve printed no OPENAI_API_KEY")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_prints_the_first_accepted_key() -> None:
    assert _served_key("--api-key", "sk-a", "--api-key", "sk-b") == "sk-a"
    assert _served_key() == "sk-mockfiles-test-key"


def test_the_mocks_own_key_is_the_first_accepted_one() -> None:
    mock = MockFiles(api_keys=["sk-a", "sk-b"])
    assert mock.api_key == "sk-a"
    assert list(mock.openai_client(max_retries=0).files.list()) == []
    assert MockFiles(api_keys=["sk-a"], api_key="sk-other").api_key == "sk-other"


# -- 7. the recording proxy ---------------------------------------------------------------


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_record_with_the_upstream_down_answers_502(tmp_path: Path) -> None:
    from mockfiles.proxy import RecordingProxy

    upstream = f"http://127.0.0.1:{_closed_port()}"
    output = tmp_path / "s.json"
    with ThreadedServer(RecordingProxy(upstream, output)) as proxy:
        sdk = openai.OpenAI(base_url=proxy.root_url + "/v1", api_key="sk-a", max_retries=0)
        with pytest.raises(openai.APIStatusError) as failed:
            sdk.files.list()
        assert failed.value.status_code == 502
        assert f"cannot reach the upstream {upstream}" in failed.value.message
        body = failed.value.response.json()
        assert body["error"]["type"] == "server_error"
        assert body["detail"]["message"] == body["error"]["message"]
    assert not output.exists()


def test_record_forwards_control_calls_without_recording_them(tmp_path: Path) -> None:
    from mockfiles.proxy import RecordingProxy
    from mockfiles.scenario import replay

    output = tmp_path / "s.json"
    upstream_mock = MockFiles()
    with (
        ThreadedServer(upstream_mock) as upstream,
        ThreadedServer(RecordingProxy(upstream.root_url, output)) as proxy,
    ):
        before = upstream_mock.clock.now()
        moved = httpx.post(proxy.root_url + "/_mock/clock", json={"advance": 3600})
        assert moved.status_code == 200 and moved.json()["now"] >= before + 3600
        sdk = openai.OpenAI(base_url=proxy.root_url + "/v1", api_key="sk-a", max_retries=0)
        sdk.files.create(file=("a.jsonl", chat_lines(1)), purpose="batch")
    steps = json.loads(output.read_text())["steps"]
    assert [s["request"]["path"] for s in steps] == ["/v1/files"]
    assert replay(output).ok


# -- 8. batch outputs replay --------------------------------------------------------------


def _batch_pipeline(sdk: openai.OpenAI) -> bytes:
    file_id = sdk.files.create(file=("in.jsonl", chat_lines(3)), purpose="batch").id
    batch = sdk.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = sdk.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id is not None
    output = sdk.files.content(done.output_file_id).read()
    assert [b.id for b in sdk.batches.list()] == [batch.id]
    return output


def test_a_batch_pipeline_with_output_download_replays_cleanly(tmp_path: Path) -> None:
    from mockfiles.scenario import replay

    mock = MockFiles()
    output = _batch_pipeline(mock.openai_client(max_retries=0))
    lines = [json.loads(line) for line in output.decode().splitlines()]
    ids = [
        (line["id"], line["response"]["request_id"], line["response"]["body"]["id"])
        for line in lines
    ]
    assert len({i for triple in ids for i in triple}) == 9  # every id distinct
    path = mock.save_scenario(tmp_path / "batch.json")
    in_process = replay(path)
    assert in_process.ok, in_process.render()
    with ThreadedServer(MockFiles()) as server:
        served = replay(path, base_url=server.base_url)
        assert served.ok, served.render()


def test_replay_notices_ids_that_repeat_where_they_were_distinct() -> None:
    from mockfiles.scenario import Normaliser, differences

    recorded = Normaliser()("batch_req_" + "a" * 32 + " batch_req_" + "b" * 32)
    same = Normaliser()("batch_req_" + "c" * 32 + " batch_req_" + "c" * 32)
    assert differences(recorded, same, "body", 0) != []
    for family in ("req_" + "1" * 32, "chatcmpl-" + "f" * 24, "resp_" + "e" * 32):
        assert Normaliser()(family) == "<id:1>", family


def test_long_differing_values_are_cut_in_the_diff() -> None:
    from mockfiles.scenario import differences

    recorded = "x" * 5000 + "A" + "y" * 5000
    actual = "x" * 5000 + "B" + "y" * 5000
    [line] = differences(recorded, actual, "body", 0)
    assert len(line) < 700, line
    assert "…" in line and "A" in line and "B" in line


# -- 9. small ones ------------------------------------------------------------------------


def test_a_scenario_of_another_profile_is_refused(served: tuple[MockFiles, httpx.Client]) -> None:
    _, http = served
    scenario = http.get("/_mock/journal").json()
    for other in ("nope", "azure"):
        refused = http.post("/_mock/scenario", json={**scenario, "profile": other})
        message = envelope_message(refused)
        assert f"'{other}' profile" in message and "'openai' profile" in message
        assert refused.json()["error"]["param"] == "profile"
    loaded = http.post("/_mock/scenario", json=scenario)
    assert loaded.status_code == 200, loaded.text


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"purpose": "nope"}, "purpose"),
        ({"bytes": "x"}, "bytes"),
        ({"mime_type": ""}, "mime_type"),
        ({"expires_after": {"anchor": "created_at", "seconds": 1}}, "expires_after.seconds"),
        ({"filename": ""}, "filename"),
        ({"filename": "a" * 5000}, "filename"),
    ],
    ids=["purpose", "bytes", "mime_type", "expires_after", "empty_filename", "long_filename"],
)
def test_uploads_create_errors_name_the_param(
    served: tuple[MockFiles, httpx.Client], change: dict[str, object], param: str
) -> None:
    _, http = served
    body = {"filename": "a.jsonl", "purpose": "batch", "bytes": 1, "mime_type": "text/jsonl"}
    refused = http.post("/v1/uploads", headers=KEY, json={**body, **change})
    message = envelope_message(refused)
    assert refused.json()["error"]["param"] == param, refused.text
    assert "file part" not in message


def test_an_empty_uploads_filename_says_so_through_the_sdk() -> None:
    mock = MockFiles()
    sdk = mock.openai_client(max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.uploads.create(filename="", purpose="batch", bytes=1, mime_type="text/jsonl")
    assert refused.value.response.json()["error"]["message"] == "'filename' must not be empty."
    assert refused.value.param == "filename"
