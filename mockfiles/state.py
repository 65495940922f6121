"""The state of one mock, below HTTP: profile, clock, store, URLs, journal, faults,
identities and id generation. Services (Files, Batches, Uploads) act on it.

Expiry is applied in exactly one place, :meth:`State.now`: every service reads the time
through it, so whatever a request or a test reads next never sees an expired file.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from typing import Protocol

from .auth import Authenticator
from .batch_types import BatchAnswer, Responder, check_durations, finite_seconds
from .clock import Clock
from .faults import Faults
from .journal import (
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_CALLS,
    ClockMoved,
    Journal,
    UrlRegistered,
)
from .profiles import IdFormat, Profile
from .store import Store
from .urls import RegisteredUrl, UrlRegistry

# Seeding a generator reads the OS entropy pool: share one unless asked for a seed.
_SHARED_RNG = random.Random()

#: The identity the mock's own clients use unless told otherwise.
DUMMY_API_KEY = "sk-mockfiles-test-key"


@dataclass(frozen=True)
class Settings:
    """A mock's options besides its profile: the keyword arguments of ``MockFiles`` that
    are not profile fields (see the README's table)."""

    #: Only these keys are accepted (others get the service's 401); ``None``: any key.
    api_keys: Collection[str] | None = None
    #: The identity the mock's own clients use; files seeded without a key are its
    #: (``None``: the first of ``api_keys``, else :data:`DUMMY_API_KEY`).
    api_key: str | None = None
    #: Each key (and ``OpenAI-Project``) is a tenant of its own; ``False``: one shared.
    isolate_tenants: bool = True
    #: New files stay ``uploaded`` this long on the clock (0: processed on arrival).
    processing_seconds: float = 0.0
    #: Check batch and fine-tune uploads line by line; a bad file is stored with status
    #: ``error`` and the first problem in ``status_details``.
    validate_content: bool = False
    #: Seeds id generation, for reproducible ids.
    seed: int | None = None
    #: Seconds each batch phase lasts on the clock (``validating``, ``in_progress``,
    #: ``finalizing``, ``cancelling``); each 0 unless set.
    batch_durations: Mapping[str, float] | None = None
    #: Answers batch request lines (``None``: the default responder).
    batch_responder: Responder | None = None
    #: Answers by ``custom_id``, taking precedence over the responder.
    batch_responses: Mapping[str, BatchAnswer | BaseException] | None = None
    #: The journal's memory budget (bodies plus metadata) and most calls it keeps.
    journal_bytes: int = DEFAULT_JOURNAL_BYTES
    journal_calls: int = DEFAULT_JOURNAL_CALLS
    #: Callers from other hosts may use the control routes when they send this token
    #: (``x-mockfiles-control-token``); loopback callers never need it.
    control_token: str | None = None
    #: Loopback callers need the control token too (on a machine other people use,
    #: 127.0.0.1 is not private); needs ``control_token``.
    control_token_for_loopback: bool = False

    def __post_init__(self) -> None:
        """``ValueError`` for an option no mock could honour (an empty key or token, a
        time that is negative or not finite)."""
        if self.control_token_for_loopback and self.control_token is None:
            raise ValueError(
                "control_token_for_loopback needs a control_token (without one no caller "
                "could use the control routes)"
            )
        if self.control_token is not None and (
            not isinstance(self.control_token, str) or not self.control_token
        ):
            raise ValueError(
                "control_token must be a non-empty string (an empty token would let any "
                "caller that sends an empty header use the control routes)"
            )
        if self.api_keys is not None:
            if isinstance(self.api_keys, str | bytes):
                raise ValueError(
                    f"api_keys must be a collection of keys, not one string: {self.api_keys!r}"
                )
            for key in self.api_keys:
                if not isinstance(key, str) or not key:
                    raise ValueError(f"api_keys must hold non-empty strings, not {key!r}")
        if self.api_key is not None and (not isinstance(self.api_key, str) or not self.api_key):
            raise ValueError(f"api_key must be a non-empty string, not {self.api_key!r}")
        finite_seconds(self.processing_seconds, "processing_seconds")
        check_durations(self.batch_durations)

    @property
    def own_key(self) -> str:
        """The key the mock's own clients use: ``api_key``, else the first accepted key."""
        if self.api_key is not None:
            return self.api_key
        return next(iter(self.api_keys or ()), DUMMY_API_KEY)


class Sweeper(Protocol):
    """A service whose objects change when time passes (an Upload expires, a batch
    moves on): :meth:`State.now` calls :meth:`sweep` once :meth:`next_due` is reached."""

    def sweep(self, now: float) -> None:
        """Apply everything due by ``now``."""

    def next_due(self) -> float:
        """When something is next due (``math.inf``: nothing; ``-math.inf``: always)."""


#: The names :class:`Settings` takes (``MockFiles`` sends every other option to the profile).
SETTING_NAMES = frozenset(f.name for f in fields(Settings))


class State:
    """Everything one mock holds. Thread-safe where its parts are (store, journal,
    faults, URL registry)."""

    def __init__(self, profile: Profile, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.profile = profile
        self.settings = settings
        self.journal = Journal(max_bytes=settings.journal_bytes, max_calls=settings.journal_calls)
        self.control_token = settings.control_token
        self.clock = Clock(listener=self._clock_moved)
        self.store = Store()
        self.urls = UrlRegistry(listener=self._url_registered)
        self.faults = Faults()
        self.authenticator = Authenticator(
            profile.auth_scheme, settings.api_keys, isolate_tenants=settings.isolate_tenants
        )
        self.api_key = settings.own_key
        self.project: str | None = None
        self.processing_seconds = settings.processing_seconds
        self.validate_content = settings.validate_content
        self.rng = _SHARED_RNG if settings.seed is None else random.Random(settings.seed)
        #: Swept by :meth:`now` when due: services with objects that expire (an Upload
        #: after its hour) release them there. A service tells :meth:`wake` whenever
        #: it schedules something.
        self.sweepers: list[Sweeper] = []
        #: Nothing is due before this time (the next expiry or sweep); read by :meth:`now`.
        self.wake_at = -math.inf
        self._wake_lock = threading.Lock()
        self.store.on_expiry = self.wake
        self.batch_durations = check_durations(settings.batch_durations)
        self.batch_responder = settings.batch_responder
        self.batch_responses: dict[str, BatchAnswer | BaseException] = dict(
            settings.batch_responses or {}
        )

    def now(self) -> float:
        """The clock's time, with every file expired by then removed (the one place
        expiry is applied; :attr:`sweepers` release other services' expired objects)."""
        now = self.clock.now()
        if now >= self.wake_at:
            self._sweep(now)
        return now

    def _sweep(self, now: float) -> None:
        self.store.purge_expired(now)
        for sweeper in self.sweepers:
            sweeper.sweep(now)
        # Read where each source stands now: whatever is scheduled after this read
        # calls wake(), which this lock orders after it.
        with self._wake_lock:
            self.wake_at = min(
                [self.store.next_expiry(), *(sweeper.next_due() for sweeper in self.sweepers)]
            )

    def wake(self, at: float) -> None:
        """Something is due at ``at``: :meth:`now` sweeps once the clock reaches it (call
        after scheduling it where its :class:`Sweeper` looks)."""
        with self._wake_lock:
            if at < self.wake_at:
                self.wake_at = at

    def new_id(self, id_format: IdFormat | None = None) -> str:
        """A fresh id in ``id_format`` (the profile's file ids by default)."""
        return (id_format or self.profile.id_format).new(self.rng)

    @property
    def own_tenant(self) -> str:
        """The tenant of :attr:`api_key` (and :attr:`project`)."""
        return self.authenticator.tenant_for(self.api_key, self.project)

    def _clock_moved(self, advance: float | None = None, set: float | None = None) -> None:
        self.journal.note(ClockMoved(advance=advance, set=set))

    def _url_registered(self, answer: RegisteredUrl) -> None:
        self.journal.note(UrlRegistered(answer.url, answer.status, answer.headers, answer.blob))
