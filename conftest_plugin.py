"""pytest plugin for mockfiles (registered as the ``pytest11`` entry point ``mockfiles``).

Fixture ``mockfiles``: a fresh :class:`mockfiles.MockFiles`, already patched so that
``OpenAI()`` / ``AsyncOpenAI()`` built in the test reach it in-process. Configure it per
test with ``@pytest.mark.mockfiles(profile="openai", **options)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _pytest.nodes import Node

from mockfiles import MockFiles

MARKER = "mockfiles"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(profile='openai', **options): configure the mockfiles fixture "
        "(options are MockFiles keyword arguments)",
    )


def mock_from_markers(node: Node) -> MockFiles:
    """A MockFiles built from the test's ``mockfiles`` markers (closest wins per key)."""
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        args = marker.args or args
        kwargs.update(marker.kwargs)
    try:
        return MockFiles(*args, **kwargs)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}{args or ''}{kwargs or ''}: {exc}") from exc


@pytest.fixture(name=MARKER)
def mockfiles_fixture(request: pytest.FixtureRequest) -> Iterator[MockFiles]:
    """A fresh mock, patched in: OpenAI() and AsyncOpenAI() in the test reach it."""
    mock = mock_from_markers(request.node)
    with mock.patch():
        yield mock
