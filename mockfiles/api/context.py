"""What the middleware hands the handlers through the ASGI scope."""

from __future__ import annotations

from starlette.types import Scope

from ..auth import DEFAULT_TENANT
from ..journal import Call
from ..service import FileService

TENANT_KEY = "mockfiles.tenant"
CALL_KEY = "mockfiles.call"
SERVICE_KEY = "mockfiles.service"
#: Set by the in-process transports: requests never cross a socket.
IN_PROCESS_KEY = "mockfiles.in_process"
#: Set by the sync transport: the app is driven without an event loop.
DRIVEN_KEY = "mockfiles.driven"


def tenant_of(scope: Scope) -> str:
    """The tenant the authenticated caller acts for."""
    tenant: str = scope.get(TENANT_KEY, DEFAULT_TENANT)
    return tenant


def call_of(scope: Scope) -> Call | None:
    """The journal entry being written for this request, if journaling is on."""
    call: Call | None = scope.get(CALL_KEY)
    return call


def service_of(scope: Scope) -> FileService:
    """The Files service the request is for."""
    service: FileService = scope[SERVICE_KEY]
    return service
