"""Provider dialects as data: purposes, limits, expiry rules, auth and id format.

A :class:`Profile` is a frozen dataclass; derive your own from an existing one with
:meth:`Profile.replace` (``OPENAI.replace(max_file_bytes=1024)``) instead of
subclassing anything.
"""

from __future__ import annotations

import dataclasses
import random
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

MB = 1024 * 1024
GB = 1024 * MB
TB = 1024 * GB
DAY = 86_400

BASE62 = string.digits + string.ascii_letters
HEX = "0123456789abcdef"

#: ``bearer``: ``Authorization: Bearer KEY``; ``api-key``: an ``api-key: KEY`` header;
#: ``api-key-or-bearer``: either (Azure: a key, or an Entra token as Bearer).
AuthScheme = Literal["bearer", "api-key", "api-key-or-bearer"]


@dataclass(frozen=True)
class IdFormat:
    """How file ids look: ``prefix`` followed by ``length`` characters of ``alphabet``."""

    prefix: str = "file-"
    alphabet: str = BASE62
    length: int = 22

    def new(self, rng: random.Random) -> str:
        """A fresh random id."""
        return self.prefix + "".join(rng.choices(self.alphabet, k=self.length))


@dataclass(frozen=True)
class KeyOrder:
    """The order of keys in file objects, lists and delete answers (clients that compare
    bodies byte for byte see it). A key a profile does not send is skipped."""

    file_object: tuple[str, ...]
    file_list: tuple[str, ...]
    deleted: tuple[str, ...]


#: The order the service writes (recorded 2025-10 to 2026-05).
RECORDED_KEY_ORDER = KeyOrder(
    file_object=(
        "object",
        "id",
        "purpose",
        "filename",
        "bytes",
        "created_at",
        "expires_at",
        "status",
        "status_details",
    ),
    file_list=("object", "data", "has_more", "first_id", "last_id"),
    deleted=("object", "deleted", "id"),
)

#: The order of the API reference's examples (and of the providers' documents).
DOCUMENTED_KEY_ORDER = KeyOrder(
    file_object=(
        "id",
        "object",
        "bytes",
        "created_at",
        "filename",
        "purpose",
        "status",
        "expires_at",
        "status_details",
    ),
    file_list=("object", "data", "first_id", "last_id", "has_more"),
    deleted=("id", "object", "deleted"),
)


@dataclass(frozen=True, eq=False)
class Profile:
    """Everything that differs between the services the mock imitates."""

    name: str
    #: Path prefix of the Files routes (``/v1`` gives ``/v1/files``).
    base_path: str = "/v1"
    #: Purposes a client may send on upload, in the order the error message lists them.
    upload_purposes: tuple[str, ...] = ()
    #: Upload purposes the service recognises but refuses, with the message it gives.
    unsupported_purposes: Mapping[str, str] = field(default_factory=dict)
    #: Purposes a stored file may carry (uploads plus outputs the service creates).
    file_purposes: tuple[str, ...] = ()
    #: Purposes whose content may be downloaded.
    downloadable_purposes: frozenset[str] = frozenset()
    #: The API each JSONL purpose feeds, as format errors name it (``"Batch API"``).
    jsonl_purposes: Mapping[str, str] = field(default_factory=dict)
    #: Purposes whose upload filename must end in ``.jsonl`` (``Invalid file format for
    #: {API}. Must be .jsonl``). The service dropped the rule for ``batch`` (recorded
    #: 2025-10); ``frozenset({"batch", "fine-tune"})`` restores the older reading.
    jsonl_filename_required: frozenset[str] = frozenset()
    #: Purposes whose content is checked at upload: one JSON object per line.
    jsonl_checked_purposes: frozenset[str] = frozenset()
    #: Largest file accepted, in bytes.
    max_file_bytes: int = 512 * MB
    #: Tighter per-purpose limits, in bytes.
    purpose_max_bytes: Mapping[str, int] = field(default_factory=dict)
    #: Total bytes one tenant may store (``None``: unlimited).
    storage_quota_bytes: int | None = None
    #: Expiry applied when the upload sets none, per purpose, in seconds.
    default_expiry_seconds: Mapping[str, int] = field(default_factory=dict)
    #: Expiry for every other purpose when the upload sets none (``None``: never).
    default_expiry_all_seconds: int | None = None
    #: Bounds of ``expires_after[seconds]``.
    expires_after_min_seconds: int = 3600
    expires_after_max_seconds: int = 30 * DAY
    #: Keys of ``expires_after`` a client must send when it sends the policy at all
    #: (a missing ``anchor`` defaults to ``created_at``; a missing ``seconds`` to
    #: :attr:`default_expiry_all_seconds`).
    expires_after_required: tuple[str, ...] = ("anchor", "seconds")
    #: How ids are made.
    id_format: IdFormat = IdFormat()
    #: How the API key is sent.
    auth_scheme: AuthScheme = "bearer"
    #: Whether file objects carry ``status`` / ``status_details``.
    include_status: bool = True
    #: Key order of file objects, lists and delete answers.
    key_order: KeyOrder = DOCUMENTED_KEY_ORDER
    #: Whether error bodies carry a sibling ``"detail": {"message", "code": null}`` beside
    #: ``"error"`` (recorded 2026-05; older recordings have ``error`` alone).
    error_detail: bool = False
    #: Whether every answer carries ``openai-organization`` and ``openai-project`` (the
    #: client's, or the mock's), as the service's do. ``x-request-id``, ``openai-version``
    #: and ``openai-processing-ms`` are sent by every profile.
    organization_headers: bool = False
    #: Query parameters every request must carry: name -> (message, code) when missing.
    required_query: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: List paging: default and largest ``limit``.
    list_default_limit: int = 10_000
    list_max_limit: int = 10_000
    #: Exact-match list filters besides ``purpose`` (e.g. ``filename``).
    list_filters: tuple[str, ...] = ()
    #: Routes (under :attr:`base_path`) that import a file from a URL; empty: none.
    import_paths: tuple[str, ...] = ()
    #: Purposes an import may give.
    import_purposes: tuple[str, ...] = ()
    #: The ``openai`` client class that speaks this dialect, and its keyword arguments;
    #: ``{base_url}``, ``{root_url}`` and ``{api_key}`` are filled in.
    client_class: str = "OpenAI"
    client_kwargs: Mapping[str, Any] = field(
        default_factory=lambda: {"base_url": "{base_url}", "api_key": "{api_key}"}
    )
    #: Environment set while patched (same placeholders), and set only where unset.
    env: Mapping[str, str] = field(default_factory=lambda: {"OPENAI_BASE_URL": "{base_url}"})
    env_defaults: Mapping[str, str] = field(default_factory=lambda: {"OPENAI_API_KEY": "{api_key}"})
    #: Longest filename accepted, in characters.
    max_filename_chars: int = 1024
    #: Largest non-file multipart field and most fields per upload.
    max_field_bytes: int = 64 * 1024
    max_form_fields: int = 16
    #: The Uploads API (large files in parts): most bytes one Upload accepts
    #: (``None``: the provider has no Uploads API), largest part, and how long an
    #: Upload stays open after creation, in seconds.
    upload_max_bytes: int | None = None
    upload_part_max_bytes: int = 64 * MB
    upload_expiry_seconds: int = 3600
    #: Most Uploads one tenant may have pending at once (the mock's choice: nothing
    #: public states a number; it keeps a long-running server's memory bounded).
    upload_max_pending: int = 1000
    #: Endpoints a batch may target; empty: the profile has no Batches API.
    batch_endpoints: tuple[str, ...] = ()
    #: Purpose of the output and error files a batch produces.
    batch_output_purpose: str = "batch_output"
    #: Whether a batch still unfinished at ``expires_at`` becomes ``expired``.
    batches_expire: bool = True
    #: How batch ids look.
    batch_id_format: IdFormat = IdFormat(prefix="batch_", alphabet=HEX, length=32)

    def replace(self, **changes: Any) -> Profile:
        """A copy with some fields changed; unknown names raise ``TypeError``."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"unknown profile field(s) {', '.join(unknown)}; "
                f"profile fields are: {', '.join(sorted(known))}"
            )
        return dataclasses.replace(self, **changes)

    def size_limit(self, purpose: str | None) -> int:
        """The largest file accepted for ``purpose`` (the general limit if unknown)."""
        if purpose is None:
            return self.max_file_bytes
        return min(self.max_file_bytes, self.purpose_max_bytes.get(purpose, self.max_file_bytes))

    def default_expiry(self, purpose: str) -> int | None:
        """Seconds until a file of ``purpose`` expires when the upload sets no policy."""
        return self.default_expiry_seconds.get(purpose, self.default_expiry_all_seconds)


#: The endpoints of the Batch API, in the order its error message lists them.
BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)

OPENAI = Profile(
    name="openai",
    upload_purposes=("fine-tune", "assistants", "batch", "user_data", "vision", "evals"),
    file_purposes=(
        "assistants",
        "assistants_output",
        "batch",
        "batch_output",
        "fine-tune",
        "fine-tune-results",
        "vision",
        "user_data",
        "evals",
    ),
    downloadable_purposes=frozenset(
        {"batch", "batch_output", "fine-tune-results", "assistants_output", "vision", "evals"}
    ),
    jsonl_purposes={"batch": "Batch API", "fine-tune": "Fine-Tuning API"},
    jsonl_filename_required=frozenset({"fine-tune"}),
    key_order=RECORDED_KEY_ORDER,
    error_detail=True,
    organization_headers=True,
    max_file_bytes=512 * MB,
    purpose_max_bytes={"batch": 200 * MB},
    storage_quota_bytes=int(2.5 * TB),
    default_expiry_seconds={"batch": 30 * DAY},
    upload_max_bytes=8 * GB,
    batch_endpoints=BATCH_ENDPOINTS,
)

COMPASS_PURPOSES = (
    "batch",
    "fine-tune",
    "vision",
    "assistants",
    "batch_output",
    "fine-tune-results",
    "assistants_output",
)

COMPASS = OPENAI.replace(
    name="compass",
    upload_purposes=("batch", "fine-tune", "vision", "assistants"),
    file_purposes=COMPASS_PURPOSES,
    downloadable_purposes=frozenset(COMPASS_PURPOSES),  # the document refuses none
    jsonl_purposes={"fine-tune": "Fine-Tuning API"},
    jsonl_filename_required=frozenset({"fine-tune"}),
    jsonl_checked_purposes=frozenset({"fine-tune"}),
    key_order=DOCUMENTED_KEY_ORDER,
    error_detail=False,
    organization_headers=False,
    purpose_max_bytes={},
    storage_quota_bytes=None,
    default_expiry_seconds={},
    default_expiry_all_seconds=90 * DAY,
    id_format=IdFormat(prefix="file-", alphabet=HEX, length=32),
    auth_scheme="api-key",
    include_status=False,
    list_filters=("filename",),
    import_paths=("/files/import", "/file/import"),
    import_purposes=("fine-tune", "vision", "assistants"),
    upload_max_bytes=None,
    batch_endpoints=(),  # its document describes the Files API only
    client_kwargs={
        "base_url": "{base_url}",
        "api_key": "{api_key}",
        "default_headers": {"api-key": "{api_key}"},
    },
)

BATCH_ONLY = OPENAI.replace(
    name="batch_only",
    upload_purposes=("batch", "fine-tune"),
    unsupported_purposes={
        "fine-tune": "Fine-tuning is not yet supported: only purpose 'batch' can be uploaded."
    },
    file_purposes=("batch", "fine-tune", "batch-output"),
    downloadable_purposes=frozenset({"batch", "fine-tune", "batch-output"}),
    jsonl_purposes={"batch": "Batch API"},
    jsonl_filename_required=frozenset({"batch"}),
    key_order=DOCUMENTED_KEY_ORDER,
    error_detail=False,
    organization_headers=False,
    purpose_max_bytes={"batch": 200 * MB},
    storage_quota_bytes=2 * GB,
    default_expiry_seconds={},
    default_expiry_all_seconds=30 * DAY,
    expires_after_required=(),
    include_status=False,
    upload_max_bytes=None,
    batch_output_purpose="batch-output",
)

AZURE_API_VERSION = "2024-10-21"

AZURE = OPENAI.replace(
    name="azure",
    base_path="/openai",
    id_format=IdFormat(prefix="file-", alphabet=HEX, length=32),
    auth_scheme="api-key-or-bearer",
    # Azure's reference (2024-10-21): POST /openai/uploads, up to 9 GB, open two hours.
    upload_max_bytes=9 * GB,
    upload_expiry_seconds=2 * 3600,
    batches_expire=False,  # Azure: jobs past 24 h are not expired
    error_detail=False,
    organization_headers=False,
    required_query={
        "api-version": (
            "The api-version query parameter (?api-version=) is required for all requests.",
            "MissingApiVersionParameter",
        )
    },
    client_class="AzureOpenAI",
    client_kwargs={
        "azure_endpoint": "{root_url}",
        "api_key": "{api_key}",
        "api_version": AZURE_API_VERSION,
    },
    env={"AZURE_OPENAI_ENDPOINT": "{root_url}"},
    env_defaults={"AZURE_OPENAI_API_KEY": "{api_key}", "OPENAI_API_VERSION": AZURE_API_VERSION},
)

BUILTIN_PROFILES: tuple[Profile, ...] = (OPENAI, COMPASS, BATCH_ONLY, AZURE)

#: Every profile selectable by name: the built-in ones and any registered since.
PROFILES: dict[str, Profile] = {p.name: p for p in BUILTIN_PROFILES}


def register_profile(profile: Profile) -> Profile:
    """Make ``profile`` selectable by name everywhere (marker, CLI, ``MockFiles``)."""
    PROFILES[profile.name] = profile
    return profile


def get_profile(profile: str | Profile) -> Profile:
    """The profile named ``profile`` (or ``profile`` itself if already a Profile)."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown profile {profile!r}; known profiles: {', '.join(sorted(PROFILES))}"
        ) from None
