"""Every Python example in the README runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockfiles import PROFILES

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
SCRIPTS = [b for b in BLOCKS if not b.startswith("# test_")]
TEST_FILES = [b for b in BLOCKS if b.startswith("# test_")]


def test_readme_has_examples() -> None:
    assert len(SCRIPTS) >= 4
    assert len(TEST_FILES) >= 1


@pytest.mark.parametrize("code", SCRIPTS, ids=[f"script{i}" for i in range(len(SCRIPTS))])
def test_script_example_runs(code: str) -> None:
    registered = dict(PROFILES)
    try:
        exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    finally:  # an example may register a profile; leave the registry as it was
        PROFILES.clear()
        PROFILES.update(registered)


@pytest.mark.parametrize("code", TEST_FILES, ids=[f"tests{i}" for i in range(len(TEST_FILES))])
def test_pytest_example_passes(pytester: pytest.Pytester, code: str) -> None:
    name = code.splitlines()[0].removeprefix("# ").strip()
    pytester.path.joinpath(name).write_text(code)
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    tests = len(re.findall(r"^(?:async )?def test_", code, flags=re.M))
    result.assert_outcomes(passed=tests)
