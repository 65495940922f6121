"""The `azure` profile, through openai.AzureOpenAI as users build it."""

from __future__ import annotations

import os

import httpx
import openai
import pytest

from mockfiles import MockFiles

from .conftest import BATCH_LINE

pytestmark = pytest.mark.mockfiles(profile="azure")


def test_azure_client_from_environment(mockfiles: MockFiles) -> None:
    assert os.environ["AZURE_OPENAI_ENDPOINT"] == "http://mockfiles.local"
    client = openai.AzureOpenAI()  # endpoint, key and api version all from the environment
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    assert created.id.startswith("file-") and len(created.id) == 37
    assert [f.id for f in client.files.list()] == [created.id]
    assert client.files.content(created.id).read() == BATCH_LINE
    assert client.files.delete(created.id).deleted is True
    call = mockfiles.calls.last
    assert call.path == "/openai/files/" + created.id
    assert call.query["api-version"] == os.environ["OPENAI_API_VERSION"]
    assert call.request_headers["api-key"]


async def test_async_azure_client(mockfiles: MockFiles) -> None:
    client = openai.AsyncAzureOpenAI()
    created = await client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    assert (await client.files.retrieve(created.id)).status == "processed"


def test_entra_token_as_bearer(mockfiles: MockFiles) -> None:
    client = openai.AzureOpenAI(azure_ad_token="entra-token", api_key=None)
    client.files.list()
    headers = mockfiles.calls.last.request_headers
    assert headers["authorization"] == "Bearer entra-token" and "api-key" not in headers


def test_helper_builds_an_azure_client(mockfiles: MockFiles) -> None:
    client = mockfiles.openai_client()
    assert isinstance(client, openai.AzureOpenAI)
    assert client.files.create(file=("a.pdf", b"%PDF"), purpose="assistants").filename == "a.pdf"


def test_missing_api_version_names_it(mockfiles: MockFiles) -> None:
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers={"api-key": "k"})
    response = http.get(f"{mockfiles.base_url}/files")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "api-version" and "api-version" in error["message"]
    assert error["code"] == "MissingApiVersionParameter"
    assert http.get(f"{mockfiles.base_url}/files?api-version=2024-10-21").status_code == 200


def test_no_key_is_401(mockfiles: MockFiles) -> None:
    http = httpx.Client(transport=mockfiles.transport("httpx"))
    response = http.get(f"{mockfiles.base_url}/files?api-version=2024-10-21")
    assert response.status_code == 401
    assert "api-key" in response.json()["error"]["message"]


def test_openai_paths_are_not_azure_paths(mockfiles: MockFiles) -> None:
    http = httpx.Client(transport=mockfiles.transport("httpx"), headers={"api-key": "k"})
    response = http.get("http://mockfiles.local/v1/files?api-version=2024-10-21")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (GET /v1/files)"
