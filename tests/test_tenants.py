"""Files belong to the API key (and OpenAI-Project) that created them."""

from __future__ import annotations

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.auth import tenant_label

from .conftest import BATCH_LINE


def test_another_key_never_sees_a_file(mockfiles: MockFiles) -> None:
    alice = openai.OpenAI(api_key="sk-alice", max_retries=0)
    bob = openai.OpenAI(api_key="sk-bob", max_retries=0)
    created = alice.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    for call in (bob.files.retrieve, bob.files.content, bob.files.delete):
        with pytest.raises(openai.NotFoundError) as caught:
            call(created.id)
        assert caught.value.body["message"] == f"No such File object: {created.id}"  # type: ignore[index]
    assert list(bob.files.list()) == []
    with pytest.raises(openai.BadRequestError):
        bob.files.list(after=created.id)  # not even a cursor leaks
    assert [f.id for f in alice.files.list()] == [created.id]
    assert alice.files.content(created.id).read() == BATCH_LINE
    assert [f.id for f in mockfiles.stored_files(api_key="sk-alice")] == [created.id]
    assert mockfiles.stored_files(api_key="sk-bob") == []


def test_projects_separate_files_of_one_key(mockfiles: MockFiles) -> None:
    first = openai.OpenAI(api_key="sk-org", project="proj_a", max_retries=0)
    second = openai.OpenAI(api_key="sk-org", project="proj_b", max_retries=0)
    created = first.files.create(file=("a.txt", b"a"), purpose="user_data")
    with pytest.raises(openai.NotFoundError):
        second.files.retrieve(created.id)
    assert first.files.retrieve(created.id).id == created.id


@pytest.mark.mockfiles(storage_quota_bytes=10)
def test_quotas_count_per_tenant(mockfiles: MockFiles) -> None:
    alice = openai.OpenAI(api_key="sk-alice", max_retries=0)
    bob = openai.OpenAI(api_key="sk-bob", max_retries=0)
    alice.files.create(file=("a.jsonl", b"x" * 10), purpose="batch")
    with pytest.raises(openai.BadRequestError) as caught:
        alice.files.create(file=("b.jsonl", b"x"), purpose="batch")
    assert caught.value.code == "quota_exceeded"
    assert bob.files.create(file=("b.jsonl", b"x" * 10), purpose="batch").bytes == 10


def test_seeded_files_belong_to_the_environment_key(mockfiles: MockFiles) -> None:
    seeded = mockfiles.add_file(b"out", purpose="batch_output")
    assert openai.OpenAI().files.retrieve(seeded.id).id == seeded.id
    with pytest.raises(openai.NotFoundError):
        openai.OpenAI(api_key="sk-someone-else", max_retries=0).files.retrieve(seeded.id)
    theirs = mockfiles.add_file(b"x", purpose="batch_output", api_key="sk-someone-else")
    other = openai.OpenAI(api_key="sk-someone-else")
    assert [f.id for f in other.files.list()] == [theirs.id]


def test_environment_key_is_adopted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")
    mock = MockFiles()
    with mock.patch():
        seeded = mock.add_file(b"x", purpose="batch_output")
        assert [f.id for f in openai.OpenAI().files.list()] == [seeded.id]
    assert seeded.tenant == tenant_label("sk-from-env", "proj_env")


def test_shared_tenant_when_isolation_is_off() -> None:
    mock = MockFiles(isolate_tenants=False)
    created = mock.openai_client(api_key="sk-a").files.create(file=b"x", purpose="user_data")
    assert mock.openai_client(api_key="sk-b").files.retrieve(created.id).id == created.id
