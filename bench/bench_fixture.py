"""A suite of 1,000 trivial tests with and without the ``mockfiles`` fixture.

Prints the ratio of wall times and the fixture's cost per test.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 1_000


EMPTY_FIXTURE = "import pytest\n\n@pytest.fixture\ndef empty():\n    yield None\n\n"


def write_suite(directory: Path, fixture: str) -> Path:
    prelude = EMPTY_FIXTURE if fixture == "empty" else ""
    body = "\n".join(f"def test_{i}({fixture}):\n    pass\n" for i in range(TESTS))
    path = directory / f"test_with_{fixture or 'nothing'}.py"
    path.write_text(prelude + body)
    return path


def run(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        check=True,
        capture_output=True,
        cwd=path.parent,
    )
    return time.perf_counter() - start


def main(rounds: int = 5) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "pytest.ini").write_text("[pytest]\n")
        suites = {
            "without fixture (floor)": write_suite(directory, ""),
            "with an empty yield fixture": write_suite(directory, "empty"),
            "with mockfiles fixture": write_suite(directory, "mockfiles"),
        }
        samples: dict[str, list[float]] = {name: [] for name in suites}
        for _ in range(rounds):
            for name, path in suites.items():
                samples[name].append(run(path))
    floor = statistics.median(samples["without fixture (floor)"])
    print(f"\n{TESTS} trivial tests, pytest wall time (median of {rounds})")
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"  {name:<30} {median:6.2f} s   ratio {median / floor:4.2f}"
            f"   (+{(median - floor) / TESTS * 1e6:.0f} us per test)"
        )
    return True


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
