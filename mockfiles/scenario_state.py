"""Recorded scenarios over a backend: what it saw as a document, and loading one as state.

The file format is described in :mod:`mockfiles.scenario_format`; replaying a scenario
against a mock or a server is :mod:`mockfiles.scenario`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import safe_json
from .auth import SHARED_TENANT, Identity
from .backend import Backend
from .errors import MockFilesError
from .journal import Call, Event, FileSeeded
from .scenario_format import (
    Doc,
    ScenarioError,
    blob_of,
    check_scenario,
    content_bytes,
    dumps,
    event_doc,
    scenario_doc,
)
from .services.base import RecordedExchange

# -- record ---------------------------------------------------------------------------


def scenario_of(backend: Backend) -> Doc:
    """Everything ``backend`` saw since its last reset, as a scenario document."""
    events = backend.journal.events
    steps = [event_doc(event) for event in events]
    return _head(backend, events) | {"steps": steps}


def _head(backend: Backend, events: list[Event]) -> Doc:
    tenants: Doc = {}
    for event in events:
        tenant = event.tenant if isinstance(event, Call | FileSeeded) else None
        identity = None if tenant is None else backend.authenticator.identity_of(tenant)
        if tenant is not None and identity is not None and tenant not in tenants:
            tenants[tenant] = {"key": identity.key_hint, "project": identity.project}
    doc = scenario_doc(backend.profile.name, backend.clock.now(), [], tenants)
    del doc["steps"]
    if backend.journal.dropped:
        doc["dropped_events"] = backend.journal.dropped
    return doc


def scenario_json_chunks(backend: Backend) -> Iterator[bytes]:
    """:func:`scenario_of` as compact JSON, one step at a time (so a large journal is
    never held twice, as documents and as text)."""
    events = backend.journal.events
    head = json.dumps(_head(backend, events), separators=(",", ":"))
    yield head[:-1].encode() + b',"steps":['
    for number, event in enumerate(events):
        step = json.dumps(event_doc(event), separators=(",", ":")).encode()
        yield step if number == 0 else b"," + step
    yield b"]}"


def save(doc: Doc, path: str | Path) -> Path:
    """Write a scenario document to ``path`` (parents created); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps(doc))
    return target


def read(source: str | Path | Doc) -> Doc:
    """A checked scenario document from a path or an already parsed document."""
    if isinstance(source, dict):
        return check_scenario(source)
    try:
        text = Path(source).read_text()
        document = safe_json.loads(text, max_depth=safe_json.SCENARIO_MAX_DEPTH)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError(f"{source} is not a JSON scenario: {exc}") from None
    return check_scenario(document)


# -- load -----------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What loading a scenario left: files per tenant, and who the tenants are."""

    files: Counter[str] = field(default_factory=Counter)
    identities: dict[str, Identity] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """One line per tenant, naming the key a person should use to see its files."""
        lines = []
        for tenant, count in sorted(self.files.items()):
            if tenant == SHARED_TENANT:
                lines.append(f"{count} file(s) shared by every API key")
                continue
            identity = self.identities.get(tenant)
            who = str(identity) if identity else "an API key this scenario does not describe"
            lines.append(f"{count} file(s) for {who} (tenant {tenant}); other keys see none")
        return lines or ["no files"]


def _tenant_of(step_tenant: object, backend: Backend) -> str:
    """Where a recorded tenant's files go: itself, or the mock's own tenant for steps
    recorded without one (or shared), or the shared tenant when the mock shares."""
    if not backend.authenticator.isolate_tenants:
        return SHARED_TENANT
    if isinstance(step_tenant, str) and step_tenant and step_tenant != SHARED_TENANT:
        return step_tenant
    return backend.own_tenant


def load_into(backend: Backend, source: str | Path | Doc) -> LoadReport:
    """Put ``backend`` in the state the scenario leaves behind, straight into its
    services: ids, bytes, purposes, names, ages, expiry and owners kept.

    Times are shifted so the scenario ends now; the journal is empty afterwards. A
    malformed scenario raises :class:`ScenarioError`; the caller decides what to keep.
    """
    doc = read(source)
    now = backend.clock.now()
    try:
        shift = int(now) - int(doc.get("recorded_at", now))
        for number, step in enumerate(doc["steps"], start=1):
            _load_step(backend, step, shift, number)
    except ScenarioError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ScenarioError(f"a step cannot be loaded: {exc!r}") from None
    except MockFilesError as exc:  # a domain refusal (quota, limits) while loading
        raise ScenarioError(f"a step cannot be loaded: {exc}") from None
    backend.clock.follow_real_time()
    backend.now()
    backend.journal.clear()
    report = LoadReport()
    for record in backend.store.files():
        report.files[record.tenant] += 1
    for tenant, hint in (doc.get("tenants") or {}).items():
        if isinstance(hint, dict) and isinstance(hint.get("key"), str):
            report.identities[tenant] = Identity(hint["key"], hint.get("project"))
    own = backend.authenticator.identity_of(backend.own_tenant)
    if own is not None:
        report.identities.setdefault(backend.own_tenant, own)
    return report


def _load_step(backend: Backend, step: Doc, shift: int, number: int) -> None:
    if not isinstance(step, dict):
        raise ScenarioError(f"step {number} is not an object")
    if "seed" in step:
        seed = step["seed"]
        tenant = _tenant_of(seed.get("tenant"), backend)
        backend.files.restore_file(seed, blob_of(seed["content"]), tenant, shift)
    elif "url" in step:
        url = step["url"]
        backend.urls.register(
            url["url"],
            content_bytes(url["content"]),
            status=int(url["status"]),
            headers=url.get("headers"),
        )
    elif "request" in step:
        request, response = step["request"], step["response"]
        if "at" in step:  # the clock as it stood: what had expired by then is gone
            _move_clock(backend, {"set": step["at"]}, shift)
        if request["method"] in ("GET", "HEAD") or not 200 <= int(response["status"]) < 300:
            return
        base_path = backend.profile.base_path
        path = str(request["path"])
        if not path.startswith(base_path + "/"):
            return
        exchange = RecordedExchange(
            method=str(request["method"]),
            route=path.removeprefix(base_path),
            request=request,
            response=response,
            tenant=_tenant_of(step.get("tenant"), backend),
            shift=shift,
        )
        backend.restore(exchange)
    elif "clock" in step:
        _move_clock(backend, step["clock"], shift)
    else:
        raise ScenarioError(f"step {number} is none of request, seed, url or clock")


def _move_clock(backend: Backend, move: Doc, shift: int) -> None:
    """Move the clock as the recording's did (times shifted), applying what expires."""
    if "advance" in move:
        backend.clock.advance(_finite(move["advance"]))
    else:
        backend.clock.set(_finite(move["set"]) + shift)
    backend.now()


def _finite(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"a clock step needs a finite number of seconds, not {value!r}")
    return float(value)
