"""Issue 10, item 3: what a long-running mock keeps is bounded.

The journal keeps metadata always and bodies within its budget; refused uploads keep
no body; it keeps at most ``journal_calls`` events; deleted and expired files' bytes are
released; the store forgets the oldest cursor positions.
"""

from __future__ import annotations

import gc
import hashlib
import json
import tracemalloc

import httpx
import pytest

from mockfiles import MockFiles
from mockfiles import store as store_module
from mockfiles.blobs import Blob
from mockfiles.journal import REFUSED_BODY_KEPT_BYTES, BodyDropped
from mockfiles.scenario import BODIES_DROPPED, replay
from mockfiles.server import ThreadedServer
from mockfiles.store import StoredFile, UnknownCursor

KEY = {"Authorization": "Bearer sk-mem"}


def _upload(http: httpx.Client, content: bytes, **fields: str) -> httpx.Response:
    return http.post(
        "/v1/files",
        headers=KEY,
        data={"purpose": "batch", **fields},
        files={"file": ("in.jsonl", content)},
    )


def _line(size: int) -> bytes:
    return b'{"pad": "' + b"x" * (size - 12) + b'"}\n'


def test_journal_keeps_bodies_within_its_budget() -> None:
    # Five uploads' metadata (~3.1 KB each, response headers included) and the newest
    # one's bodies fit; the older bodies do not.
    budget = 21_000
    mock = MockFiles(journal_bytes=budget)
    contents = [_line(4000) for _ in range(5)]
    with httpx.Client(transport=mock.transport("httpx"), base_url=mock.root_url) as http:
        for content in contents:
            assert _upload(http, content).status_code == 200
    uploads = mock.calls.filter("POST", "/v1/files")
    assert len(uploads) == 5
    assert mock.journal.held_bytes <= budget
    assert mock.journal.dropped == 0  # metadata of every call is still there
    oldest, newest = uploads[0], uploads[-1]
    assert oldest.bodies_dropped and oldest.request_body == b""
    assert oldest.request_size > 4000
    assert oldest.form == {"purpose": "batch"}
    assert oldest.files[0].size == len(contents[0])
    assert oldest.files[0].sha256 == hashlib.sha256(contents[0]).hexdigest()
    with pytest.raises(BodyDropped, match="journal"):
        _ = oldest.files[0].content
    assert not newest.bodies_dropped
    assert newest.files[0].content == contents[-1]
    assert newest.response_json["object"] == "file"
    # a scenario says which steps lost their bodies
    steps = [s for s in mock.scenario()["steps"] if "request" in s]
    assert steps[0]["bodies_dropped"] is True and "bodies_dropped" not in steps[-1]


def test_refused_uploads_keep_no_large_body() -> None:
    mock = MockFiles(max_file_bytes=1000)
    with httpx.Client(transport=mock.transport("httpx"), base_url=mock.root_url) as http:
        assert _upload(http, _line(REFUSED_BODY_KEPT_BYTES + 1)).status_code == 413
        assert _upload(http, _line(500), purpose="nonsense").status_code == 400
    too_large, bad_purpose = mock.calls.filter("POST", "/v1/files")
    assert too_large.request_body == b"" and too_large.request_size > REFUSED_BODY_KEPT_BYTES
    assert too_large.response_json["error"]["message"]  # the answer is kept
    # a small refused form is kept, so a scenario replays the refusal as it happened
    assert len(bad_purpose.request_body) == bad_purpose.request_size
    assert bad_purpose.files[0].size == 500
    held = sum(call.meta + len(call.response_body) for call in mock.calls)
    assert mock.journal.held_bytes == held + bad_purpose.request_size
    first, second = replay(mock.scenario()).steps
    assert first.differences == [BODIES_DROPPED]  # said plainly, not as a false diff
    assert second.differences == []


def test_journal_drops_oldest_calls_when_metadata_alone_is_over_budget() -> None:
    mock = MockFiles(journal_bytes=10_000)
    with httpx.Client(transport=mock.transport("httpx"), base_url=mock.root_url) as http:
        for _ in range(50):
            assert http.get("/v1/files", headers=KEY).status_code == 200
    assert mock.journal.held_bytes <= 10_000
    assert 0 < len(mock.calls) < 50 and mock.journal.dropped == 50 - len(mock.calls)
    assert mock.calls.last.status == 200


def test_journal_keeps_at_most_journal_calls() -> None:
    mock = MockFiles(journal_calls=5)
    with ThreadedServer(mock) as server, httpx.Client(base_url=server.root_url) as http:
        for _ in range(8):
            assert http.get("/v1/files", headers=KEY).status_code == 200
        assert len(mock.calls) == 5
        assert mock.journal.dropped == 3
        streamed = http.get("/_mock/journal")
        assert streamed.status_code == 200
        document = streamed.json()
    assert document["dropped_events"] == 3
    assert len(document["steps"]) == 5
    expected = mock.scenario()
    assert {k: v for k, v in document.items() if k != "recorded_at"} == {
        k: v for k, v in expected.items() if k != "recorded_at"
    }


@pytest.mark.parametrize("how", ["delete", "expire"])
def test_removed_files_bytes_are_released(how: str) -> None:
    mock = MockFiles(journal_bytes=1024 * 1024)
    size = 16 * 1024 * 1024
    with httpx.Client(transport=mock.transport("httpx"), base_url=mock.root_url) as http:
        assert _upload(http, _line(100)).status_code == 200  # warm every code path
        tracemalloc.start()
        try:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            expiry = {"expires_after[anchor]": "created_at", "expires_after[seconds]": "3600"}
            created = _upload(http, _line(size), **expiry)
            assert created.status_code == 200
            file_id = created.json()["id"]
            del created
            gc.collect()
            holding = tracemalloc.get_traced_memory()[0]
            if how == "delete":
                assert http.delete(f"/v1/files/{file_id}", headers=KEY).status_code == 200
            else:
                mock.clock.advance(3601)
                assert http.get(f"/v1/files/{file_id}", headers=KEY).status_code == 404
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    assert holding - before > size  # the file was held while stored
    assert after - before < 2 * 1024 * 1024, (before, holding, after)


def test_old_cursor_positions_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "MAX_FORMER_KEYS", 10)
    store = store_module.Store()
    ids = [f"file-{n}" for n in range(30)]
    for n, file_id in enumerate(ids):
        record = StoredFile(file_id, "t", "a.jsonl", "batch", n, None, Blob.of(b"x"), None)
        assert store.add(record)
    for file_id in ids:
        store.remove("t", file_id)

    def page_after(file_id: str) -> object:
        return store.page("t", purpose=None, limit=5, order="asc", after=file_id)

    page_after(ids[-1])  # recent positions are kept
    page_after(ids[-10])
    with pytest.raises(UnknownCursor):
        page_after(ids[0])  # the oldest were forgotten


def test_journal_route_is_valid_json_with_binary_and_unicode() -> None:
    mock = MockFiles()
    mock.add_file(b"\xff\x00binary", filename="b\u00e9.bin", purpose="batch_output")
    with ThreadedServer(mock) as server, httpx.Client(base_url=server.root_url) as http:
        assert http.get("/v1/files", headers=KEY).status_code == 200
        document = json.loads(http.get("/_mock/journal").content)
    assert document["steps"][0]["seed"]["filename"] == "b\u00e9.bin"
    assert len(document["steps"]) == 2
