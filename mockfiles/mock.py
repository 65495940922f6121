"""MockFiles: the front door to one mock's backend, and the ways to reach it
(transports, clients, :meth:`MockFiles.patch`, scenarios)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from .api.app import build_app
from .auth import Authenticator
from .backend import Backend
from .batch_types import BatchAnswer
from .clock import Clock
from .control import ControlService
from .errors import NoSuchFile
from .faults import Faults
from .journal import Journal
from .patching import Routed, Saved, restore_environ, route, set_environ, unroute
from .profiles import Profile, get_profile
from .scenario_state import LoadReport
from .scenario_state import read as read_scenario
from .services.batches import Batch, BatchService
from .services.files import FileService
from .state import DUMMY_API_KEY, SETTING_NAMES, Settings
from .store import Store, StoredFile
from .transport import Library, async_transport, sync_transport
from .urls import UrlRegistry

DEFAULT_ROOT_URL = "http://mockfiles.local"
OPENAI_HOSTS = frozenset({"api.openai.com"})


class MockFiles:
    """An in-memory Files API of one provider dialect (``profile``).

    Keyword options that are not MockFiles' own change fields of the profile, e.g.
    ``MockFiles(max_file_bytes=1024)``. All state lives in :attr:`backend`; this object
    builds it and offers the ways to reach it.
    """

    def __init__(
        self, profile: str | Profile = "openai", *, base_url: str | None = None, **options: Any
    ) -> None:
        """``options`` are the fields of :class:`~mockfiles.state.Settings` (``api_keys``,
        ``processing_seconds``, ``batch_durations``, ...); any other name changes that
        field of the profile. An unknown name is a ``TypeError`` listing both."""
        settings = {name: value for name, value in options.items() if name in SETTING_NAMES}
        profile_changes = {n: v for n, v in options.items() if n not in SETTING_NAMES}
        chosen = get_profile(profile)
        try:
            chosen = chosen.replace(**profile_changes) if profile_changes else chosen
        except TypeError as exc:
            raise TypeError(
                f"{exc}; MockFiles' own options are: {', '.join(sorted(SETTING_NAMES))}"
            ) from None
        self.base_url = (base_url or DEFAULT_ROOT_URL + chosen.base_path).rstrip("/")
        #: The one owner of this mock's state (profile, clock, store, journal, ...).
        self.backend = Backend(chosen, Settings(**settings) if settings else _DEFAULT_SETTINGS)
        #: Reset, clock, seeding and scenarios, as the control routes offer them.
        self.control = ControlService(self.backend)
        self.app = build_app(self.backend, self.control)
        #: Create a file as the service would (e.g. ``batch_output`` results): any purpose
        #: of the profile, upload-only checks skipped, quota and default expiry applied.
        #: It belongs to ``api_key`` (and ``project``), by default to :attr:`api_key`.
        self.add_file = self.control.seed_file

    # -- the backend's parts, by their familiar names -------------------------------

    @property
    def profile(self) -> Profile:
        """The profile in force."""
        return self.backend.profile

    @property
    def clock(self) -> Clock:
        """The mock's clock (follows ``time.time()``, plus what the test moved)."""
        return self.backend.clock

    @property
    def journal(self) -> Journal:
        """Every request the mock answered, in order (also :attr:`calls`)."""
        return self.backend.journal

    @property
    def calls(self) -> Journal:
        """Every request the mock answered, in order."""
        return self.backend.journal

    @property
    def faults(self) -> Faults:
        """Faults queued for the next matching requests."""
        return self.backend.faults

    @property
    def urls(self) -> UrlRegistry:
        """URLs registered for imports."""
        return self.backend.urls

    @property
    def store(self) -> Store:
        """The file records of every tenant."""
        return self.backend.store

    @property
    def files(self) -> FileService:
        """The Files service (its rules over the backend's state)."""
        return self.backend.files

    @property
    def batches(self) -> BatchService:
        """The Batches service (its rules over the backend's state)."""
        return self.backend.batches

    @property
    def batch_responses(self) -> dict[str, BatchAnswer | BaseException]:
        """Answers by ``custom_id`` that take precedence over the batch responder: a
        body, a :class:`~mockfiles.BatchErrorResponse`, or an exception to raise."""
        return self.backend.batch_responses

    def stored_batches(self, api_key: str | None = None, project: str | None = None) -> list[Batch]:
        """Batches as they stand now, oldest first: every tenant's, or those of
        ``api_key`` (and ``project``)."""
        tenant = None if api_key is None else self.authenticator.tenant_for(api_key, project)
        return self.backend.batches.batches(tenant)

    @property
    def authenticator(self) -> Authenticator:
        """Which keys are accepted and which tenant each acts for."""
        return self.backend.authenticator

    @property
    def api_key(self) -> str:
        """The identity clients built by this mock (or by ``OpenAI()`` under
        :meth:`patch`) use; files seeded without a key belong to it."""
        return self.backend.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        self.backend.api_key = value

    @property
    def project(self) -> str | None:
        """The ``OpenAI-Project`` of :attr:`api_key`'s tenant, if any."""
        return self.backend.project

    @project.setter
    def project(self, value: str | None) -> None:
        self.backend.project = value

    # -- state ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every file, call, registered URL and fault; the clock follows real time."""
        self.control.reset()

    def stored_files(
        self, api_key: str | None = None, project: str | None = None
    ) -> list[StoredFile]:
        """Files stored now (expired ones are gone), oldest first: every tenant's, or
        those of ``api_key`` (and ``project``)."""
        self.backend.now()
        tenant = None if api_key is None else self.authenticator.tenant_for(api_key, project)
        return list(self.store.files(tenant))

    def get_file(self, file_id: str) -> StoredFile:
        """A stored file by id, whoever owns it; :class:`NoSuchFile` if absent."""
        self.backend.now()
        record = self.store.find(file_id)
        if record is None:
            raise NoSuchFile(file_id)
        return record

    def content_of(self, file_id: str) -> bytes:
        """The bytes of a stored file, whoever owns it."""
        return self.get_file(file_id).content

    # -- scenarios ------------------------------------------------------------

    def scenario(self) -> dict[str, Any]:
        """What this mock saw since its last reset, as a scenario document (each tenant
        named by a label derived from its key, never the key)."""
        return self.control.scenario()

    def save_scenario(self, path: str | Path) -> Path:
        """Write :meth:`scenario` to ``path`` as JSON."""
        return self.control.save_scenario(path)

    def load_scenario(self, source: str | Path | dict[str, Any]) -> LoadReport:
        """Reset, then take the state the scenario leaves behind: ids, ages, expiry and
        owners kept (a key sees exactly the files it had). Returns what was loaded."""
        return self.control.load_scenario(source)

    @classmethod
    def from_scenario(cls, source: str | Path | dict[str, Any], **options: Any) -> MockFiles:
        """A mock of the scenario's profile, in the state the scenario leaves behind."""
        doc = read_scenario(source)
        mock = cls(options.pop("profile", doc.get("profile", "openai")), **options)
        mock.load_scenario(doc)
        return mock

    # -- ways in --------------------------------------------------------------

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts routed to this mock by :meth:`patch`: its own and ``api.openai.com``."""
        return _hosts_of(self.base_url)

    def transport(self, library: Library | None = None) -> Any:
        """A sync in-process transport (``httpx`` by default, or ``library="httpx2"``)."""
        return sync_transport(self.app, library)

    def async_transport(self, library: Library | None = None) -> Any:
        """An async in-process transport (``httpx`` by default, or ``library="httpx2"``)."""
        return async_transport(self.app, library)

    @property
    def root_url(self) -> str:
        """The scheme and host of :attr:`base_url` (Azure's ``azure_endpoint``)."""
        return _root_url_of(self.base_url)

    def openai_client(self, **kwargs: Any) -> Any:
        """The profile's ``openai`` client (``OpenAI``, ``AzureOpenAI``) wired in-process."""
        openai = importlib.import_module("openai")
        library = openai_http_library()
        module = importlib.import_module(library)
        kwargs.setdefault("http_client", module.Client(transport=self.transport(library)))
        return getattr(openai, self.profile.client_class)(**self._client_kwargs(kwargs))

    def async_openai_client(self, **kwargs: Any) -> Any:
        """The profile's async ``openai`` client (``AsyncOpenAI``, ...) wired in-process."""
        openai = importlib.import_module("openai")
        library = openai_http_library()
        module = importlib.import_module(library)
        transport = self.async_transport(library)
        kwargs.setdefault("http_client", module.AsyncClient(transport=transport))
        client_class = getattr(openai, "Async" + self.profile.client_class)
        return client_class(**self._client_kwargs(kwargs))

    def _fill(self, template: Any, api_key: str | None = None) -> Any:
        """``template`` with ``{base_url}``, ``{root_url}`` and ``{api_key}`` filled in."""
        if isinstance(template, str):
            return template.format(**_template_values(self.base_url, api_key or self.api_key))
        if isinstance(template, Mapping):
            return {name: self._fill(value, api_key) for name, value in template.items()}
        return template

    def _client_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        api_key = kwargs.get("api_key", self.api_key)
        return {**self._fill(self.profile.client_kwargs, api_key), **kwargs}

    def adopt_environment_identity(self) -> None:
        """Make :attr:`api_key` (and :attr:`project`) what a client built from the
        environment will send, so files seeded in the test are that client's."""
        environ = os.environ
        for name in _key_variables(self.profile):
            value = environ.get(name)
            if value:
                self.api_key = value
        if self.profile.client_class == "OpenAI":
            self.project = environ.get("OPENAI_PROJECT_ID") or None

    def client_env(self) -> dict[str, str]:
        """Environment that points the profile's client here (set by :meth:`patch`)."""
        return dict(self._environment()[0])

    def client_env_defaults(self) -> dict[str, str]:
        """Environment :meth:`patch` sets only where unset (dummy keys, API version)."""
        return dict(self._environment()[1])

    def _environment(self) -> tuple[dict[str, str], dict[str, str]]:
        """(:meth:`client_env`, :meth:`client_env_defaults`), filled once per profile,
        base URL and key (shared: callers copy them)."""
        return _filled_environment(self.profile, self.base_url, self.api_key)

    @contextmanager
    def patch(self) -> Iterator[MockFiles]:
        """Route the profile's client built with no arguments, and every httpx/httpx2
        request for :attr:`hosts`, to this mock.

        Sets the profile's environment (``OPENAI_BASE_URL``; for Azure
        ``AZURE_OPENAI_ENDPOINT`` and ``OPENAI_API_VERSION``) and dummy keys where unset;
        other hosts pass through untouched. Everything is restored on exit.
        """
        patched = self.start_patch()
        try:
            yield self
        finally:
            stop_patch(patched)

    def start_patch(self) -> Patched:
        """What :meth:`patch` does on entry, for code that cannot use a ``with`` block
        (a fixture's setup): undo it with :func:`stop_patch` (nothing stays patched if
        this raises)."""
        saved = set_environ(*self._environment())
        try:
            self.adopt_environment_identity()
            return saved, route(self.app, self.hosts)
        except BaseException:
            restore_environ(saved)
            raise

    def __repr__(self) -> str:
        return (
            f"MockFiles(profile={self.profile.name!r}, files={len(self.store)}, "
            f"calls={len(self.journal)})"
        )


#: What :meth:`MockFiles.start_patch` changed: the environment saved, the routing.
Patched = tuple[Saved, Routed]


def stop_patch(patched: Patched) -> None:
    """Undo :meth:`MockFiles.start_patch`: the routing, then the environment."""
    saved, routed = patched
    try:
        unroute(routed)
    finally:
        restore_environ(saved)


def _key_variables(profile: Profile) -> tuple[str, ...]:
    """The profile's environment variables that carry the API key."""
    return _key_variables_of(tuple(profile.env.items()), tuple(profile.env_defaults.items()))


@lru_cache(maxsize=64)
def _key_variables_of(
    env: tuple[tuple[str, str], ...], env_defaults: tuple[tuple[str, str], ...]
) -> tuple[str, ...]:
    templates = {**dict(env), **dict(env_defaults)}
    return tuple(name for name, template in templates.items() if template == "{api_key}")


def _filled_environment(
    profile: Profile, base_url: str, api_key: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The profile's environment and its defaults, filled in (read from the profile's
    mappings as they are now; remembered by their content, never by the profile)."""
    return _filled_environment_of(
        tuple(profile.env.items()), tuple(profile.env_defaults.items()), base_url, api_key
    )


@lru_cache(maxsize=256)
def _filled_environment_of(
    env: tuple[tuple[str, str], ...],
    env_defaults: tuple[tuple[str, str], ...],
    base_url: str,
    api_key: str,
) -> tuple[dict[str, str], dict[str, str]]:
    values = _template_values(base_url, api_key)
    return (
        {name: template.format(**values) for name, template in env},
        {name: template.format(**values) for name, template in env_defaults},
    )


def _template_values(base_url: str, api_key: str) -> dict[str, str]:
    """What ``{base_url}``, ``{root_url}`` and ``{api_key}`` stand for in a profile's
    client settings and environment."""
    return {"base_url": base_url, "root_url": _root_url_of(base_url), "api_key": api_key}


#: The settings of a mock built with none (frozen, so every such mock can share them).
_DEFAULT_SETTINGS = Settings()


@lru_cache(maxsize=64)
def _hosts_of(base_url: str) -> frozenset[str]:
    """:attr:`MockFiles.hosts` for ``base_url``."""
    own = urlsplit(base_url).hostname or ""
    return frozenset({own}) | OPENAI_HOSTS


@lru_cache(maxsize=64)
def _root_url_of(base_url: str) -> str:
    """:attr:`MockFiles.root_url` for ``base_url``."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def openai_http_library() -> Library:
    """Which of httpx / httpx2 the installed ``openai`` SDK is built on."""
    openai = importlib.import_module("openai")
    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("httpx", "httpx2"):
            return cast(Library, root)
    return "httpx"


__all__ = [
    "DUMMY_API_KEY",
    "MockFiles",
    "NoSuchFile",
    "Patched",
    "openai_http_library",
    "stop_patch",
]
