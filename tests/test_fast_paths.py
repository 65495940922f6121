"""The hot path's shortcuts: each must be taken, and must give what the public path gives.

A shortcut that relies on a library's private attributes has a public fallback; these
tests fail if the shortcut silently stops being taken (e.g. after a library upgrade).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from mockfiles import MockFiles
from mockfiles import transport as transport_module
from mockfiles.mock import openai_http_library
from mockfiles.transport import installed_libraries

LIBRARIES = installed_libraries()


@pytest.mark.parametrize("library", LIBRARIES)
def test_quick_response_build_applies_to_each_installed_library(library: str) -> None:
    module = importlib.import_module(library)
    assert transport_module._quick_build_applies(module), (
        f"{library} {module.__version__}: a response built the quick way no longer matches "
        "the public constructor's; the transport is falling back to the slow path"
    )


@pytest.mark.parametrize("library", LIBRARIES)
def test_quick_response_is_the_public_response(library: str) -> None:
    module = importlib.import_module(library)
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    before = transport_module.QUICK_BUILDS[0]
    request = module.Request(
        "GET",
        f"{mock.base_url}/files/{stored.id}",
        headers={"authorization": f"Bearer {mock.api_key}"},
    )
    quick = mock.transport(library).handle_request(request)  # type: ignore[arg-type]
    assert transport_module.QUICK_BUILDS[0] == before + 1
    public = module.Response(
        quick.status_code, headers=quick.headers.raw, content=quick.content, request=request
    )
    assert _comparable(quick) == _comparable(public)
    assert quick.json()["id"] == stored.id
    assert quick.text == public.text
    assert quick.num_bytes_downloaded == public.num_bytes_downloaded


def _comparable(response: Any) -> dict[str, Any]:
    state = transport_module._state(response)
    state.pop("_elapsed", None)  # set by the client when it closes the stream
    state["stream"] = state["stream"][1]
    return state


def test_sdk_calls_take_the_quick_build() -> None:
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    before = transport_module.QUICK_BUILDS[0]
    client = mock.openai_client()
    assert client.files.retrieve(stored.id).id == stored.id
    assert client.files.list().data[0].id == stored.id
    assert transport_module.QUICK_BUILDS[0] == before + 2, openai_http_library()


async def test_async_sdk_calls_take_the_quick_build() -> None:
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    before = transport_module.QUICK_BUILDS[0]
    client = mock.async_openai_client()
    assert (await client.files.retrieve(stored.id)).id == stored.id
    assert transport_module.QUICK_BUILDS[0] == before + 1


def test_content_encoded_or_unsized_answers_take_the_public_build() -> None:
    module = importlib.import_module(openai_http_library())
    request = module.Request("GET", "http://mockfiles.local/")
    before = transport_module.QUICK_BUILDS[0]
    for headers in (
        [(b"content-type", b"text/plain")],
        [(b"content-length", b"3"), (b"content-encoding", b"identity")],
        [(b"content-length", b"4")],
    ):
        response = transport_module.build_response(module, 200, headers, b"abc", request)
        public = module.Response(200, headers=headers, content=b"abc", request=request)
        assert _comparable(response) == _comparable(public)
    assert transport_module.QUICK_BUILDS[0] == before
