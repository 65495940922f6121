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


def write_suite(directory: Path, with_fixture: bool) -> Path:
    arg = "mockfiles" if with_fixture else ""
    body = "\n".join(f"def test_{i}({arg}):\n    pass\n" for i in range(TESTS))
    path = directory / ("test_with.py" if with_fixture else "test_without.py")
    path.write_text(body)
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
            "without fixture (floor)": write_suite(directory, False),
            "with mockfiles fixture": write_suite(directory, True),
        }
        samples: dict[str, list[float]] = {name: [] for name in suites}
        for _ in range(rounds):
            for name, path in suites.items():
                samples[name].append(run(path))
    floor = statistics.median(samples["without fixture (floor)"])
    with_fixture = statistics.median(samples["with mockfiles fixture"])
    print(f"\n{TESTS} trivial tests, pytest wall time (median of {rounds})")
    print(f"  without fixture (floor)  {floor:6.2f} s   ratio 1.00")
    print(
        f"  with mockfiles fixture   {with_fixture:6.2f} s   ratio {with_fixture / floor:4.2f}"
        f"   (+{(with_fixture - floor) / TESTS * 1e6:.0f} us per test)"
    )
    return True


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
