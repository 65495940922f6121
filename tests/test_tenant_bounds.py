"""A tenant with nothing left costs nothing: many distinct API keys that each leave no
file and no pending Upload leave no per-tenant record behind, a returning key behaves as
before, and pending Uploads per tenant are capped (``upload_max_pending``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockfiles import MockFiles

LINE = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


def _auth(mock: MockFiles, key: str) -> dict[str, str]:
    if mock.profile.auth_scheme == "bearer":
        return {"Authorization": f"Bearer {key}"}
    return {"api-key": key}


@pytest.fixture
def mock() -> MockFiles:
    return MockFiles(journal_calls=50)


@pytest.fixture
def http(mock: MockFiles) -> Iterator[httpx.Client]:
    with httpx.Client(transport=mock.transport("httpx"), base_url=mock.base_url) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_many_keys_that_leave_nothing_leave_no_tenant_record(
    mock: MockFiles, http: httpx.Client
) -> None:
    kept = mock.add_file(b"mine", filename="mine.txt", purpose="user_data")
    tenants_before = mock.store.tenants()
    assert tenants_before == [kept.tenant]
    for n in range(300):
        key = _auth(mock, f"sk-visitor-{n}")
        # a file uploaded and deleted
        created = _ok(
            http.post(
                "/files", headers=key, data={"purpose": "batch"}, files={"file": ("a.jsonl", LINE)}
            )
        )
        assert _ok(http.get("/files", headers=key))["data"][0]["id"] == created["id"]
        assert _ok(http.delete(f"/files/{created['id']}", headers=key))["deleted"] is True
        # an Upload cancelled, and one completed into a file that is then deleted
        spec = {"filename": "u.jsonl", "purpose": "batch", "bytes": len(LINE)}
        cancelled = _ok(http.post("/uploads", headers=key, json={**spec, "mime_type": "text/x"}))
        _ok(http.post(f"/uploads/{cancelled['id']}/cancel", headers=key))
        upload = _ok(http.post("/uploads", headers=key, json={**spec, "mime_type": "text/x"}))
        part = _ok(http.post(f"/uploads/{upload['id']}/parts", headers=key, files={"data": LINE}))
        done = _ok(
            http.post(
                f"/uploads/{upload['id']}/complete", headers=key, json={"part_ids": [part["id"]]}
            )
        )
        _ok(http.delete(f"/files/{done['file']['id']}", headers=key))
    assert mock.store.tenants() == tenants_before
    assert mock.backend.uploads.pending_by_tenant() == {}
    assert mock.backend.uploads.held_bytes() == 0
    assert [f.id for f in mock.stored_files()] == [kept.id]


def test_expired_files_and_uploads_leave_no_tenant_record(
    mock: MockFiles, http: httpx.Client
) -> None:
    for n in range(50):
        key = _auth(mock, f"sk-expiring-{n}")
        _ok(
            http.post(
                "/files",
                headers=key,
                data={"purpose": "user_data", "expires_after[anchor]": "created_at"}
                | {"expires_after[seconds]": "3600"},
                files={"file": ("a.txt", b"x")},
            )
        )
        spec = {"filename": "u.txt", "purpose": "user_data", "bytes": 1, "mime_type": "text/x"}
        _ok(http.post("/uploads", headers=key, json=spec))
    assert len(mock.store.tenants()) == 50
    assert len(mock.backend.uploads.pending_by_tenant()) == 50
    mock.clock.advance(3601)
    assert _ok(http.get("/files", headers=_auth(mock, "sk-expiring-0")))["data"] == []
    assert mock.store.tenants() == []
    assert mock.backend.uploads.pending_by_tenant() == {}


@pytest.mark.parametrize("profile", ["openai", "azure"])
def test_a_returning_key_behaves_as_before(profile: str) -> None:
    mock = MockFiles(profile, storage_quota_bytes=10)
    with mock.openai_client(max_retries=0) as client:
        first = client.files.create(file=("a.txt", b"12345"), purpose="user_data")
        second = client.files.create(file=("b.txt", b"67890"), purpose="user_data")
        with pytest.raises(openai.BadRequestError):  # the quota is full
            client.files.create(file=("c.txt", b"x"), purpose="user_data")
        client.files.delete(first.id)
        client.files.delete(second.id)
        assert mock.store.tenants() == []
        assert client.files.list().data == []
        # a cursor naming a removed file still pages from where it stood
        assert client.files.list(after=second.id).data == []
        mock.clock.advance(5)
        third = client.files.create(file=("c.txt", b"1234567890"), purpose="user_data")
        assert [f.id for f in client.files.list(after=first.id, order="asc")] == [third.id]
        assert [f.id for f in client.files.list(after=second.id)] == []
        with pytest.raises(openai.BadRequestError):  # the whole quota is free again, no more
            client.files.create(file=("d.txt", b"x"), purpose="user_data")
        other = mock.openai_client(max_retries=0, api_key="sk-someone-else")
        with pytest.raises(openai.BadRequestError) as unknown:  # not their cursor
            other.files.list(after=first.id)
        assert unknown.value.body["param"] == "after"  # type: ignore[index]
        other.close()


def _create_upload(client: openai.OpenAI) -> Any:
    return client.uploads.create(
        filename="u.jsonl", purpose="batch", bytes=len(LINE), mime_type="text/jsonl"
    )


@pytest.mark.parametrize("profile", ["openai", "azure"])
def test_pending_uploads_per_tenant_are_capped(profile: str) -> None:
    mock = MockFiles(profile, upload_max_pending=3)
    with mock.openai_client(max_retries=0) as client:
        pending = [_create_upload(client) for _ in range(3)]
        with pytest.raises(openai.BadRequestError) as refused:
            _create_upload(client)
        error = refused.value.body
        assert isinstance(error, dict) and error["type"] == "invalid_request_error"
        assert "Too many pending Uploads" in error["message"] and " 3 " in error["message"]
        assert len(mock.backend.uploads.uploads()) == 3  # nothing was created
        # another key is not affected
        with mock.openai_client(max_retries=0, api_key="sk-other") as other:
            _create_upload(other)
        # cancelling, completing and expiring each free a place
        client.uploads.cancel(pending[0].id)
        replacement = _create_upload(client)
        part = client.uploads.parts.create(upload_id=pending[1].id, data=LINE)
        client.uploads.complete(upload_id=pending[1].id, part_ids=[part.id])
        _create_upload(client)
        with pytest.raises(openai.BadRequestError):
            _create_upload(client)
        mock.clock.advance(mock.profile.upload_expiry_seconds)
        assert [_create_upload(client).status for _ in range(3)] == ["pending"] * 3
        with pytest.raises(openai.BadRequestError, match="expired"):
            client.uploads.cancel(replacement.id)


def test_the_default_cap_is_one_thousand(mock: MockFiles, http: httpx.Client) -> None:
    assert mock.profile.upload_max_pending == 1000
    key = _auth(mock, "sk-busy")
    spec = {"filename": "u.txt", "purpose": "user_data", "bytes": 1, "mime_type": "text/x"}
    for _ in range(1000):
        _ok(http.post("/uploads", headers=key, json=spec))
    refused = http.post("/uploads", headers=key, json=spec)
    assert refused.status_code == 400
    assert "already has 1000 pending Uploads" in refused.json()["error"]["message"]
    busy = mock.authenticator.tenant_for("sk-busy")
    assert mock.backend.uploads.pending_by_tenant() == {busy: 1000}
