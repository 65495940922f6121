"""File content kept as the chunks it arrived in, never joined on the way in."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence

Chunk = bytes | memoryview


class Blob:
    """Immutable file content made of chunks (``bytes`` or read-only ``memoryview``)."""

    __slots__ = ("_chunks", "size")

    def __init__(self, chunks: Iterable[Chunk] = ()) -> None:
        kept = tuple(chunks)
        if not all(map(len, kept)):  # drop empty chunks
            kept = tuple(c for c in kept if len(c))
        self._chunks: tuple[Chunk, ...] = kept
        self.size: int = sum(map(len, kept))

    @classmethod
    def of(cls, content: bytes | bytearray | memoryview | str) -> Blob:
        """A blob holding a copy-free view of ``content`` (``str`` is UTF-8 encoded)."""
        if isinstance(content, str):
            content = content.encode()
        elif isinstance(content, bytearray):
            content = bytes(content)  # a private copy: the caller may mutate theirs
        return cls((content,))

    @classmethod
    def concat(cls, blobs: Sequence[Blob]) -> Blob:
        """One blob whose chunks are ``blobs``' chunks in order: references, no bytes copied."""
        blob = cls.__new__(cls)
        blob._chunks = tuple(itertools.chain.from_iterable(b._chunks for b in blobs))
        blob.size = sum(b.size for b in blobs)
        return blob

    def chunks(self) -> Iterator[Chunk]:
        """The chunks in order, without copying."""
        return iter(self._chunks)

    def read(self) -> bytes:
        """The whole content as one ``bytes`` (copies; for tests and small files)."""
        if len(self._chunks) == 1 and isinstance(self._chunks[0], bytes):
            return self._chunks[0]
        return b"".join(self._chunks)

    def sha256(self) -> str:
        """Hex SHA-256 of the content."""
        return self.hexdigest("sha256")

    def hexdigest(self, algorithm: str) -> str:
        """Hex digest of the content with a :mod:`hashlib` algorithm (``"md5"``, ...)."""
        digest = hashlib.new(algorithm)
        for chunk in self._chunks:
            digest.update(chunk)
        return digest.hexdigest()

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Blob(size={self.size}, chunks={len(self._chunks)})"
