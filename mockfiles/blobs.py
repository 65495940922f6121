"""File content kept as the chunks it arrived in, never joined on the way in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

Chunk = bytes | memoryview


class Blob:
    """Immutable file content made of chunks (``bytes`` or read-only ``memoryview``)."""

    __slots__ = ("_chunks", "size")

    def __init__(self, chunks: Iterable[Chunk] = ()) -> None:
        self._chunks: tuple[Chunk, ...] = tuple(c for c in chunks if len(c))
        self.size: int = sum(len(c) for c in self._chunks)

    @classmethod
    def of(cls, content: bytes | bytearray | memoryview | str) -> Blob:
        """A blob holding a copy-free view of ``content`` (``str`` is UTF-8 encoded)."""
        if isinstance(content, str):
            content = content.encode()
        elif isinstance(content, bytearray):
            content = bytes(content)  # a private copy: the caller may mutate theirs
        return cls((content,))

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
        digest = hashlib.sha256()
        for chunk in self._chunks:
            digest.update(chunk)
        return digest.hexdigest()

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Blob(size={self.size}, chunks={len(self._chunks)})"
