"""What URLs serve, registered by tests: the mock never touches the network."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .blobs import Blob
from .errors import InvalidRequest


@dataclass(frozen=True)
class RegisteredUrl:
    """A registered answer: status, headers and content."""

    url: str
    blob: Blob
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


class UrlRegistry:
    """Answers for ``content_url`` imports; anything unregistered is refused."""

    def __init__(self, listener: Callable[[RegisteredUrl], None] | None = None) -> None:
        self._answers: dict[str, RegisteredUrl] = {}
        self._lock = threading.Lock()
        self.listener = listener

    def register(
        self,
        url: str,
        content: bytes | bytearray | memoryview | str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> RegisteredUrl:
        """Make ``url`` answer ``status`` with ``content`` (and ``headers``)."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"only http(s) URLs can be registered, not {url!r}")
        answer = RegisteredUrl(url, Blob.of(content), status, dict(headers or {}))
        with self._lock:
            self._answers[url] = answer
        if self.listener is not None:
            self.listener(answer)
        return answer

    def fetch(self, url: str) -> Blob:
        """The content ``url`` serves; a 400 naming the URL when it cannot be had."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise InvalidRequest(
                f"Invalid 'content_url': {url!r} is not an http(s) URL; only http and https "
                "URLs can be imported.",
                param="content_url",
                code="invalid_url",
            )
        answer = self._answers.get(url)
        if answer is None:
            known = ", ".join(sorted(self._answers)) or "none"
            raise InvalidRequest(
                f"Could not fetch content_url {url!r}: the mock works offline and this URL is "
                f"not registered. Register what it serves in Python with "
                f"mock.urls.register({url!r}, content), or over HTTP with POST /_mock/urls "
                f'{{"url": {url!r}, "content": {{"text": "..."}}}}. Registered URLs: {known}.',
                param="content_url",
                code="url_not_registered",
            )
        if not 200 <= answer.status < 300:
            raise InvalidRequest(
                f"Could not fetch content_url {url!r}: it answered HTTP {answer.status}.",
                param="content_url",
                code="url_fetch_failed",
            )
        return answer.blob

    def clear(self) -> None:
        """Forget every registration."""
        with self._lock:
            self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)
