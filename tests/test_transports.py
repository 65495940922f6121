"""In-process transports for httpx and httpx2, sync and async, and mock.patch()."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer
from mockfiles.transport import Library

LIBRARIES: list[Library] = ["httpx", "httpx2"]
AUTH = {"Authorization": "Bearer sk-test"}


@pytest.mark.parametrize("library", LIBRARIES)
def test_sync_transport(library: Library) -> None:
    module = importlib.import_module(library)
    mock = MockFiles()
    with module.Client(
        transport=mock.transport(library), base_url=mock.base_url, headers=AUTH
    ) as http:
        created = http.post(
            "/files", files={"purpose": (None, "batch"), "file": ("a.jsonl", b"{}\n")}
        )
        assert created.status_code == 200
        file_id = created.json()["id"]
        assert http.get(f"/files/{file_id}/content").content == b"{}\n"
        assert http.get("/files").json()["data"][0]["id"] == file_id


@pytest.mark.parametrize("library", LIBRARIES)
async def test_async_transport(library: Library) -> None:
    module = importlib.import_module(library)
    mock = MockFiles()
    async with module.AsyncClient(
        transport=mock.async_transport(library), base_url=mock.base_url, headers=AUTH
    ) as http:
        created = await http.post(
            "/files", files={"purpose": (None, "batch"), "file": ("a.jsonl", b"{}\n")}
        )
        assert created.status_code == 200
        file_id = created.json()["id"]
        assert (await http.get(f"/files/{file_id}/content")).content == b"{}\n"
        assert (await http.delete(f"/files/{file_id}")).json()["deleted"] is True


@pytest.mark.parametrize("library", LIBRARIES)
async def test_async_streamed_upload_body(library: Library) -> None:
    module = importlib.import_module(library)
    mock = MockFiles()
    boundary = b"b0und"
    parts = [
        b'--b0und\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n',
        b'--b0und\r\nContent-Disposition: form-data; name="file"; filename="s.jsonl"\r\n\r\n',
        *[b"{}\n" * 100 for _ in range(50)],
        b"\r\n--b0und--\r\n",
    ]

    async def body() -> object:
        for part in parts:
            yield part

    async with module.AsyncClient(transport=mock.async_transport(library), headers=AUTH) as http:
        response = await http.post(
            f"{mock.base_url}/files",
            content=body(),
            headers={"content-type": "multipart/form-data; boundary=" + boundary.decode()},
        )
    assert response.status_code == 200, response.text
    assert mock.stored_files()[0].content == b"{}\n" * 5000


def test_import_pulls_in_neither_http_library() -> None:
    code = (
        "import sys, mockfiles; "
        "print(sorted(m for m in ('httpx', 'httpx2', 'openai') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture
def other_server() -> Iterator[tuple[MockFiles, ThreadedServer]]:
    other = MockFiles()
    with ThreadedServer(other) as server:
        yield other, server


@pytest.mark.parametrize("library", LIBRARIES)
def test_patch_routes_mock_hosts_and_passes_others_through(
    library: str, other_server: tuple[MockFiles, ThreadedServer]
) -> None:
    module = importlib.import_module(library)
    other, server = other_server
    mock = MockFiles()
    original = module.HTTPTransport.handle_request
    with mock.patch(), module.Client(headers=AUTH) as http:
        assert http.get("https://api.openai.com/v1/files").status_code == 200
        assert http.get(f"{mock.base_url}/files").status_code == 200
        assert http.get(f"{server.base_url}/files").status_code == 200
    assert [c.path for c in mock.calls] == ["/v1/files", "/v1/files"]
    assert [c.path for c in other.calls] == ["/v1/files"]
    assert module.HTTPTransport.handle_request is original


@pytest.mark.parametrize("library", LIBRARIES)
async def test_patch_async(library: str, other_server: tuple[MockFiles, ThreadedServer]) -> None:
    module = importlib.import_module(library)
    other, server = other_server
    mock = MockFiles()
    with mock.patch():
        async with module.AsyncClient(headers=AUTH) as http:
            assert (await http.get("https://api.openai.com/v1/files")).status_code == 200
            assert (await http.get(f"{server.base_url}/files")).status_code == 200
    assert len(mock.calls) == 1
    assert len(other.calls) == 1


def test_patch_sets_and_restores_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://example.invalid/v1")
    mock = MockFiles()
    with mock.patch():
        assert os.environ["OPENAI_BASE_URL"] == mock.base_url
        assert os.environ["OPENAI_API_KEY"]
        with openai.OpenAI() as sdk:
            sdk.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert os.environ["OPENAI_BASE_URL"] == "https://example.invalid/v1"
    assert "OPENAI_API_KEY" not in os.environ
    assert len(mock.stored_files()) == 1


def test_start_patch_and_stop_patch_do_what_patch_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockfiles import stop_patch
    from mockfiles.mock import openai_http_library

    http = importlib.import_module(openai_http_library())

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://example.invalid/v1")
    original = http.HTTPTransport.handle_request
    mock = MockFiles()
    patched = mock.start_patch()
    try:
        assert os.environ["OPENAI_BASE_URL"] == mock.base_url
        assert http.HTTPTransport.handle_request is not original
        with openai.OpenAI() as sdk:
            sdk.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    finally:
        stop_patch(patched)
    assert http.HTTPTransport.handle_request is original
    assert os.environ["OPENAI_BASE_URL"] == "https://example.invalid/v1"
    assert "OPENAI_API_KEY" not in os.environ
    assert len(mock.stored_files()) == 1


def test_a_failed_start_patch_leaves_nothing_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    import mockfiles.mock as mock_module

    monkeypatch.setenv("OPENAI_BASE_URL", "https://example.invalid/v1")

    def broken_route(*_: object) -> None:
        raise RuntimeError("no routing today")

    monkeypatch.setattr(mock_module, "route", broken_route)
    with pytest.raises(RuntimeError, match="no routing today"):
        MockFiles().start_patch()
    assert os.environ["OPENAI_BASE_URL"] == "https://example.invalid/v1"


def test_patch_keeps_a_users_own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-mine")
    mock = MockFiles()
    with mock.patch(), openai.OpenAI() as sdk:
        sdk.files.list()
    assert mock.calls.last.request_headers["authorization"] == "Bearer sk-mine"


def test_default_base_url_client_reaches_mock(mockfiles: MockFiles) -> None:
    with openai.OpenAI(base_url="https://api.openai.com/v1") as sdk:
        sdk.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert len(mockfiles.stored_files()) == 1


def test_unknown_library_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="httpx"):
        MockFiles().transport("requests")  # type: ignore[arg-type]


def test_drive_refuses_to_hang_on_real_io() -> None:
    import asyncio

    from mockfiles.coroutines import AppSuspended, drive

    loop = asyncio.new_event_loop()
    try:
        future: asyncio.Future[None] = loop.create_future()

        async def waits_for_io() -> None:
            await future

        with pytest.raises(AppSuspended, match="needs an event loop"):
            drive(waits_for_io())
    finally:
        loop.close()


async def test_sync_client_inside_an_async_test(mockfiles: MockFiles) -> None:
    # A running loop in this thread must not matter to the sync in-process path.
    with openai.OpenAI() as sdk:
        created = sdk.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
        assert sdk.files.retrieve(created.id).id == created.id


def test_client_env_follows_the_profiles_mappings_as_they_are_now() -> None:
    """(Found in review.) The filled environment is remembered by the mappings' content,
    so a profile whose ``env`` is changed in place is read as it is now."""
    from mockfiles import get_profile

    profile = get_profile("openai").replace(  # its own mappings: the test changes them
        env={"OPENAI_BASE_URL": "{base_url}"}, env_defaults={"OPENAI_API_KEY": "{api_key}"}
    )
    mock = MockFiles(profile)
    assert mock.client_env() == {"OPENAI_BASE_URL": mock.base_url}
    profile.env["EXTRA_URL"] = "{root_url}/extra"  # type: ignore[index]
    profile.env_defaults["EXTRA_KEY"] = "{api_key}"  # type: ignore[index]
    assert mock.client_env()["EXTRA_URL"] == f"{mock.root_url}/extra"
    assert mock.client_env_defaults()["EXTRA_KEY"] == mock.api_key
    mock.base_url = "http://elsewhere.local/v1"
    assert mock.client_env()["OPENAI_BASE_URL"] == "http://elsewhere.local/v1"
