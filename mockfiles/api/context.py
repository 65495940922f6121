"""What the middleware hands the handlers through the ASGI scope."""

from __future__ import annotations

from starlette.types import Scope

from ..asgi_scope import DRIVEN_KEY, IN_PROCESS_KEY, WHOLE_RESPONSE_KEY
from ..auth import SHARED_TENANT
from ..backend import Backend
from ..control import ControlService
from ..journal import Call

TENANT_KEY = "mockfiles.tenant"
CALL_KEY = "mockfiles.call"
BACKEND_KEY = "mockfiles.backend"
CONTROL_KEY = "mockfiles.control"

__all__ = [
    "BACKEND_KEY",
    "CALL_KEY",
    "CONTROL_KEY",
    "DRIVEN_KEY",
    "IN_PROCESS_KEY",
    "TENANT_KEY",
    "WHOLE_RESPONSE_KEY",
    "backend_of",
    "call_of",
    "control_of",
    "tenant_of",
]


def tenant_of(scope: Scope) -> str:
    """The tenant the authenticated caller acts for."""
    tenant: str = scope.get(TENANT_KEY, SHARED_TENANT)
    return tenant


def call_of(scope: Scope) -> Call | None:
    """The journal entry being written for this request, if journaling is on."""
    call: Call | None = scope.get(CALL_KEY)
    return call


def backend_of(scope: Scope) -> Backend:
    """The backend (state and services) the request is for."""
    backend: Backend = scope[BACKEND_KEY]
    return backend


def control_of(scope: Scope) -> ControlService:
    """The control service a control route acts on (put in the scope by ``ControlApp``)."""
    control: ControlService = scope[CONTROL_KEY]
    return control
