"""mockfiles: a stateful, in-process mock of the OpenAI-style Files API."""

from .blobs import Blob
from .clock import Clock
from .errors import MockFilesError, NoSuchFile
from .journal import Call, Journal
from .mock import MockFiles
from .profiles import OPENAI, PROFILES, IdFormat, Profile, get_profile
from .store import StoredFile

__all__ = [
    "OPENAI",
    "PROFILES",
    "Blob",
    "Call",
    "Clock",
    "IdFormat",
    "Journal",
    "MockFiles",
    "MockFilesError",
    "NoSuchFile",
    "Profile",
    "StoredFile",
    "get_profile",
]
