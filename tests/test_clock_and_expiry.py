"""The clock follows time.time() (freezegun, time-machine) and drives expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import openai
import pytest
import time_machine
from freezegun import freeze_time

from mockfiles import Clock, MockFiles

from .conftest import BATCH_LINE

DAY = 86_400


def test_clock_follows_real_time_plus_offset() -> None:
    clock = Clock()
    assert abs(clock.now() - time.time()) < 0.5
    clock.advance(3600)
    assert abs(clock.now() - time.time() - 3600) < 0.5
    clock.set(1_000_000_000)
    assert abs(clock.now() - 1_000_000_000) < 0.5
    clock.follow_real_time()
    assert abs(clock.now() - time.time()) < 0.5


def test_clock_under_freezegun() -> None:
    clock = Clock()
    with freeze_time("2030-01-01 00:00:00") as frozen:
        assert clock.now() == 1_893_456_000
        frozen.tick(90)
        assert clock.now() == 1_893_456_090
        clock.advance(10)
        assert clock.now() == 1_893_456_100


def test_clock_under_time_machine() -> None:
    clock = Clock()
    with time_machine.travel(1_893_456_000, tick=False) as traveller:
        assert clock.now() == 1_893_456_000
        traveller.shift(90)
        assert clock.now() == 1_893_456_090


def test_batch_files_expire_after_30_days(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    other = client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    assert created.expires_at == created.created_at + 30 * DAY
    assert other.expires_at is None
    mockfiles.clock.advance(30 * DAY - 5)
    assert client.files.retrieve(created.id).id == created.id
    mockfiles.clock.advance(10)
    for call in (client.files.retrieve, client.files.content, client.files.delete):
        with pytest.raises(openai.NotFoundError) as caught:
            call(created.id)
        assert caught.value.body["message"] == f"No such File object: {created.id}"  # type: ignore[index]
    assert [f.id for f in client.files.list()] == [other.id]
    assert [f.id for f in mockfiles.stored_files()] == [other.id]
    assert mockfiles.store.used_bytes(mockfiles.get_file(other.id).tenant) == other.bytes


def test_expires_after_policy(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    created = client.files.create(
        file=("doc.txt", b"hello"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert created.expires_at == created.created_at + 3600
    call = mockfiles.calls.last
    assert call.form == {
        "purpose": "user_data",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": "3600",
    }
    mockfiles.clock.advance(3601)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_expiry_with_freezegun(client: openai.OpenAI) -> None:
    with freeze_time("2031-05-01 12:00:00") as frozen:
        created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
        assert created.created_at == int(datetime(2031, 5, 1, 12, tzinfo=UTC).timestamp())
        frozen.tick(30 * DAY)
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(created.id)


def test_expiry_with_time_machine(client: openai.OpenAI) -> None:
    with time_machine.travel(1_935_489_600, tick=False) as traveller:
        created = client.files.create(
            file=("a.txt", b"x"),
            purpose="assistants",
            expires_after={"anchor": "created_at", "seconds": 7200},
        )
        traveller.shift(7199)
        assert client.files.retrieve(created.id).expires_at == 1_935_489_600 + 7200
        traveller.shift(1)
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(created.id)


def test_expired_file_stays_gone_when_clock_goes_back(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    created = client.files.create(file=("in.jsonl", BATCH_LINE), purpose="batch")
    mockfiles.clock.advance(31 * DAY)
    assert list(client.files.list()) == []
    mockfiles.clock.follow_real_time()
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


@pytest.mark.mockfiles(processing_seconds=0.3)
def test_wait_for_processing(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    created = client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    assert created.status == "uploaded"
    done = client.files.wait_for_processing(created.id, poll_interval=0.05)
    assert done.status == "processed"
    assert len(mockfiles.calls.filter("GET", f"/v1/files/{created.id}")) >= 3


@pytest.mark.mockfiles(processing_seconds=600)
def test_processing_follows_the_mock_clock(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    created = client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    assert client.files.retrieve(created.id).status == "uploaded"
    mockfiles.clock.advance(600)
    assert client.files.retrieve(created.id).status == "processed"


@pytest.mark.mockfiles(processing_seconds=0.3)
async def test_async_wait_for_processing(aclient: openai.AsyncOpenAI) -> None:
    created = await aclient.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune")
    done = await aclient.files.wait_for_processing(created.id, poll_interval=0.05)
    assert done.status == "processed"
