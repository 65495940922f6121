"""The Uploads domain: a large file sent in parts that becomes an ordinary File.

Knows nothing of HTTP. Rules the mock follows (see the README's Uploads section):

- create checks the name and purpose as a file upload does, and the declared ``bytes``
  against the Upload limit (8 GB on ``openai``) and the purpose's own limit where the
  profile has one (``batch``: 200 MB) — checked on the declared size, so a too-large
  file is refused before any part is sent; the general per-file limit (512 MB) does
  not apply to an Upload;
- parts are at most the profile's part size (64 MB), may arrive concurrently, and may
  together hold at most the Upload limit;
- complete joins the named parts in the order given without copying a byte (the file's
  content is the parts' chunks), checks the byte total and the optional md5, and makes
  the file through the Files service (name, purpose, quota, expiry rules, tenant); parts
  not named are released; if the Files service refuses, the Upload stays pending;
- a tenant may have at most the profile's ``upload_max_pending`` Uploads pending at
  once (a 400 naming the cap beyond it; a tenant with none pending keeps no count);
- an Upload is ``expired`` from ``expires_at`` on (creation + one hour on ``openai``),
  a pure function of the clock read when it is looked at: its parts are dropped then
  (through :attr:`State.sweepers`) and their bytes released; every Upload record is
  forgotten :data:`RETAIN_SECONDS` after ``expires_at`` (then 404).
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..blobs import Blob
from ..dashboard import Column, Row, register_panel
from ..errors import InvalidRequest, NotFound
from ..profiles import HEX, IdFormat
from ..scenario_format import ScenarioError, content_bytes
from ..state import State
from ..store import StoredFile
from .base import Doc, RecordedExchange
from .files import FileService

UPLOAD_IDS = IdFormat(prefix="upload_", alphabet=HEX, length=32)
PART_IDS = IdFormat(prefix="part_", alphabet=HEX, length=32)

#: How long a finished or expired Upload is still known (answering 400 with its status
#: rather than 404) after its ``expires_at``.
RETAIN_SECONDS = 86_400

_MD5 = re.compile(r"[0-9a-fA-F]{32}")


class NoSuchUpload(NotFound):
    """The Upload id is unknown, long gone, or another tenant's."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"No such Upload object: {upload_id}", param="upload_id")


@dataclass
class UploadPart:
    """One part: its bytes as they arrived."""

    id: str
    upload_id: str
    created_at: int
    blob: Blob


@dataclass
class Upload:
    """An Upload and the parts it holds (the stored status; see :meth:`status`)."""

    id: str
    tenant: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: int
    expires_at: int
    #: The ``expires_after`` policy for the file it becomes.
    file_expires_after_seconds: int | None = None
    stored_status: str = "pending"
    parts: dict[str, UploadPart] = field(default_factory=dict)
    #: Bytes its parts hold.
    received: int = 0
    #: The file it became, once completed.
    file: StoredFile | None = None

    def status(self, now: float) -> str:
        """``pending`` / ``completed`` / ``cancelled``, or ``expired`` once the clock
        reaches ``expires_at`` while still pending."""
        if self.stored_status == "pending" and now >= self.expires_at:
            return "expired"
        return self.stored_status


class UploadService:
    """Uploads of every tenant, under the state's profile and clock. Thread-safe."""

    def __init__(self, state: State, files: FileService) -> None:
        self.state = state
        self.profile = state.profile
        self.files = files
        self._lock = threading.RLock()
        self._uploads: dict[str, Upload] = {}
        # How many pending Uploads each tenant has (a tenant with none has no entry).
        self._pending: dict[str, int] = {}
        # (when, seq, upload id): the next moment an Upload needs the sweeper.
        self._due: list[tuple[int, int, str]] = []
        self._seq = itertools.count()
        # Uploads restored from a scenario, scheduled on the first request after loading
        # (so a load in progress never expires an Upload it is still rebuilding).
        self._unscheduled: list[str] = []
        state.sweepers.append(self)

    # -- limits ---------------------------------------------------------------

    @property
    def max_bytes(self) -> int:
        """Most bytes one Upload accepts."""
        return self.profile.upload_max_bytes or 0

    def size_limit(self, purpose: str) -> int:
        """The largest file an Upload of ``purpose`` may declare."""
        own = self.profile.purpose_max_bytes.get(purpose)
        return self.max_bytes if own is None else min(own, self.max_bytes)

    # -- commands -------------------------------------------------------------

    def create(
        self,
        tenant: str,
        *,
        filename: str,
        purpose: str,
        bytes: int,
        mime_type: str,
        expires_after_seconds: int | None = None,
    ) -> Upload:
        """A pending Upload; ``purpose`` is one of the profile's upload purposes (the
        request schema checks that)."""
        self.files.check_name(filename, purpose, field="filename")
        limit = self.size_limit(purpose)
        if bytes > limit:
            whose = f"a file of purpose '{purpose}'" if limit < self.max_bytes else "an Upload"
            raise InvalidRequest(
                f"The Upload is too large: bytes={bytes}, but {whose} may be at most "
                f"{limit} bytes. Split the content into several files.",
                param="bytes",
            )
        now = self._now()
        created = int(now)
        upload = Upload(
            id=self.state.new_id(UPLOAD_IDS),
            tenant=tenant,
            filename=filename,
            purpose=purpose,
            bytes=bytes,
            mime_type=mime_type,
            created_at=created,
            expires_at=created + self.profile.upload_expiry_seconds,
            file_expires_after_seconds=expires_after_seconds,
        )
        with self._lock:
            cap = self.profile.upload_max_pending
            if self._pending.get(tenant, 0) >= cap:
                raise InvalidRequest(
                    f"Too many pending Uploads: this API key already has {cap} pending "
                    f"Uploads, the most it may have at once. Complete or cancel one (or let "
                    "it expire) before creating another."
                )
            self._add(upload)
            self._schedule(upload)
        return upload

    def check_open(self, tenant: str, upload_id: str) -> Upload:
        """The tenant's Upload if it still takes parts; otherwise the 404 or 400."""
        now = self._now()
        with self._lock:
            upload = self._get(tenant, upload_id)
            self._refuse_unless_pending(upload, now, "add parts to")
            return upload

    def add_part(self, tenant: str, upload_id: str, blob: Blob) -> UploadPart:
        """Add a part (already read within the part size) to a pending Upload."""
        limit = self.profile.upload_part_max_bytes
        if blob.size > limit:
            raise part_too_large(limit)
        now = self._now()
        with self._lock:
            upload = self._get(tenant, upload_id)
            self._refuse_unless_pending(upload, now, "add parts to")
            if upload.received + blob.size > self.max_bytes:
                raise InvalidRequest(
                    f"Upload {upload.id} already holds {upload.received} bytes in "
                    f"{len(upload.parts)} part(s); this part of {blob.size} bytes would take "
                    f"it past the {self.max_bytes} bytes an Upload accepts.",
                    param="data",
                )
            part = UploadPart(
                id=self._new_part_id(upload),
                upload_id=upload.id,
                created_at=int(now),
                blob=blob,
            )
            upload.parts[part.id] = part
            upload.received += blob.size
            return part

    def complete(
        self, tenant: str, upload_id: str, part_ids: Sequence[str], md5: str | None = None
    ) -> Upload:
        """Join the named parts, in order, into a file; O(parts) unless ``md5`` is
        given (which reads every byte once)."""
        now = self._now()
        with self._lock:
            upload = self._get(tenant, upload_id)
            self._refuse_unless_pending(upload, now, "complete")
            blob = self._joined(upload, part_ids)
            if blob.size != upload.bytes:
                raise InvalidRequest(
                    f"The parts listed in part_ids add up to {blob.size} bytes, but Upload "
                    f"{upload.id} was created with bytes={upload.bytes}. List every part of "
                    "the file, or create a new Upload with the right size.",
                    param="part_ids",
                )
            if md5 is not None:
                if not _MD5.fullmatch(md5):
                    raise InvalidRequest(
                        f"Invalid 'md5': expected 32 hexadecimal digits, got '{md5}'.",
                        param="md5",
                    )
                actual = blob.hexdigest("md5")
                if actual != md5.lower():
                    raise InvalidRequest(
                        f"The md5 of the parts joined in the order of part_ids is {actual}, "
                        f"but the request says {md5.lower()}. Check the order of part_ids "
                        "and the bytes sent in each part.",
                        param="md5",
                    )
            upload.file = self.files.upload(
                tenant,
                filename=upload.filename,
                purpose=upload.purpose,
                blob=blob,
                expires_after_seconds=upload.file_expires_after_seconds,
                max_bytes=self.size_limit(upload.purpose),
                created_at=upload.created_at,
            )
            self._finish(upload, "completed")
            return upload

    def cancel(self, tenant: str, upload_id: str) -> Upload:
        """Cancel a pending Upload (again: answered as it is); its parts are released."""
        now = self._now()
        with self._lock:
            upload = self._get(tenant, upload_id)
            if upload.status(now) != "cancelled":
                self._refuse_unless_pending(upload, now, "cancel")
                self._finish(upload, "cancelled")
            return upload

    # -- queries --------------------------------------------------------------

    def status(self, upload: Upload) -> str:
        """The Upload's status now."""
        return upload.status(self.state.clock.now())

    def get(self, tenant: str, upload_id: str) -> Upload:
        """The tenant's Upload, or a 404."""
        self._now()
        with self._lock:
            return self._get(tenant, upload_id)

    def uploads(self, tenant: str | None = None) -> list[Upload]:
        """Every Upload still known (of one tenant, or of all), oldest first."""
        self._now()
        with self._lock:
            found = [u for u in self._uploads.values() if tenant in (None, u.tenant)]
        return sorted(found, key=lambda u: u.created_at)

    def pending_by_tenant(self) -> dict[str, int]:
        """How many pending Uploads each tenant has (a tenant with none is absent)."""
        self._now()
        with self._lock:
            return dict(self._pending)

    def held_bytes(self, tenant: str | None = None) -> int:
        """Bytes held in parts of Uploads not yet completed (of one tenant, or all)."""
        return sum(u.received for u in self.uploads(tenant))

    # -- state ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every Upload."""
        with self._lock:
            self._uploads.clear()
            self._pending.clear()
            self._due.clear()
            self._unscheduled.clear()

    def restore(self, exchange: RecordedExchange) -> bool:
        """Re-create what a recorded create, part, complete or cancel did, ids and
        times kept."""
        route = exchange.route.strip("/").split("/")
        body = exchange.response_json
        if exchange.method != "POST" or route[0] != "uploads" or not isinstance(body, dict):
            return False
        try:
            if len(route) == 1 and body.get("object") == "upload":
                self._restore_create(exchange, body)
            elif len(route) == 3 and route[2] == "parts" and body.get("object") == "upload.part":
                self._restore_part(exchange, route[1], body)
            elif len(route) == 3 and route[2] == "complete" and body.get("object") == "upload":
                self._restore_complete(exchange, route[1], body)
            elif len(route) == 3 and route[2] == "cancel" and body.get("object") == "upload":
                with self._lock:
                    self._finish(self._restored(exchange, route[1]), "cancelled")
            else:
                return False
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(f"a recorded Upload step lacks a usable field: {exc!r}") from None
        return True

    def _restore_create(self, exchange: RecordedExchange, body: Doc) -> None:
        request = (exchange.request.get("body") or {}).get("json") or {}
        expires_after = request.get("expires_after") or {}
        seconds = expires_after.get("seconds")
        upload = Upload(
            id=str(body["id"]),
            tenant=exchange.tenant,
            filename=str(body["filename"]),
            purpose=str(body["purpose"]),
            bytes=int(body["bytes"]),
            mime_type=str(request.get("mime_type", "application/octet-stream")),
            created_at=int(body["created_at"]) + exchange.shift,
            expires_at=int(body["expires_at"]) + exchange.shift,
            file_expires_after_seconds=None if seconds is None else int(seconds),
        )
        with self._lock:
            if upload.id in self._uploads:
                raise ScenarioError(f"the scenario creates Upload {upload.id} twice")
            self._add(upload)
            self._unscheduled.append(upload.id)

    def _restore_part(self, exchange: RecordedExchange, upload_id: str, body: Doc) -> None:
        multipart = ((exchange.request.get("body") or {}).get("multipart")) or {}
        data = [f for f in multipart.get("files") or [] if f.get("field") == "data"]
        if not data:
            raise ScenarioError(f"a recorded part of {upload_id} has no 'data' to restore")
        blob = Blob.of(content_bytes(data[0]["content"]))
        with self._lock:
            upload = self._restored(exchange, upload_id)
            part = UploadPart(
                str(body["id"]), upload.id, int(body["created_at"]) + exchange.shift, blob
            )
            upload.parts[part.id] = part
            upload.received += blob.size

    def _restore_complete(self, exchange: RecordedExchange, upload_id: str, body: Doc) -> None:
        request = (exchange.request.get("body") or {}).get("json") or {}
        with self._lock:
            upload = self._restored(exchange, upload_id)
            blob = self._joined(upload, [str(p) for p in request["part_ids"]])
            upload.file = self.files.restore_file(body["file"], blob, upload.tenant, exchange.shift)
            self._finish(upload, "completed")

    def _restored(self, exchange: RecordedExchange, upload_id: str) -> Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or upload.tenant != exchange.tenant:
            raise ScenarioError(
                f"a recorded step names Upload {upload_id}, which the scenario never created"
            )
        return upload

    # -- internals ------------------------------------------------------------

    def _now(self) -> float:
        if self._unscheduled:
            with self._lock:
                for upload_id in self._unscheduled:
                    upload = self._uploads.get(upload_id)
                    if upload is not None:
                        self._schedule(upload)
                self._unscheduled.clear()
        return self.state.now()

    def _schedule(self, upload: Upload) -> None:
        when = upload.expires_at
        if upload.stored_status != "pending":
            when += RETAIN_SECONDS
        heapq.heappush(self._due, (when, next(self._seq), upload.id))
        self.state.wake(when)

    def next_due(self) -> float:
        """When the next Upload expires or is forgotten (:class:`Sweeper`)."""
        due = self._due
        return due[0][0] if due else math.inf

    def sweep(self, now: float) -> None:
        """Expire pending Uploads (parts dropped) and forget old records."""
        if not self._due or self._due[0][0] > now:
            return
        with self._lock:
            while self._due and self._due[0][0] <= now:
                _, _, upload_id = heapq.heappop(self._due)
                upload = self._uploads.get(upload_id)
                if upload is None:
                    continue
                if now >= upload.expires_at + RETAIN_SECONDS:
                    if upload.stored_status == "pending":
                        self._finish(upload, "expired")
                    del self._uploads[upload_id]
                elif upload.stored_status == "pending":
                    self._finish(upload, "expired")
                    self._schedule(upload)

    def _add(self, upload: Upload) -> None:
        """Keep a new pending Upload (under the lock)."""
        self._uploads[upload.id] = upload
        self._pending[upload.tenant] = self._pending.get(upload.tenant, 0) + 1

    def _finish(self, upload: Upload, status: str) -> None:
        """Leave ``pending``: every part is released (a completed file keeps its own
        references to the chunks it uses)."""
        if upload.stored_status == "pending":
            left = self._pending.pop(upload.tenant, 1) - 1
            if left:
                self._pending[upload.tenant] = left
        upload.stored_status = status
        upload.parts.clear()
        upload.received = 0

    def _get(self, tenant: str, upload_id: str) -> Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or upload.tenant != tenant:
            raise NoSuchUpload(upload_id)
        return upload

    def _refuse_unless_pending(self, upload: Upload, now: float, action: str) -> None:
        status = upload.status(now)
        if status == "pending":
            return
        if status == "completed":
            made = f" (it became file {upload.file.id})" if upload.file is not None else ""
            why = f"is already completed{made}"
        elif status == "cancelled":
            why = "was cancelled"
        else:
            why = (
                f"expired at {upload.expires_at}, "
                f"{self.profile.upload_expiry_seconds} seconds after it was created, and its "
                "parts were discarded"
            )
        raise InvalidRequest(
            f"Cannot {action} Upload {upload.id}: it {why}. Only a pending Upload takes "
            "parts, completes or cancels; create a new Upload and send the parts again.",
            param="upload_id",
        )

    def _joined(self, upload: Upload, part_ids: Sequence[str]) -> Blob:
        """The named parts' content in order (no bytes copied)."""
        seen: set[str] = set()
        blobs: list[Blob] = []
        for part_id in part_ids:
            if part_id in seen:
                raise InvalidRequest(
                    f"Part {part_id} is listed more than once in part_ids; list each part "
                    "once, in the order its bytes belong in the file.",
                    param="part_ids",
                )
            seen.add(part_id)
            part = upload.parts.get(part_id)
            if part is None:
                raise InvalidRequest(
                    f"Part {part_id} is not a part of Upload {upload.id}. Use the ids that "
                    f"adding parts to this Upload returned ({len(upload.parts)} so far).",
                    param="part_ids",
                )
            blobs.append(part.blob)
        return Blob.concat(blobs)

    def _new_part_id(self, upload: Upload) -> str:
        while True:
            part_id = self.state.new_id(PART_IDS)
            if part_id not in upload.parts:
                return part_id


def part_too_large(limit: int) -> InvalidRequest:
    """The refusal of a part over ``limit`` bytes."""
    return InvalidRequest(
        f"The part is too large: a part may be at most {limit} bytes. Send the file in "
        f"smaller parts (for example part_size={limit} with upload_file_chunked).",
        param="data",
    )


def _pending_rows(service: UploadService, tenant: str, limit: int) -> list[Row]:
    """The tenant's pending Uploads, newest first, for the dashboard."""
    rows: list[Row] = []
    for upload in reversed(service.uploads(tenant)):
        if service.status(upload) != "pending":
            continue
        rows.append(
            {
                "id": upload.id,
                "filename": upload.filename,
                "purpose": upload.purpose,
                "bytes": upload.bytes,
                "received": upload.received,
                "parts": len(upload.parts),
                "created_at": upload.created_at,
                "expires_at": upload.expires_at,
            }
        )
        if len(rows) == limit:
            break
    return rows


register_panel(
    UploadService,
    "Pending uploads",
    (
        Column("id", "ID"),
        Column("filename", "Name"),
        Column("purpose", "Purpose"),
        Column("bytes", "Declared", "bytes"),
        Column("received", "Received", "bytes"),
        Column("parts", "Parts", "number"),
        Column("created_at", "Created", "time"),
        Column("expires_at", "Expires", "time"),
    ),
    _pending_rows,
    empty="No pending uploads.",
)
