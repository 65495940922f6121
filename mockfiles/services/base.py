"""What every service offers the backend: a reset, and restoring recorded state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Doc = dict[str, Any]


@dataclass(frozen=True)
class RecordedExchange:
    """A successful recorded request, as a service restores state from it."""

    method: str
    #: The path under the profile's base path, e.g. ``/files/file-abc``.
    route: str
    request: Doc
    response: Doc
    #: The tenant the request acted for.
    tenant: str
    #: Seconds to add to every recorded time (the scenario ends "now").
    shift: int

    @property
    def response_json(self) -> Any:
        """The response's JSON body, or None."""
        body = self.response.get("body")
        return body.get("json") if isinstance(body, dict) else None


class Service(Protocol):
    """A service of the backend (Files, Batches, Uploads)."""

    def reset(self) -> None:
        """Forget everything this service keeps beyond the shared state."""

    def restore(self, exchange: RecordedExchange) -> bool:
        """Apply ``exchange`` if it is this service's; True when it was."""
