"""MockFiles: one mock's clock, store, profile and journal, and the ways to reach it."""

from __future__ import annotations

import importlib
import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from . import scenario
from .api.app import WithControl, build_app
from .api.control import ControlApp
from .auth import Authenticator
from .blobs import Blob
from .clock import Clock
from .errors import NoSuchFile
from .faults import Faults
from .journal import ClockMoved, FileSeeded, Journal, UrlRegistered
from .patching import patched_environ, route_hosts
from .profiles import Profile, get_profile
from .service import FileService
from .store import Store, StoredFile
from .transport import Library, async_transport, sync_transport
from .urls import RegisteredUrl, UrlRegistry

DEFAULT_ROOT_URL = "http://mockfiles.local"
OPENAI_HOSTS = frozenset({"api.openai.com"})
DUMMY_API_KEY = "sk-mockfiles-test-key"


class MockFiles:
    """An in-memory Files API of one provider dialect (``profile``).

    Keyword options that are not MockFiles' own change fields of the profile, e.g.
    ``MockFiles(max_file_bytes=1024)``.
    """

    def __init__(
        self,
        profile: str | Profile = "openai",
        *,
        base_url: str | None = None,
        api_keys: Collection[str] | None = None,
        api_key: str = DUMMY_API_KEY,
        isolate_tenants: bool = True,
        processing_seconds: float = 0.0,
        validate_content: bool = False,
        seed: int | None = None,
        **profile_changes: Any,
    ) -> None:
        chosen = get_profile(profile)
        self.profile: Profile = chosen.replace(**profile_changes) if profile_changes else chosen
        self.base_url = (base_url or DEFAULT_ROOT_URL + self.profile.base_path).rstrip("/")
        self.journal = Journal()
        self.clock = Clock(listener=self._clock_moved)
        self.store = Store()
        self.urls = UrlRegistry(listener=self._url_registered)
        self.files = FileService(
            self.profile,
            self.clock,
            self.store,
            urls=self.urls,
            processing_seconds=processing_seconds,
            validate_content=validate_content,
            seed=seed,
        )
        self.faults = Faults()
        self.authenticator = Authenticator(
            self.profile.auth_scheme, api_keys, isolate_tenants=isolate_tenants
        )
        #: The identity clients built by this mock (or by ``OpenAI()`` under
        #: :meth:`patch`) use; files seeded without a key belong to it.
        self.api_key = api_key
        self.project: str | None = None
        self.app = WithControl(
            build_app(self.files, self.journal, self.authenticator, self.faults),
            ControlApp(self),
        )

    # -- state ----------------------------------------------------------------

    def _clock_moved(self, advance: float | None = None, set: float | None = None) -> None:
        self.journal.note(ClockMoved(advance=advance, set=set))

    def _url_registered(self, answer: RegisteredUrl) -> None:
        self.journal.note(UrlRegistered(answer.url, answer.status, answer.headers, answer.blob))

    @property
    def calls(self) -> Journal:
        """Every request the mock answered, in order."""
        return self.journal

    def reset(self) -> None:
        """Forget every file, call, registered URL and fault; the clock follows real time."""
        self.store.clear()
        self.journal.clear()
        self.urls.clear()
        self.faults.clear()
        self.clock.follow_real_time()

    def add_file(
        self,
        content: bytes | bytearray | memoryview | str,
        *,
        filename: str = "file.jsonl",
        purpose: str = "batch_output",
        expires_after_seconds: int | None = None,
        created_at: int | None = None,
        api_key: str | None = None,
        project: str | None = None,
    ) -> StoredFile:
        """Create a file as the service would (e.g. ``batch_output`` results).

        Any purpose of the profile is allowed, upload-only checks are skipped, the quota
        and default expiry apply. The file belongs to ``api_key`` (and ``project``), by
        default to :attr:`api_key`: the key ``OpenAI()`` uses in a patched test.
        """
        if purpose not in self.profile.file_purposes:
            raise ValueError(
                f"purpose {purpose!r} is not one of the {self.profile.name} profile's file "
                f"purposes: {', '.join(self.profile.file_purposes)}"
            )
        if api_key is None:
            api_key, project = self.api_key, self.project
        record = self.files.create(
            self.authenticator.tenant_for(api_key, project),
            filename=filename,
            purpose=purpose,
            blob=Blob.of(content),
            expires_after_seconds=expires_after_seconds,
            created_at=created_at,
        )
        self.journal.note(
            FileSeeded(
                record.id,
                record.filename,
                record.purpose,
                record.created_at,
                record.expires_at,
                record.blob,
                record.tenant,
            )
        )
        return record

    def stored_files(
        self, api_key: str | None = None, project: str | None = None
    ) -> list[StoredFile]:
        """Files stored now (expired ones are gone), oldest first: every tenant's, or
        those of ``api_key`` (and ``project``)."""
        self.store.purge_expired(self.clock.now())
        tenant = None if api_key is None else self.authenticator.tenant_for(api_key, project)
        return list(self.store.files(tenant))

    def get_file(self, file_id: str) -> StoredFile:
        """A stored file by id, whoever owns it; :class:`NoSuchFile` if absent."""
        self.store.purge_expired(self.clock.now())
        record = self.store.find(file_id)
        if record is None:
            raise NoSuchFile(file_id)
        return record

    def content_of(self, file_id: str) -> bytes:
        """The bytes of a stored file, whoever owns it."""
        return self.get_file(file_id).content

    # -- scenarios ------------------------------------------------------------

    def scenario(self) -> dict[str, Any]:
        """What this mock saw since its last reset, as a scenario document."""
        return scenario.scenario_of(self)

    def save_scenario(self, path: str | Path) -> Path:
        """Write :meth:`scenario` to ``path`` as JSON."""
        return scenario.save(self, path)

    def load_scenario(self, source: str | Path | dict[str, Any]) -> None:
        """Reset, then take the state the scenario leaves behind (ids and ages kept)."""
        self.reset()
        scenario.load_into(self, source)

    @classmethod
    def from_scenario(cls, source: str | Path | dict[str, Any], **options: Any) -> MockFiles:
        """A mock of the scenario's profile, in the state the scenario leaves behind."""
        doc = scenario.read(source)
        mock = cls(options.pop("profile", doc.get("profile", "openai")), **options)
        scenario.load_into(mock, doc)
        return mock

    # -- ways in --------------------------------------------------------------

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts routed to this mock by :meth:`patch`: its own and ``api.openai.com``."""
        own = urlsplit(self.base_url).hostname or ""
        return frozenset({own}) | OPENAI_HOSTS

    def transport(self, library: Library | None = None) -> Any:
        """A sync in-process transport (``httpx`` by default, or ``library="httpx2"``)."""
        return sync_transport(self.app, library)

    def async_transport(self, library: Library | None = None) -> Any:
        """An async in-process transport (``httpx`` by default, or ``library="httpx2"``)."""
        return async_transport(self.app, library)

    @property
    def root_url(self) -> str:
        """The scheme and host of :attr:`base_url` (Azure's ``azure_endpoint``)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

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
            return template.format(
                base_url=self.base_url, root_url=self.root_url, api_key=api_key or self.api_key
            )
        if isinstance(template, Mapping):
            return {name: self._fill(value, api_key) for name, value in template.items()}
        return template

    def _client_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        api_key = kwargs.get("api_key", self.api_key)
        return {**self._fill(self.profile.client_kwargs, api_key), **kwargs}

    def adopt_environment_identity(self) -> None:
        """Make :attr:`api_key` (and :attr:`project`) what a client built from the
        environment will send, so files seeded in the test are that client's."""
        for name, template in {**self.profile.env, **self.profile.env_defaults}.items():
            if template == "{api_key}" and os.environ.get(name):
                self.api_key = os.environ[name]
        if self.profile.client_class == "OpenAI":
            self.project = os.environ.get("OPENAI_PROJECT_ID") or None

    def client_env(self) -> dict[str, str]:
        """Environment that points the profile's client here (set by :meth:`patch`)."""
        env: dict[str, str] = self._fill(self.profile.env)
        return env

    def client_env_defaults(self) -> dict[str, str]:
        """Environment :meth:`patch` sets only where unset (dummy keys, API version)."""
        env: dict[str, str] = self._fill(self.profile.env_defaults)
        return env

    @contextmanager
    def patch(self) -> Iterator[MockFiles]:
        """Route the profile's client built with no arguments, and every httpx/httpx2
        request for :attr:`hosts`, to this mock.

        Sets the profile's environment (``OPENAI_BASE_URL``; for Azure
        ``AZURE_OPENAI_ENDPOINT`` and ``OPENAI_API_VERSION``) and dummy keys where unset;
        other hosts pass through untouched. Everything is restored on exit.
        """
        with ExitStack() as stack:
            stack.enter_context(patched_environ(self.client_env(), self.client_env_defaults()))
            self.adopt_environment_identity()
            stack.enter_context(route_hosts(self.app, self.hosts))
            yield self

    def __repr__(self) -> str:
        return (
            f"MockFiles(profile={self.profile.name!r}, files={len(self.store)}, "
            f"calls={len(self.journal)})"
        )


def openai_http_library() -> Library:
    """Which of httpx / httpx2 the installed ``openai`` SDK is built on."""
    openai = importlib.import_module("openai")
    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("httpx", "httpx2"):
            return cast(Library, root)
    return "httpx"


__all__ = ["MockFiles", "NoSuchFile", "openai_http_library"]
