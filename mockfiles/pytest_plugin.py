"""pytest plugin for mockfiles (the ``pytest11`` entry point ``mockfiles`` names this
module, ``mockfiles.pytest_plugin``: a name no project's own module can shadow).

Fixtures:

- ``mockfiles``: a fresh :class:`mockfiles.MockFiles`, patched in so that ``OpenAI()``,
  ``AsyncOpenAI()`` (or ``AzureOpenAI()``) built in the test reach it in-process.
- ``mockfiles_server``: a mock behind a real loopback server, started once per session
  (per marker configuration) and reset for every test, with ``OPENAI_BASE_URL`` pointing
  at it, so subprocesses and non-httpx clients reach it too.

Configure either with ``@pytest.mark.mockfiles(profile="openai", **options)``; the
plugin's own option ``assert_all_faults_used=False`` turns off the teardown check that
fails a test leaving a fault with a finite ``times`` unconsumed.
``--mockfiles-record=DIR`` writes one scenario file per test that used them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.nodes import Node

from mockfiles import MockFiles
from mockfiles.mock import stop_patch
from mockfiles.patching import patched_environ
from mockfiles.server import ThreadedServer

MARKER = "mockfiles"
RECORD_OPTION = "--mockfiles-record"
#: Marker options the plugin keeps for itself (the others go to ``MockFiles``).
PLUGIN_OPTIONS = frozenset({"assert_all_faults_used"})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockfiles")
    group.addoption(
        RECORD_OPTION,
        metavar="DIR",
        default=None,
        help="write a scenario file per test that used the mockfiles fixtures into DIR",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(profile='openai', assert_all_faults_used=True, **options): configure "
        "the mockfiles fixtures (options are MockFiles keyword arguments)",
    )


def marker_config(node: Node) -> tuple[tuple[object, ...], dict[str, object]]:
    """Positional and keyword arguments of the test's ``mockfiles`` markers."""
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        args = marker.args or args
        kwargs.update(marker.kwargs)
    return args, kwargs


def mock_from_markers(
    node: Node, config: tuple[tuple[object, ...], dict[str, object]] | None = None
) -> MockFiles:
    """A MockFiles built from the test's ``mockfiles`` markers (closest wins per key;
    ``config``: those markers' :func:`marker_config`, if already read)."""
    args, kwargs = marker_config(node) if config is None else config
    options = {name: value for name, value in kwargs.items() if name not in PLUGIN_OPTIONS}
    try:
        return MockFiles(*args, **options)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}{args or ''}{kwargs or ''}: {exc}") from exc


def _save_if_recording(node: Node, mock: MockFiles) -> None:
    directory = node.config.getoption(RECORD_OPTION)
    if directory:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.nodeid).strip("_")
        mock.save_scenario(Path(directory) / f"{name}.json")


def unused_faults_message(mock: MockFiles) -> str | None:
    """What a test left queued: faults with a finite ``times`` never (fully) consumed."""
    unused = [fault for fault in mock.faults.pending if fault.remaining is not None]
    if not unused:
        return None
    lines = "\n".join(f"  - {fault.describe()}" for fault in unused)
    return (
        f"mockfiles: {len(unused)} queued fault(s) were not used up by the test:\n{lines}\n"
        "Send the requests they were meant for, or opt out with "
        f"@pytest.mark.{MARKER}(assert_all_faults_used=False)."
    )


def _check_faults_used(node: Node, mock: MockFiles, kwargs: dict[str, object]) -> None:
    if not kwargs.get("assert_all_faults_used", True):
        return
    message = unused_faults_message(mock)
    if message is not None:
        pytest.fail(message, pytrace=False)


#: The test being set up (the ``mockfiles`` fixture reads its markers from it, which
#: is cheaper than asking pytest for the ``request`` fixture).
_current: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current[:] = [item]


@pytest.fixture(name=MARKER)
def mockfiles_fixture() -> Iterator[MockFiles]:
    """A fresh mock, patched in: the profile's client built in the test reaches it."""
    item = _current[0]
    config = marker_config(item)
    mock = mock_from_markers(item, config)
    patched = mock.start_patch()
    try:
        yield mock
    finally:
        stop_patch(patched)
    _save_if_recording(item, mock)
    _check_faults_used(item, mock, config[1])


class _Servers:
    """Loopback servers shared by the session, one per marker configuration."""

    def __init__(self) -> None:
        self.running: dict[str, tuple[MockFiles, ThreadedServer]] = {}

    def get(self, node: Node) -> MockFiles:
        args, kwargs = marker_config(node)
        options = [(k, v) for k, v in sorted(kwargs.items()) if k not in PLUGIN_OPTIONS]
        key = repr((args, options))
        if key not in self.running:
            mock = mock_from_markers(node)
            server = ThreadedServer(mock)
            mock.base_url = server.base_url
            server.start()
            self.running[key] = (mock, server)
        return self.running[key][0]

    def stop_all(self) -> None:
        for _, server in self.running.values():
            server.stop()
        self.running.clear()


@pytest.fixture(scope="session")
def _mockfiles_servers() -> Iterator[_Servers]:
    servers = _Servers()
    yield servers
    servers.stop_all()


@pytest.fixture
def mockfiles_server(
    request: pytest.FixtureRequest, _mockfiles_servers: _Servers
) -> Iterator[MockFiles]:
    """A mock behind a real loopback server (``.base_url``), reset for this test.

    ``OPENAI_BASE_URL`` (or the profile's variables) point at it while the test runs.
    """
    mock = _mockfiles_servers.get(request.node)
    mock.reset()
    with patched_environ(mock.client_env(), mock.client_env_defaults()):
        mock.adopt_environment_identity()
        yield mock
    _save_if_recording(request.node, mock)
    _check_faults_used(request.node, mock, marker_config(request.node)[1])
