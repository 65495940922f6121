"""Cost of a list page (limit 100, after) and a retrieve with 100,000 files vs 1,000.

Target: each ratio <= 1.5.
"""

from __future__ import annotations

from mockfiles import MockFiles

from .common import interleaved, report


def seeded(count: int) -> tuple[MockFiles, list[str]]:
    mock = MockFiles(seed=1)
    ids = [
        mock.add_file(b"{}\n", purpose="batch_output", created_at=1_700_000_000 + i // 7).id
        for i in range(count)
    ]
    return mock, ids


def main(rounds: int = 15, repeat: int = 100) -> bool:
    small, small_ids = seeded(1_000)
    large, large_ids = seeded(100_000)
    small_client, large_client = small.openai_client(), large.openai_client()
    # a cursor in the middle of each store
    small_after, large_after = small_ids[len(small_ids) // 2], large_ids[len(large_ids) // 2]
    small_target, large_target = small_ids[123], large_ids[76_543]
    assert len(large_client.files.list(limit=100, after=large_after).data) == 100
    list_ok = report(
        "list page (limit=100, after=<middle>)",
        interleaved(
            {
                "1,000 files (floor)": lambda: small_client.files.list(
                    limit=100, after=small_after
                ),
                "100,000 files": lambda: large_client.files.list(limit=100, after=large_after),
            },
            rounds,
            repeat // 10,
        ),
        "1,000 files (floor)",
        1.5,
    )
    retrieve_ok = report(
        "retrieve",
        interleaved(
            {
                "1,000 files (floor)": lambda: small_client.files.retrieve(small_target),
                "100,000 files": lambda: large_client.files.retrieve(large_target),
            },
            rounds,
            repeat,
        ),
        "1,000 files (floor)",
        1.5,
    )
    return list_ok and retrieve_ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
