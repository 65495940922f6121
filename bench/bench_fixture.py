"""The ``mockfiles`` fixture's cost per test, against an empty yield fixture and none.

One pytest run holds tests of the three kinds interleaved (``test_floor_N``,
``test_empty_N``, ``test_mockfiles_N``, each ``pass``), and a hook times each test's
whole protocol (setup, call, teardown, report). Interleaving puts the machine's noise on
all three alike; the figure per kind is the median test of the run, and the best of a
few runs is kept. Aim: the mockfiles fixture within 60 us per test of the empty fixture.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = 1_000
AIM_US = 60
KINDS = ("floor", "empty", "mockfiles")

CONFTEST = """
import json, time, pytest

durations = {"floor": [], "empty": [], "mockfiles": []}


@pytest.fixture
def empty():
    yield None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    yield
    durations[item.name.split("_")[1]].append(time.perf_counter() - start)


def pytest_sessionfinish(session):
    with open("durations.json", "w") as out:
        json.dump(durations, out)
"""


def write_suite(directory: Path) -> Path:
    (directory / "pytest.ini").write_text("[pytest]\n")
    (directory / "conftest.py").write_text(CONFTEST)
    tests = []
    for i in range(TESTS):
        tests.append(f"def test_floor_{i}():\n    pass\n")
        tests.append(f"def test_empty_{i}(empty):\n    pass\n")
        tests.append(f"def test_mockfiles_{i}(mockfiles):\n    pass\n")
    path = directory / "test_suite.py"
    path.write_text("\n".join(tests))
    return path


def run(path: Path) -> dict[str, float]:
    """Median seconds per test of each kind in one pytest run."""
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        check=True,
        capture_output=True,
        cwd=path.parent,
    )
    durations = json.loads((path.parent / "durations.json").read_text())
    return {kind: statistics.median(durations[kind]) for kind in KINDS}


def main(rounds: int = 3) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_suite(Path(tmp))
        runs = [run(path) for _ in range(rounds)]
    best = min(runs, key=lambda medians: medians["mockfiles"] - medians["empty"])
    worst = max(runs, key=lambda medians: medians["mockfiles"] - medians["empty"])
    print(
        f"\nper-test cost, median of {TESTS} tests of each kind interleaved in one pytest run "
        f"(best of {rounds} runs)"
    )
    for kind in KINDS:
        print(f"  {kind:<10} {best[kind] * 1e6:7.0f} us per test")
    over = (best["mockfiles"] - best["empty"]) * 1e6
    spread = (worst["mockfiles"] - worst["empty"]) * 1e6
    verdict = "ok" if over <= AIM_US else f"OVER aim {AIM_US} us"
    print(
        f"  mockfiles fixture over an empty fixture: {over:.0f} us per test  {verdict}"
        f"  (worst run: {spread:.0f} us)"
    )
    return True


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
