"""The backend: the one owner of a mock's state and the services that act on it.

moto's split without its global state: each service is a module of rules over the
backend's :class:`~mockfiles.state.State` (``services/files.py`` today), each has a
module of routes over it (``api/files.py``), and the backend is the only object that
holds them. The HTTP app, the control routes, the CLI and the pytest plugin all reach
state through a backend.
"""

from __future__ import annotations

from .profiles import Profile
from .services.base import RecordedExchange, Service
from .services.batches import BatchService
from .services.files import FileService
from .services.uploads import UploadService
from .state import Settings, State


class Backend(State):
    """A mock's state (:class:`State`) and its services: ``files``, ``uploads`` and
    ``batches``."""

    def __init__(self, profile: Profile, settings: Settings | None = None) -> None:
        super().__init__(profile, settings)
        self.files = FileService(self)
        self.uploads = UploadService(self, self.files)
        self.batches = BatchService(self, self.files)
        #: Every service, in the order a recorded exchange is offered to them.
        self.services: list[Service] = [self.files, self.uploads, self.batches]

    def reset(self) -> None:
        """Forget every file, call, registered URL and fault; the clock follows real time."""
        self.store.clear()
        self.journal.clear()
        self.urls.clear()
        self.faults.clear()
        for service in self.services:
            service.reset()
        self.clock.follow_real_time()

    def restore(self, exchange: RecordedExchange) -> bool:
        """Hand a recorded exchange to the service it belongs to; False if none takes it."""
        return any(service.restore(exchange) for service in self.services)
