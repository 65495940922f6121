"""The Files domain: the service's rules for creating, reading, listing and deleting.

Knows nothing of HTTP. Raises the typed errors of :mod:`mockfiles.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..blobs import Blob
from ..dashboard import Column, Row, register_panel
from ..errors import FileTooLarge, InvalidRequest, NoSuchFile, QuotaExceeded
from ..scenario_format import ScenarioError, content_bytes
from ..state import State
from ..store import Order, Page, StoredFile, UnknownCursor
from ..validation import VALIDATORS, first_jsonl_problem, validate
from .base import Doc, RecordedExchange

#: Times (``created_at``, ``expires_at``) must fall within years 1970..9999.
MAX_TIME = 253_402_300_799


def check_filename(filename: str) -> None:
    """Refuse a name no client could receive back: one that cannot be encoded as UTF-8
    (a lone surrogate such as ``"\\udc80"``) or holds NUL. Other characters, LF
    included, are kept as given (downloads quote them safely)."""
    try:
        filename.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(
            f"Invalid filename {filename!r}: it cannot be encoded as UTF-8 (it holds a lone "
            "surrogate). Send the name as valid Unicode text.",
            param="filename",
            code="invalid_filename",
        ) from None
    if "\x00" in filename:
        raise InvalidRequest(
            f"Invalid filename {filename!r}: it holds a NUL character.",
            param="filename",
            code="invalid_filename",
        )


def _check_time(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME:
        raise InvalidRequest(
            f"Invalid '{what}': expected a whole Unix time between 0 and {MAX_TIME}, got "
            f"{value!r}.",
            param=what,
        )


@dataclass(frozen=True)
class ListQuery:
    """A validated listing request."""

    purpose: str | None = None
    limit: int = 10_000
    order: Order = "desc"
    after: str | None = None
    #: Exact matches on file attributes, e.g. ``(("filename", "a.jsonl"),)``.
    filters: tuple[tuple[str, str], ...] = ()

    def matches(self, record: StoredFile) -> bool:
        """Whether ``record`` passes every filter."""
        return all(getattr(record, name) == value for name, value in self.filters)


class FileService:
    """Files of every tenant, under the state's profile and clock."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.profile = state.profile
        self.clock = state.clock
        self.store = state.store
        self.urls = state.urls

    # -- commands -------------------------------------------------------------

    def upload(
        self,
        tenant: str,
        *,
        filename: str,
        purpose: str,
        blob: Blob,
        expires_after_seconds: int | None = None,
        max_bytes: int | None = None,
        created_at: int | None = None,
    ) -> StoredFile:
        """Store a client upload, applying the service's checks on name and size.

        ``purpose`` must already be one of the profile's upload purposes (the request
        schema checks that). ``max_bytes`` replaces the profile's size limit (an Upload
        has its own); ``created_at`` dates the file (an Upload's file is as old as it).
        """
        self.check_name(filename, purpose)
        self.check_size(purpose, blob.size, max_bytes)
        api_name = self.profile.jsonl_purposes.get(purpose)
        if purpose in self.profile.jsonl_checked_purposes:
            problem = first_jsonl_problem(blob)
            if problem is not None:
                raise InvalidRequest(
                    f"Invalid file format for {api_name or 'this purpose'}. Each line must be "
                    f"a valid JSON object: {problem}",
                    param="file",
                    code="invalid_file_format",
                )
        problems = (
            validate(blob, purpose) if self.state.validate_content and purpose in VALIDATORS else []
        )
        return self.create(
            tenant,
            filename=filename,
            purpose=purpose,
            blob=blob,
            expires_after_seconds=expires_after_seconds,
            created_at=created_at,
            failed=bool(problems),
            status_details=str(problems[0]) if problems else None,
        )

    def check_name(self, filename: str, purpose: str, *, field: str = "file") -> None:
        """The checks on a new file's name and purpose that need no content. ``field``
        is where the name came from: the multipart ``file`` part, or a JSON ``filename``
        (named as ``param`` in errors)."""
        check_filename(filename)
        if not filename.strip():
            if field == "file":
                raise InvalidRequest("The file part has an empty filename.", param="file")
            raise InvalidRequest(f"'{field}' must not be empty.", param=field)
        if len(filename) > self.profile.max_filename_chars:
            raise InvalidRequest(
                f"The filename is too long: {len(filename)} characters, at most "
                f"{self.profile.max_filename_chars} are accepted.",
                param=field,
            )
        refusal = self.profile.unsupported_purposes.get(purpose)
        if refusal is not None:
            raise InvalidRequest(refusal, param="purpose", code="unsupported_purpose")
        if purpose in self.profile.jsonl_filename_required and not filename.lower().endswith(
            ".jsonl"
        ):
            api_name = self.profile.jsonl_purposes.get(purpose) or f"{purpose} files"
            raise InvalidRequest(f"Invalid file format for {api_name}. Must be .jsonl")

    def import_url(self, tenant: str, *, url: str, filename: str, purpose: str) -> StoredFile:
        """Create a file from what ``url`` serves, checked exactly like an upload."""
        blob = self.urls.fetch(url)
        return self.upload(tenant, filename=filename, purpose=purpose, blob=blob)

    def create(
        self,
        tenant: str,
        *,
        filename: str,
        purpose: str,
        blob: Blob,
        expires_after_seconds: int | None = None,
        created_at: int | None = None,
        status_details: str | None = None,
        failed: bool = False,
        file_id: str | None = None,
    ) -> StoredFile:
        """Store a file as the service would (no upload-only checks); quota applies.

        Every way in (upload, import, seed, scenario) passes here: names that cannot be
        encoded, duplicate ids and times outside years 1970..9999 are refused (400).
        """
        check_filename(filename)
        if file_id is not None and self.store.find(file_id) is not None:
            raise InvalidRequest(f"A file with id '{file_id}' already exists.", param="id")
        now = self.state.now()
        created = int(now) if created_at is None else created_at
        _check_time(created, "created_at")
        seconds = (
            expires_after_seconds
            if expires_after_seconds is not None
            else self.profile.default_expiry(purpose)
        )
        if seconds is not None:
            _check_time(created + seconds, "expires_at")
        processing = self.state.processing_seconds
        record = StoredFile(
            id=file_id or self.state.new_id(),
            tenant=tenant,
            filename=filename,
            purpose=purpose,
            created_at=created,
            expires_at=None if seconds is None else created + seconds,
            blob=blob,
            ready_at=None if processing <= 0 else now + processing,
            status_details=status_details,
            failed=failed,
        )
        quota = self.profile.storage_quota_bytes
        if not self.store.add(record, quota=quota):
            used = self.store.used_bytes(tenant)
            raise QuotaExceeded(
                f"Storage quota exceeded: this file is {blob.size} bytes, {used} of "
                f"{quota} bytes are already used. Delete files to free space.",
                param="file",
                code="quota_exceeded",
            )
        return record

    def delete(self, tenant: str, file_id: str) -> StoredFile:
        """Delete a file; unknown, expired or foreign ids are a 404."""
        record = self.retrieve(tenant, file_id)
        self.store.remove(tenant, file_id)
        return record

    # -- queries --------------------------------------------------------------

    def retrieve(self, tenant: str, file_id: str) -> StoredFile:
        """The file, or a 404 if it is unknown, expired or another tenant's."""
        self.state.now()
        record = self.store.get(tenant, file_id)
        if record is None:
            raise NoSuchFile(file_id)
        return record

    def content(self, tenant: str, file_id: str) -> StoredFile:
        """The file whose bytes may be downloaded; refused purposes are a 400."""
        record = self.retrieve(tenant, file_id)
        if record.purpose not in self.profile.downloadable_purposes:
            raise InvalidRequest(f"Not allowed to download files of purpose: {record.purpose}")
        return record

    def list(self, tenant: str, query: ListQuery) -> Page:
        """One page of the tenant's files."""
        self.state.now()
        try:
            return self.store.page(
                tenant,
                purpose=query.purpose,
                limit=query.limit,
                order=query.order,
                after=query.after,
                match=query.matches if query.filters else None,
            )
        except UnknownCursor:
            raise InvalidRequest(
                f"Invalid 'after': no file with id '{query.after}' to page after. "
                "Pass the id of a file from a previous page.",
                param="after",
            ) from None

    def status(self, record: StoredFile) -> str:
        """``uploaded`` while processing, then ``processed`` (or ``error``)."""
        if record.failed:
            return "error"
        if record.ready_at is None or self.clock.now() >= record.ready_at:
            return "processed"
        return "uploaded"

    def check_size(self, purpose: str | None, size: int, limit: int | None = None) -> None:
        """Raise :class:`FileTooLarge` if ``size`` passes the limit for ``purpose`` (or
        ``limit`` when given)."""
        limit = self.profile.size_limit(purpose) if limit is None else limit
        if size > limit:
            raise FileTooLarge(
                f"File is too large: {size} bytes is over the {limit}-byte limit"
                + (f" for purpose '{purpose}'." if purpose else "."),
                param="file",
            )

    # -- state --------------------------------------------------------------------

    def reset(self) -> None:
        """Files live in the shared store, which the backend clears."""

    def restore(self, exchange: RecordedExchange) -> bool:
        """Re-create what a recorded upload, import or delete did, ids and times kept."""
        body = exchange.response_json
        route = exchange.route
        if exchange.method == "DELETE" and route.startswith("/files/") and route.count("/") == 2:
            self.store.remove(exchange.tenant, route.removeprefix("/files/"))
            return True
        if exchange.method != "POST" or not isinstance(body, dict) or body.get("object") != "file":
            return False
        if route == "/files":
            blob = Blob.of(_uploaded_bytes(exchange.request))
        elif route in self.profile.import_paths:
            request_body = exchange.request.get("body") or {}
            blob = self.urls.fetch(str(request_body.get("json", {}).get("content_url")))
        else:
            return False
        self.restore_file(body, blob, exchange.tenant, exchange.shift)
        return True

    def restore_file(self, document: Doc, blob: Blob, tenant: str, shift: int) -> StoredFile:
        """Store a file described by a recorded file object (or seed), times shifted."""
        try:
            created_at = int(document["created_at"]) + shift
            expires_at = document.get("expires_at")
            return self.create(
                tenant,
                file_id=str(document["id"]),
                filename=str(document["filename"]),
                purpose=str(document["purpose"]),
                blob=blob,
                created_at=created_at,
                expires_after_seconds=(
                    None if expires_at is None else int(expires_at) + shift - created_at
                ),
                failed=document.get("status") == "error",
                status_details=document.get("status_details"),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ScenarioError(f"a recorded file lacks a usable field: {exc!r}") from None


def _uploaded_bytes(request: Doc) -> bytes:
    """The content of the file part of a recorded multipart upload."""
    files = ((request.get("body") or {}).get("multipart") or {}).get("files") or []
    if not files:
        raise ScenarioError("a recorded upload has no file part to restore")
    return content_bytes(files[0]["content"])


def _file_rows(service: FileService, tenant: str, limit: int) -> list[Row]:
    """The tenant's newest files, for the dashboard."""
    page = service.list(tenant, ListQuery(limit=limit, order="desc"))
    return [
        {
            "id": record.id,
            "filename": record.filename,
            "purpose": record.purpose,
            "bytes": record.bytes,
            "status": service.status(record),
            "created_at": record.created_at,
            "expires_at": record.expires_at,
        }
        for record in page.files
    ]


register_panel(
    FileService,
    "Files",
    (
        Column("id", "ID", "file"),
        Column("filename", "Name"),
        Column("purpose", "Purpose"),
        Column("bytes", "Bytes", "bytes"),
        Column("status", "Status"),
        Column("created_at", "Created", "time"),
        Column("expires_at", "Expires", "time"),
    ),
    _file_rows,
    empty="No files.",
)
