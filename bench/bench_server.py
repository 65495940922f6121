"""Server GET /v1/files/{id} requests per second on loopback vs a bare uvicorn+Starlette
endpoint returning the same JSON, same load tool, same run (target ratio >= 0.6).

Also times starting and stopping the threaded server (what ``mockfiles_server`` costs
once per session). Uses ``wrk`` when installed (``apt-get install wrk``), else a
keep-alive Python client on threads.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockfiles import MockFiles
from mockfiles.server import ThreadedServer

DURATION = 3
CONNECTIONS = 16


def bare_app(body: bytes) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/v1/files/{file_id}", endpoint)])


def wrk_rps(url: str) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{int(DURATION)}s",
            "-H",
            "Authorization: Bearer k",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def python_rps(url: str) -> float:
    host_port, path = url.removeprefix("http://").split("/", 1)
    host, port = host_port.split(":")
    count = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + DURATION

    def worker() -> None:
        nonlocal count
        conn = http.client.HTTPConnection(host, int(port))
        done = 0
        while time.perf_counter() < deadline:
            conn.request("GET", "/" + path, headers={"Authorization": "Bearer k"})
            conn.getresponse().read()
            done += 1
        with lock:
            count += done

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / DURATION


def main(rounds: int = 3) -> bool:
    load = wrk_rps if shutil.which("wrk") else python_rps
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    body = mock.openai_client().files.with_raw_response.retrieve(stored.id).http_response.content
    rates: dict[str, list[float]] = {"bare uvicorn+Starlette (floor)": [], "mockfiles serve": []}
    with ThreadedServer(bare_app(body)) as bare, ThreadedServer(mock) as served:
        urls = {
            "bare uvicorn+Starlette (floor)": f"{bare.root_url}/v1/files/{stored.id}",
            "mockfiles serve": f"{served.base_url}/files/{stored.id}",
        }
        for _ in range(rounds):
            for name, url in urls.items():
                mock.journal.clear()
                rates[name].append(load(url))
    floor = statistics.median(rates["bare uvicorn+Starlette (floor)"])
    ours = statistics.median(rates["mockfiles serve"])
    ratio = ours / floor
    print(
        f"\nserver GET /v1/files/{{id}} on loopback ({load.__name__.split('_')[0]}, "
        f"{CONNECTIONS if load is wrk_rps else 4} connections, median of {rounds})"
    )
    print(f"  bare uvicorn+Starlette (floor)  {floor:8.0f} req/s   ratio 1.00")
    verdict = "ok" if ratio >= 0.6 else "UNDER target 0.6"
    print(f"  mockfiles serve                 {ours:8.0f} req/s   ratio {ratio:.2f}  {verdict}")

    starts: list[float] = []
    stops: list[float] = []
    for _ in range(10):
        server = ThreadedServer(MockFiles())
        began = time.perf_counter()
        server.start()
        started = time.perf_counter()
        server.stop()
        starts.append(started - began)
        stops.append(time.perf_counter() - started)
    print(
        f"  threaded server start {statistics.median(starts) * 1e3:.1f} ms, "
        f"stop {statistics.median(stops) * 1e3:.1f} ms (median of 10)"
    )
    return ratio >= 0.6


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
