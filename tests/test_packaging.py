"""The package as a downstream project installs it: typed (PEP 561), plugin inside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import mockfiles

REPO = Path(mockfiles.__file__).resolve().parents[1]
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
MYPY = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]


def test_an_installed_wheel_is_typed_for_a_downstream_mypy(tmp_path: Path) -> None:
    subprocess.run(
        [*PIP_WHEEL, "-w", str(tmp_path / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("mockfiles-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mockfiles/py.typed" in names
    assert "mockfiles/pytest_plugin.py" in names
    assert "conftest_plugin.py" not in names  # no generic top-level module to shadow
    # the dashboard page ships in the package (nothing fetched or built at run time)
    for asset in ("dashboard.html", "dashboard.css", "dashboard.js", "login.html", "login.css"):
        assert f"mockfiles/static/{asset}" in names

    # A downstream environment holding only the wheel: mypy must read its types.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True
    )
    (site,) = (tmp_path / "env" / "lib").glob("python3*/site-packages")
    zipfile.ZipFile(wheel).extractall(site)
    user = tmp_path / "downstream.py"
    user.write_text("from mockfiles import MockFiles\n\nwrong: int = MockFiles().base_url\n")
    checked = subprocess.run(
        [*MYPY, "--python-executable", str(tmp_path / "env" / "bin" / "python"), str(user)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "py.typed" not in checked.stdout, checked.stdout
    assert 'expression has type "str", variable has type "int"' in checked.stdout, checked.stdout
