"""mockfiles: a stateful, in-process mock of the OpenAI-style Files API."""

from .batch_types import (
    DEFAULT_BATCH_DURATIONS,
    BatchErrorResponse,
    BatchExpired,
    BatchFailed,
    BatchRequest,
)
from .blobs import Blob
from .clock import Clock
from .errors import MockFilesError, NoSuchFile
from .journal import Call, Journal
from .mock import MockFiles, stop_patch
from .profiles import (
    AZURE,
    BATCH_ONLY,
    COMPASS,
    DOCUMENTED_KEY_ORDER,
    OPENAI,
    PROFILES,
    RECORDED_KEY_ORDER,
    IdFormat,
    KeyOrder,
    Profile,
    get_profile,
    register_profile,
)
from .store import StoredFile
from .urls import UrlRegistry

__all__ = [
    "AZURE",
    "BATCH_ONLY",
    "COMPASS",
    "DEFAULT_BATCH_DURATIONS",
    "DOCUMENTED_KEY_ORDER",
    "OPENAI",
    "PROFILES",
    "RECORDED_KEY_ORDER",
    "BatchErrorResponse",
    "BatchExpired",
    "BatchFailed",
    "BatchRequest",
    "Blob",
    "Call",
    "Clock",
    "IdFormat",
    "Journal",
    "KeyOrder",
    "MockFiles",
    "MockFilesError",
    "NoSuchFile",
    "Profile",
    "StoredFile",
    "UrlRegistry",
    "get_profile",
    "register_profile",
    "stop_patch",
]
