"""Listing: order, limit, purpose filter and exact cursor paging."""

from __future__ import annotations

import httpx
import openai
import pytest

from mockfiles import MockFiles


def seed(
    mock: MockFiles, count: int, *, created_at: int | None = None, purpose: str = "batch_output"
) -> list[str]:
    return [
        mock.add_file(f"{i}".encode(), purpose=purpose, created_at=created_at).id
        for i in range(count)
    ]


def test_default_order_is_newest_first(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    old = mockfiles.add_file(b"a", created_at=1_700_000_000).id
    new = mockfiles.add_file(b"b", created_at=1_700_000_100).id
    assert [f.id for f in client.files.list()] == [new, old]
    assert [f.id for f in client.files.list(order="asc")] == [old, new]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_paging_is_exact_when_all_share_one_second(
    client: openai.OpenAI, mockfiles: MockFiles, order: str
) -> None:
    ids = seed(mockfiles, 257, created_at=1_700_000_000)
    expected = ids if order == "asc" else ids[::-1]
    pages = client.files.list(limit=10, order=order)  # type: ignore[arg-type]
    seen = [f.id for f in pages]  # the SDK's auto-paging follows `after`
    assert seen == expected
    assert len(mockfiles.calls.filter("GET", "/v1/files")) == 26


def test_page_fields(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    ids = seed(mockfiles, 5)
    raw = client.files.with_raw_response.list(limit=2, order="asc").http_response.json()
    assert raw["object"] == "list"
    assert [f["id"] for f in raw["data"]] == ids[:2]
    assert (raw["first_id"], raw["last_id"], raw["has_more"]) == (ids[0], ids[1], True)
    last = client.files.with_raw_response.list(
        limit=2, order="asc", after=ids[3]
    ).http_response.json()
    assert [f["id"] for f in last["data"]] == [ids[4]]
    assert last["has_more"] is False


def test_empty_page_has_null_ids(client: openai.OpenAI) -> None:
    raw = client.files.with_raw_response.list().http_response.json()
    assert raw == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_purpose_filter_pages_within_purpose(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    outputs = seed(mockfiles, 7, purpose="batch_output")
    seed(mockfiles, 7, purpose="fine-tune-results")
    listed = [f.id for f in client.files.list(purpose="batch_output", limit=3, order="asc")]
    assert listed == outputs


def test_cursor_survives_deletion_of_its_file(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    ids = seed(mockfiles, 6, created_at=1_700_000_000)
    first = client.files.list(limit=3, order="asc")
    assert [f.id for f in first.data] == ids[:3]
    client.files.delete(ids[2])
    rest = client.files.list(limit=3, order="asc", after=ids[2])
    assert [f.id for f in rest.data] == ids[3:]


def test_unknown_cursor_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.list(after="file-neverexisted")
    assert caught.value.param == "after"
    assert "file-neverexisted" in caught.value.message


@pytest.mark.parametrize(
    ("query", "param", "fragment"),
    [
        ("limit=0", "limit", "Expected a value >= 1, but got 0 instead."),
        ("limit=10001", "limit", "Expected a value <= 10000, but got 10001 instead."),
        ("limit=ten", "limit", "expected an integer, but got 'ten'"),
        ("limit=-5", "limit", "but got -5 instead"),
        ("order=sideways", "order", "Supported values are: 'asc' and 'desc'."),
    ],
)
def test_bad_list_parameters(mockfiles: MockFiles, query: str, param: str, fragment: str) -> None:
    http = httpx.Client(
        transport=mockfiles.transport("httpx"), headers={"Authorization": "Bearer k"}
    )
    response = http.get(f"{mockfiles.base_url}/files?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert fragment in error["message"]


def test_limit_default_and_bounds(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    seed(mockfiles, 12)
    assert len(client.files.list().data) == 12
    assert len(client.files.list(limit=10_000).data) == 12
    assert len(client.files.list(limit=1).data) == 1
