"""The control service: what a test (or a control route, or the CLI) does to a mock's
state from outside the API: reset, move the clock, seed files, register URLs, take and
load scenarios."""

from __future__ import annotations

import math
from pathlib import Path

from . import scenario_state
from .backend import Backend
from .blobs import Blob
from .journal import ClockMoved, FileSeeded
from .scenario_format import Doc, check_profile
from .scenario_state import LoadReport
from .services.files import MAX_TIME
from .store import StoredFile


def _check_time(when: float, what: str) -> None:
    if not (math.isfinite(when) and 0 <= when <= MAX_TIME):
        raise ValueError(
            f"the clock must read a Unix time between 0 and {MAX_TIME} (years 1970..9999); "
            f"{what} would leave that range"
        )


class ControlService:
    """Operations on one backend that are not part of the provider's API."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def reset(self) -> None:
        """Forget every file, call, registered URL and fault; the clock follows real time."""
        self.backend.reset()

    def advance_clock(self, seconds: float) -> float:
        """Move the mock's clock forward; returns the new time. ``ValueError`` (and no
        move) when the clock would leave years 1970..9999 or ``seconds`` is not finite."""
        _check_time(self.backend.clock.now() + seconds, f"advancing by {seconds!r} seconds")
        self.backend.clock.advance(seconds)
        return self.backend.clock.now()

    def set_clock(self, when: float) -> float:
        """Make the mock's clock read ``when`` (a Unix time); returns it. ``ValueError``
        (and no move) outside years 1970..9999."""
        _check_time(when, f"setting it to {when!r}")
        self.backend.clock.set(when)
        return self.backend.clock.now()

    def follow_real_time(self) -> float:
        """Drop the clock's offset: it reads real time again; returns the time.

        Journaled as the move it is (back by the offset), so a scenario replays it.
        """
        clock = self.backend.clock
        offset = clock.offset
        clock.follow_real_time()
        if offset:
            self.backend.journal.note(ClockMoved(advance=-offset))
        return clock.now()

    def seed_file(
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
        """Create a file as the service would; it belongs to ``api_key`` (and
        ``project``), by default to the mock's own key. ``ValueError`` for a purpose the
        profile does not know."""
        backend = self.backend
        if purpose not in backend.profile.file_purposes:
            raise ValueError(
                f"purpose {purpose!r} is not one of the {backend.profile.name} profile's file "
                f"purposes: {', '.join(backend.profile.file_purposes)}"
            )
        if api_key is None:
            api_key, project = backend.api_key, backend.project
        record = backend.files.create(
            backend.authenticator.tenant_for(api_key, project),
            filename=filename,
            purpose=purpose,
            blob=Blob.of(content),
            expires_after_seconds=expires_after_seconds,
            created_at=created_at,
        )
        backend.journal.note(
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

    def scenario(self) -> Doc:
        """What the mock saw since its last reset, as a scenario document."""
        return scenario_state.scenario_of(self.backend)

    def save_scenario(self, path: str | Path) -> Path:
        """Write :meth:`scenario` to ``path`` as JSON."""
        return scenario_state.save(self.scenario(), path)

    def load_scenario(self, source: str | Path | Doc) -> LoadReport:
        """Reset, then take the state the scenario leaves behind (ids, ages, owners kept).

        The scenario is first loaded into a scratch backend: a malformed one raises
        :class:`~mockfiles.scenario_format.ScenarioError` and changes nothing; one
        recorded with another profile raises its subclass
        :class:`~mockfiles.scenario_format.ScenarioProfileError` (naming both).
        """
        doc = scenario_state.read(source)
        check_profile(doc, self.backend.profile.name)
        scratch = Backend(self.backend.profile, self.backend.settings)
        scratch.api_key, scratch.project = self.backend.api_key, self.backend.project
        scenario_state.load_into(scratch, doc)
        self.reset()
        return scenario_state.load_into(self.backend, doc)
