"""Scenarios: replay one (send its requests again and diff each response with the
recorded one); :func:`read` and :func:`save` documents. Recording and loading over a
backend are :mod:`mockfiles.scenario_state`; the format is :mod:`mockfiles.scenario_format`.

The target is a fresh in-process mock of the scenario's profile, or a server. Each
recorded tenant replays under a key of its own, so isolation between keys replays too.
Against a mock (in-process or ``mockfiles serve``), the mock's clock is set to each
request's recorded time, so ages and orders replay exactly; times are compared as
offsets from the first time seen on each side.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .mock import MockFiles
from .scenario_state import LoadReport, read, save

__all__ = ["LoadReport", "ReplayReport", "StepOutcome", "read", "replay", "save"]
from .scenario_format import REDACTED, Doc, content_bytes, response_doc
from .transport import default_library

#: Ids the service makes up, mapped by first appearance when comparing: files, Uploads
#: and parts, batches, and the ids inside batch output and error lines (``batch_req_``,
#: ``req_``, ``chatcmpl-``, ``resp_``, ``msg_``, ``cmpl-``, ``modr-``, ``video_``).
ID_RE = re.compile(
    r"\b(?:file-[0-9A-Za-z]{6,}|upload_[0-9a-f]{32}|part_[0-9a-f]{32})\b"
    r"|(?<![0-9A-Za-z])batch_[0-9a-f]{32}(?![0-9a-f])"
    r"|(?<![0-9A-Za-z_-])(?:batch_req_|req_|resp_|msg_|video_|chatcmpl-|cmpl-|modr-)"
    r"[0-9A-Za-z]{16,}(?![0-9A-Za-z])"
)
#: Longest stretch of a differing value the diff shows.
SHOWN_CHARS = 200
DUMMY_KEY = "sk-mockfiles-replay"
BODIES_DROPPED = (
    "not replayable: the journal let this step's bodies go when it was recorded (over its "
    "budget, or a refused request over 64 KiB); record with a larger journal_bytes"
)


# -- normalising and comparing --------------------------------------------------------


@dataclass(frozen=True)
class TimeOffset:
    """A timestamp as seconds after the first one seen on its side."""

    seconds: int

    def __repr__(self) -> str:
        return f"<t0{self.seconds:+d}>"


@dataclass
class Normaliser:
    """Maps ids to ``<id:N>`` by first appearance and times to offsets from the first."""

    ids: dict[str, str] = field(default_factory=dict)
    first_time: int | None = None

    def _id(self, match: re.Match[str]) -> str:
        return self.ids.setdefault(match.group(0), f"<id:{len(self.ids) + 1}>")

    def __call__(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if isinstance(value, str):
            return ID_RE.sub(self._id, value)
        if isinstance(value, int) and not isinstance(value, bool) and key.endswith("_at"):
            if self.first_time is None:
                self.first_time = value
            return TimeOffset(value - self.first_time)
        return value


def differences(expected: Any, actual: Any, where: str, time_tolerance: int) -> list[str]:
    """Readable lines for every place ``actual`` differs from ``expected``."""
    if isinstance(expected, TimeOffset) and isinstance(actual, TimeOffset):
        if abs(expected.seconds - actual.seconds) <= time_tolerance:
            return []
    elif isinstance(expected, dict) and isinstance(actual, dict):
        lines: list[str] = []
        for key in expected.keys() | actual.keys():
            if key not in actual:
                lines.append(f"{where}.{key}: recorded {expected[key]!r}, now missing")
            elif key not in expected:
                lines.append(f"{where}.{key}: not recorded, now {actual[key]!r}")
            else:
                lines += differences(expected[key], actual[key], f"{where}.{key}", time_tolerance)
        return sorted(lines)
    elif isinstance(expected, list) and isinstance(actual, list):
        lines = []
        for index, (exp, act) in enumerate(zip(expected, actual, strict=False)):
            lines += differences(exp, act, f"{where}[{index}]", time_tolerance)
        if len(expected) != len(actual):
            lines.append(f"{where}: recorded {len(expected)} items, now {len(actual)}")
        return lines
    if expected == actual:
        return []
    return [f"{where}: recorded {_shown(expected, actual)}, now {_shown(actual, expected)}"]


def _shown(value: Any, other: Any) -> str:
    """``repr(value)``, or for a long one :data:`SHOWN_CHARS` characters from where it
    first differs from ``other``, with ellipses."""
    text, against = repr(value), repr(other)
    if len(text) <= SHOWN_CHARS:
        return text
    first = next(
        (i for i, (a, b) in enumerate(zip(text, against, strict=False)) if a != b),
        min(len(text), len(against)),
    )
    start = max(0, min(first - 20, len(text) - SHOWN_CHARS))
    end = start + SHOWN_CHARS
    return (
        ("…" if start > 0 else "")
        + text[start:end]
        + ("…" if end < len(text) else "")
        + f" ({len(text)} chars)"
    )


def learn_ids(recorded: Any, actual: Any, mapping: dict[str, str]) -> None:
    """Map each id in a recorded response to the id at the same place in the actual one."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key, value in recorded.items():
            if key in actual:
                learn_ids(value, actual[key], mapping)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for rec, act in zip(recorded, actual, strict=False):
            learn_ids(rec, act, mapping)
    elif isinstance(recorded, str) and isinstance(actual, str) and ID_RE.fullmatch(recorded):
        mapping.setdefault(recorded, actual)


def translate(value: Any, mapping: dict[str, str]) -> Any:
    """``value`` with every recorded id replaced by the id the target gave it."""
    if not mapping:
        return value
    if isinstance(value, dict):
        return {k: translate(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [translate(v, mapping) for v in value]
    if isinstance(value, str):
        return ID_RE.sub(lambda m: mapping.get(m.group(0), m.group(0)), value)
    return value


# -- sending --------------------------------------------------------------------------


def _request_kwargs(request: Doc, api_key: str) -> dict[str, Any]:
    headers = {
        name: (f"Bearer {api_key}" if name == "authorization" else api_key)
        if value == REDACTED
        else value
        for name, value in request.get("headers", {}).items()
    }
    kwargs: dict[str, Any] = {"headers": headers, "params": request.get("query", {})}
    body = request.get("body")
    if body is None:
        return kwargs
    if "multipart" in body:
        parts: list[tuple[str, Any]] = [
            (name, (None, value)) for name, value in body["multipart"]["fields"].items()
        ]
        parts += [
            (f["field"], (f["filename"], content_bytes(f["content"]), f.get("content_type")))
            for f in body["multipart"]["files"]
        ]
        kwargs["files"] = parts
    elif "json" in body:
        kwargs["content"] = json.dumps(body["json"]).encode()
    else:
        kwargs["content"] = content_bytes(body)
    return kwargs


class _Target:
    """Where a replay sends requests: a fresh in-process mock, or a server."""

    def __init__(self, client: Any, mock: MockFiles | None) -> None:
        self.client = client
        self.mock = mock
        #: Whether the server has the mock's control routes (a real service has not).
        self.controllable = True
        self._last_set: tuple[float, float] | None = None

    def send(self, request: Doc, api_key: str) -> Doc:
        response = self.client.request(
            request["method"], request["path"], **_request_kwargs(request, api_key)
        )
        return response_doc(response.status_code, response.headers.multi_items(), response.content)

    def control(self, path: str, body: Doc) -> Doc:
        response = self.client.post(f"/_mock/{path}", json=body)
        document: Doc = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"POST /_mock/{path} answered {response.status_code}: {document}")
        return document

    def set_clock(self, at: float) -> None:
        """Make the target's clock read ``at``'s second (a server without control routes
        keeps its own time; times then compare within the tolerance).

        Within that second the clock is set no later than half-way through, so the
        request cannot cross into the next second and take a later ``created_at`` than
        recorded (which could reorder a listing); and it never goes back within the
        second, so what an earlier request of the replay started (a batch) is never in
        the future.
        """
        whole = math.floor(at)
        target = whole + min(at - whole, 0.5)
        now = self._estimated_now()
        if now is not None and math.floor(now) == whole and now >= target:
            return
        if self.mock is not None:
            self.mock.clock.set(target)
        elif self.controllable:
            response = self.client.post("/_mock/clock", json={"set": target})
            self.controllable = response.status_code == 200
        self._last_set = (target, time.monotonic())

    def _estimated_now(self) -> float | None:
        """Where the clock this replay last set has moved to since (None before the first
        set: a fresh target's own time says nothing about the recording)."""
        if self._last_set is None:
            return None
        value, when = self._last_set
        return value + (time.monotonic() - when)


@dataclass
class _Keys:
    """A key per recorded tenant: the first tenant uses ``first``, others derive theirs."""

    first: str
    by_tenant: dict[str | None, str] = field(default_factory=dict)

    def __call__(self, tenant: Any) -> str:
        label = tenant if isinstance(tenant, str) else None
        if label not in self.by_tenant:
            n = len(self.by_tenant)
            self.by_tenant[label] = self.first if n == 0 else f"{self.first}-tenant{n + 1}"
        return self.by_tenant[label]


@contextmanager
def _target(mock: MockFiles | None, base_url: str | None) -> Iterator[_Target]:
    library = default_library()
    module = importlib.import_module(library)
    if mock is not None:
        with module.Client(transport=mock.transport(library), base_url=mock.root_url) as client:
            yield _Target(client, mock)
        return
    assert base_url is not None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
    with module.Client(base_url=f"{parts.scheme}://{parts.netloc}", timeout=60) as client:
        yield _Target(client, None)


# -- replay ---------------------------------------------------------------------------


@dataclass
class StepOutcome:
    """How one step replayed."""

    number: int
    label: str
    differences: list[str]


@dataclass
class ReplayReport:
    """Every step's outcome; ``ok`` when none differs."""

    steps: list[StepOutcome]

    @property
    def ok(self) -> bool:
        """True when every step replayed as recorded."""
        return all(not step.differences for step in self.steps)

    def render(self) -> str:
        """A per-step report with the differences of each differing step."""
        lines = []
        for step in self.steps:
            verdict = "ok" if not step.differences else "DIFFERS"
            lines.append(f"step {step.number:>3}  {step.label}  {verdict}")
            lines += [f"      {line}" for line in step.differences]
        differing = sum(1 for step in self.steps if step.differences)
        lines.append(f"{len(self.steps)} steps, {differing} differ")
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the report when any step differs."""
        if not self.ok:
            raise AssertionError("scenario did not replay as recorded:\n" + self.render())


def replay(
    source: str | Path | Doc,
    *,
    base_url: str | None = None,
    profile: str | None = None,
    api_key: str | None = None,
    time_tolerance: int | None = None,
) -> ReplayReport:
    """Send a scenario's requests again and compare each response with the recorded one.

    Without ``base_url`` the target is a fresh in-process mock of the scenario's profile
    (or ``profile``); with it, any server. Against a mock (either kind) the clock is set
    to each request's recorded time. Each recorded tenant is sent with a key of its own
    (``api_key`` for the first, ``api_key-tenantN`` for the others). Ids are mapped by
    first appearance and times compared as offsets from the first seen on each side,
    within ``time_tolerance`` seconds (default 1 in-process, where a request replayed at
    its recorded time may still cross a second boundary, and 2 against a server).
    """
    doc = read(source)
    mock = None if base_url else MockFiles(profile or doc.get("profile", "openai"))
    tolerance = time_tolerance if time_tolerance is not None else (1 if mock else 2)
    keys = _Keys(api_key or (mock.api_key if mock else DUMMY_KEY))
    mapping: dict[str, str] = {}
    sides = (Normaliser(), Normaliser(), Normaliser())
    outcomes: list[StepOutcome] = []
    with _target(mock, base_url) as target:
        for number, step in enumerate(doc["steps"], start=1):
            outcomes.append(_replay_step(number, step, target, keys, mapping, tolerance, sides))
    return ReplayReport(outcomes)


def _replay_step(
    number: int,
    step: Doc,
    target: _Target,
    keys: _Keys,
    mapping: dict[str, str],
    tolerance: int,
    sides: tuple[Normaliser, Normaliser, Normaliser],
) -> StepOutcome:
    recorded_side, actual_side, labels = sides
    if "request" in step:
        request = translate(step["request"], mapping)
        label = f"{step['request']['method']} {labels(step['request']['path'])}"
        if step.get("bodies_dropped"):
            return StepOutcome(number, label, [BODIES_DROPPED])
        if "at" in step:
            target.set_clock(step["at"])
        actual = target.send(request, keys(step.get("tenant")))
        recorded = step["response"]
        learn_ids(recorded.get("body"), actual.get("body"), mapping)
        found = differences(recorded_side(recorded), actual_side(actual), "response", tolerance)
        return StepOutcome(number, label, found)
    try:
        label = _replay_event(step, target, mapping, keys)
    except (RuntimeError, KeyError, ValueError) as exc:
        return StepOutcome(number, f"event {sorted(step)}", [f"could not replay: {exc}"])
    return StepOutcome(number, label, [])


def _replay_event(step: Doc, target: _Target, mapping: dict[str, str], keys: _Keys) -> str:
    mock = target.mock
    if "clock" in step:
        # every request sets the target's clock to its recorded time already
        return f"clock {step['clock']}"
    if "seed" in step:
        seed = step["seed"]
        lifetime = None if seed["expires_at"] is None else seed["expires_at"] - seed["created_at"]
        key = keys(seed.get("tenant"))
        if mock is not None:
            record = mock.add_file(
                content_bytes(seed["content"]),
                filename=seed["filename"],
                purpose=seed["purpose"],
                created_at=seed["created_at"],
                expires_after_seconds=lifetime,
                api_key=key,
            )
            new_id = record.id
        else:
            document = {
                name: seed[name] for name in ("filename", "purpose", "created_at", "content")
            }
            document.update(expires_after_seconds=lifetime, api_key=key)
            new_id = target.control("files", document)["id"]
        mapping[seed["id"]] = new_id
        return f"seed {seed['filename']} ({seed['purpose']})"
    url = step["url"]
    if mock is not None:
        mock.urls.register(
            url["url"],
            content_bytes(url["content"]),
            status=url["status"],
            headers=url.get("headers"),
        )
    else:
        target.control("urls", url)
    return f"url {url['url']}"
