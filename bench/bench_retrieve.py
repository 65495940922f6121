"""client.files.retrieve() through the mock in-process vs a canned-response transport.

Target: ratio <= 1.25, sync and async.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai

from mockfiles import MockFiles

from .common import http_module, interleaved, report


def canned_transports(body: bytes) -> tuple[Any, Any]:
    module = http_module()
    headers = [(b"content-type", b"application/json"), (b"x-request-id", b"req_canned")]

    class Canned(module.BaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: Any) -> Any:
            return module.Response(200, headers=headers, content=body, request=request)

    class AsyncCanned(module.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        async def handle_async_request(self, request: Any) -> Any:
            return module.Response(200, headers=headers, content=body, request=request)

    return Canned(), AsyncCanned()


def main(rounds: int = 15, repeat: int = 300) -> bool:
    module = http_module()
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    body = mock.openai_client().files.with_raw_response.retrieve(stored.id).http_response.content
    assert json.loads(body)["id"] == stored.id
    canned, async_canned = canned_transports(body)
    floor_client = openai.OpenAI(
        api_key="k", base_url=mock.base_url, http_client=module.Client(transport=canned)
    )
    mock_client = mock.openai_client()
    sync_ok = report(
        f"sync retrieve ({module.__name__})",
        interleaved(
            {
                "canned transport (floor)": lambda: floor_client.files.retrieve(stored.id),
                "mockfiles in-process": lambda: mock_client.files.retrieve(stored.id),
            },
            rounds,
            repeat,
        ),
        "canned transport (floor)",
        1.25,
    )

    async def async_bench() -> bool:
        floor_async = openai.AsyncOpenAI(
            api_key="k",
            base_url=mock.base_url,
            http_client=module.AsyncClient(transport=async_canned),
        )
        mock_async = mock.async_openai_client()
        loop = asyncio.get_running_loop()
        medians: dict[str, list[float]] = {
            "canned transport (floor)": [],
            "mockfiles in-process": [],
        }
        clients = {"canned transport (floor)": floor_async, "mockfiles in-process": mock_async}
        for client in clients.values():
            await client.files.retrieve(stored.id)
        for _ in range(rounds):
            for name, client in clients.items():
                start = loop.time()
                for _ in range(repeat):
                    await client.files.retrieve(stored.id)
                medians[name].append((loop.time() - start) / repeat)
        import statistics

        return report(
            f"async retrieve ({module.__name__})",
            {name: statistics.median(v) for name, v in medians.items()},
            "canned transport (floor)",
            1.25,
        )

    async_ok = asyncio.run(async_bench())
    return sync_ok and async_ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
