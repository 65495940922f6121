"""Per-tenant file records: ordered indexes for paging, expiry, usage. Thread-safe.

The store knows nothing of profiles or HTTP; it keeps records and answers queries.
Each tenant keeps, per purpose and for all purposes, a list of ``(created_at, seq, id)``
keys in order, so a page costs O(log n + limit) and ties on ``created_at`` are broken by
the insertion sequence (paging is exact even when many files share one second).
"""

from __future__ import annotations

import bisect
import builtins
import heapq
import itertools
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from .blobs import Blob

SortKey = tuple[int, int, str]

#: Positions of removed files kept per tenant for cursors (the oldest are forgotten
#: first: a cursor naming a file removed longer ago is then an unknown cursor). A tenant
#: whose last file goes is dropped whole; its removals join one shared memory of at most
#: this many positions (all emptied tenants together), so a returning key's cursors keep
#: working while a server seeing many keys keeps nothing per key.
MAX_FORMER_KEYS = 10_000
Order = Literal["asc", "desc"]


@dataclass
class StoredFile:
    """One stored file: its metadata and its content."""

    id: str
    tenant: str
    filename: str
    purpose: str
    created_at: int
    expires_at: int | None
    blob: Blob
    #: When processing ends (``None``: processed on arrival).
    ready_at: float | None
    status_details: str | None = None
    failed: bool = False
    seq: int = 0

    @property
    def bytes(self) -> int:
        """Size of the content in bytes."""
        return self.blob.size

    @property
    def content(self) -> builtins.bytes:
        """The file's bytes."""
        return self.blob.read()

    @property
    def sort_key(self) -> SortKey:
        """Position of the file in listings."""
        return (self.created_at, self.seq, self.id)


@dataclass
class Page:
    """One page of a listing."""

    files: list[StoredFile]
    has_more: bool


@dataclass
class _Tenant:
    by_id: dict[str, StoredFile] = field(default_factory=dict)
    # None indexes every file; a purpose indexes that purpose's files.
    indexes: dict[str | None, list[SortKey]] = field(default_factory=dict)
    # Where removed files stood, so a cursor naming one still pages exactly.
    former_keys: dict[str, SortKey] = field(default_factory=dict)
    used_bytes: int = 0


def _matching(
    tenant: _Tenant, keys: Iterable[SortKey], match: Callable[[StoredFile], bool], wanted: int
) -> list[SortKey]:
    found: list[SortKey] = []
    for key in keys:
        if match(tenant.by_id[key[2]]):
            found.append(key)
            if len(found) == wanted:
                break
    return found


class UnknownCursor(LookupError):
    """``after`` names a file this tenant never had."""


class Store:
    """Thread-safe in-memory file records, grouped by tenant."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tenants: dict[str, _Tenant] = {}
        # Former keys of tenants dropped when their last file went, oldest first.
        self._emptied: dict[str, dict[str, SortKey]] = {}
        self._emptied_keys = 0
        self._expiries: list[tuple[int, int, str, str]] = []
        #: Told each time an expiry is scheduled, with its time.
        self.on_expiry: Callable[[float], None] | None = None
        self._stale_expiries = 0
        self._seq = itertools.count(1)

    # -- writes ---------------------------------------------------------------

    def add(self, record: StoredFile, *, quota: int | None = None) -> bool:
        """Store ``record`` unless it would take the tenant past ``quota`` bytes.

        Returns False (and stores nothing) when the quota would be exceeded.
        """
        with self._lock:
            tenant = self._tenants.get(record.tenant)
            used = 0 if tenant is None else tenant.used_bytes
            if quota is not None and used + record.bytes > quota:
                return False
            if tenant is None:
                former = self._emptied.pop(record.tenant, {})
                self._emptied_keys -= len(former)
                tenant = self._tenants[record.tenant] = _Tenant(former_keys=former)
            record.seq = next(self._seq)
            key = record.sort_key
            tenant.by_id[record.id] = record
            tenant.used_bytes += record.bytes
            for index_name in (None, record.purpose):
                keys = tenant.indexes.setdefault(index_name, [])
                if not keys or keys[-1] < key:
                    keys.append(key)
                else:
                    bisect.insort(keys, key)
            if record.expires_at is not None:
                heapq.heappush(
                    self._expiries, (record.expires_at, record.seq, record.tenant, record.id)
                )
                if self.on_expiry is not None:
                    self.on_expiry(record.expires_at)
            return True

    def remove(self, tenant_name: str, file_id: str) -> StoredFile | None:
        """Remove and return a file, or None if the tenant has no such file."""
        with self._lock:
            tenant = self._tenants.get(tenant_name)
            record = tenant.by_id.pop(file_id, None) if tenant else None
            if tenant is None or record is None:
                return None
            key = record.sort_key
            for index_name in (None, record.purpose):
                keys = tenant.indexes[index_name]
                del keys[bisect.bisect_left(keys, key)]
            tenant.former_keys[file_id] = key
            if len(tenant.former_keys) > MAX_FORMER_KEYS:
                del tenant.former_keys[next(iter(tenant.former_keys))]
            tenant.used_bytes -= record.bytes
            if not tenant.by_id:
                self._drop(tenant_name, tenant)
            if record.expires_at is not None:
                self._stale_expiries += 1
                if self._stale_expiries > 1024 and self._stale_expiries * 2 > len(self._expiries):
                    self._compact_expiries()
            return record

    def _drop(self, tenant_name: str, tenant: _Tenant) -> None:
        """Forget a tenant that holds no file; keep its former keys in the shared,
        bounded memory of emptied tenants (oldest removals forgotten first)."""
        del self._tenants[tenant_name]
        self._emptied[tenant_name] = tenant.former_keys
        self._emptied_keys += len(tenant.former_keys)
        while self._emptied_keys > MAX_FORMER_KEYS:
            oldest_name, oldest = next(iter(self._emptied.items()))
            del oldest[next(iter(oldest))]
            self._emptied_keys -= 1
            if not oldest:
                del self._emptied[oldest_name]

    def _compact_expiries(self) -> None:
        """Drop expiry entries of files already removed (so deletes do not pile up)."""
        self._expiries = [
            entry
            for entry in self._expiries
            if (t := self._tenants.get(entry[2])) is not None
            and (r := t.by_id.get(entry[3])) is not None
            and r.seq == entry[1]
        ]
        heapq.heapify(self._expiries)
        self._stale_expiries = 0

    def next_expiry(self) -> float:
        """When the next file expires (``math.inf`` if none will)."""
        expiries = self._expiries
        return expiries[0][0] if expiries else math.inf

    def purge_expired(self, now: float) -> list[StoredFile]:
        """Remove every file whose ``expires_at`` is at or before ``now``."""
        purged: list[StoredFile] = []
        if not self._expiries or self._expiries[0][0] > now:
            return purged
        with self._lock:
            while self._expiries and self._expiries[0][0] <= now:
                _, seq, tenant_name, file_id = heapq.heappop(self._expiries)
                record = self.get(tenant_name, file_id)
                if record is not None and record.seq == seq:
                    self.remove(tenant_name, file_id)
                    self._stale_expiries -= 1  # its entry is already gone from the heap
                    purged.append(record)
                else:
                    self._stale_expiries -= 1
        return purged

    def clear(self) -> None:
        """Forget every file."""
        with self._lock:
            self._tenants.clear()
            self._emptied.clear()
            self._emptied_keys = 0
            self._expiries.clear()
            self._stale_expiries = 0

    # -- reads ----------------------------------------------------------------

    def get(self, tenant_name: str, file_id: str) -> StoredFile | None:
        """The tenant's file with this id, or None."""
        tenant = self._tenants.get(tenant_name)
        return tenant.by_id.get(file_id) if tenant else None

    def find(self, file_id: str) -> StoredFile | None:
        """The file with this id, whichever tenant holds it."""
        for tenant in list(self._tenants.values()):
            record = tenant.by_id.get(file_id)
            if record is not None:
                return record
        return None

    def used_bytes(self, tenant_name: str) -> int:
        """Bytes the tenant stores."""
        tenant = self._tenants.get(tenant_name)
        return tenant.used_bytes if tenant else 0

    def page(
        self,
        tenant_name: str,
        *,
        purpose: str | None,
        limit: int,
        order: Order,
        after: str | None,
        match: Callable[[StoredFile], bool] | None = None,
    ) -> Page:
        """Up to ``limit`` files in ``order`` after the file ``after`` (exclusive).

        Without ``match`` a page costs O(log n + limit); with it, files are scanned
        from the cursor until ``limit + 1`` match. Raises :class:`UnknownCursor` when
        ``after`` names a file the tenant never had.
        """
        with self._lock:
            tenant = self._tenants.get(tenant_name)
            if tenant is None:
                if after is not None and after not in self._emptied.get(tenant_name, {}):
                    raise UnknownCursor(after)
                return Page([], False)
            keys = tenant.indexes.get(purpose, [])
            if order == "asc":
                start = (
                    0 if after is None else bisect.bisect_right(keys, self._cursor(tenant, after))
                )
                ordered: Iterable[SortKey] = (
                    keys[start:] if match else keys[start : start + limit + 1]
                )
            else:
                end = (
                    len(keys)
                    if after is None
                    else bisect.bisect_left(keys, self._cursor(tenant, after))
                )
                ordered = reversed(keys[:end] if match else keys[max(0, end - limit - 1) : end])
            window = _matching(tenant, ordered, match, limit + 1) if match else list(ordered)
            files = [tenant.by_id[key[2]] for key in window[:limit]]
            return Page(files, len(window) > limit)

    def files(self, tenant_name: str | None = None) -> Iterator[StoredFile]:
        """Every stored file (of one tenant, or of all), oldest first."""
        with self._lock:
            if tenant_name is None:
                tenants = list(self._tenants.values())
            else:
                tenants = [self._tenants[tenant_name]] if tenant_name in self._tenants else []
            records = [t.by_id[key[2]] for t in tenants for key in t.indexes.get(None, [])]
        if tenant_name is None:
            records.sort(key=lambda r: r.sort_key)
        return iter(records)

    def tenants(self) -> list[str]:
        """Every tenant that holds a file (a tenant whose last file went is forgotten)."""
        with self._lock:
            return list(self._tenants)

    def __len__(self) -> int:
        return sum(len(t.by_id) for t in self._tenants.values())

    @staticmethod
    def _cursor(tenant: _Tenant, after: str) -> SortKey:
        record = tenant.by_id.get(after)
        if record is not None:
            return record.sort_key
        try:
            return tenant.former_keys[after]
        except KeyError:
            raise UnknownCursor(after) from None
