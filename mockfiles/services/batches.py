"""The Batches domain: create with the service's checks, a lifecycle that is a pure
function of the mock's clock, cancel, expiry, and output files made through Files.

Nothing runs in the background. Whenever a batch is read, it is brought up to the
clock's time (:meth:`BatchService.advance`): each phase ends at a fixed moment after
the one before (``batch_durations``), each request line is answered at its own moment
inside ``in_progress`` (evenly spread), and every ``*_at`` is the moment a transition
happened on the clock, however late someone looks. So ``freezegun``, ``time-machine``
and ``mock.clock.advance`` all drive batches.

Knows nothing of HTTP. Raises the typed errors of :mod:`mockfiles.errors`.
"""

from __future__ import annotations

import builtins
import io
import json
import math
import random
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..batch_types import (
    BatchAnswer,
    BatchErrorResponse,
    BatchExpired,
    BatchFailed,
    BatchRequest,
)
from ..blobs import Blob
from ..dashboard import Column, Row, register_panel
from ..errors import InvalidRequest, MockFilesError, NoSuchFile, NotFound
from ..profiles import IdFormat
from ..scenario_format import ScenarioError
from ..state import State
from ..validation import BatchChecker, LineProblem, line_count, parsed_lines
from .base import Doc, RecordedExchange
from .batch_answers import Tokens, chat_completion_line, default_answer, usage_of
from .files import FileService

CHAT = "/v1/chat/completions"
COMPLETION_WINDOWS = ("24h",)
WINDOW_SECONDS = 86_400
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
#: Statuses a cancel refuses with 409.
NOT_CANCELLABLE = frozenset({"completed", "failed", "expired"})
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 100

EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
CANCELLED_MESSAGE = "This request was not executed because the batch was cancelled."

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class NoSuchBatch(NotFound):
    """The batch id is unknown or another tenant's."""

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"No such Batch object: {batch_id}", param="batch_id")


class BatchConflict(MockFilesError):
    """A cancel of a batch that has already finished (409)."""

    status = 409


@dataclass(frozen=True)
class BatchSpec:
    """A validated create request."""

    input_file_id: str
    endpoint: str
    completion_window: str = "24h"
    metadata: dict[str, str] | None = None
    output_expires_after_seconds: int | None = None


class _Output:
    """JSONL lines written into one growing buffer; :meth:`blob` hands its bytes over
    without a copy (so the download through the in-process transport copies nothing)."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self.lines = 0

    def add(self, line: bytes) -> None:
        self._buffer.write(line)
        self.lines += 1

    def blob(self) -> Blob:
        content = self._buffer.getvalue()
        self._buffer = io.BytesIO()
        return Blob.of(content)


@dataclass
class Batch:
    """One batch and how far it has got on the clock."""

    id: str
    tenant: str
    spec: BatchSpec
    #: The clock's time at creation (``created_at`` is its whole seconds).
    created: float
    durations: Mapping[str, float]
    expires: bool
    status: str = "validating"
    model: str | None = None
    errors: list[Doc] | None = None
    in_progress_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    seq: int = 0
    #: Where the batch stands in its tenant's list (creation order).
    position: int = 0
    #: What the finalizing phase ends in: ``completed``, or ``expired`` after expiry.
    ending: str = "completed"
    # -- work in progress (dropped when the batch ends) --
    blob: Blob | None = None
    lines: Iterator[tuple[int, dict[str, Any] | LineProblem]] | None = None
    answered: int = 0
    #: When ``in_progress`` began and the current phase ends (clock seconds).
    started: float = 0.0
    phase_end: float = 0.0
    output: _Output = field(default_factory=_Output)
    error_output: _Output = field(default_factory=_Output)
    rng: random.Random | None = None

    @property
    def created_at(self) -> int:
        return int(self.created)

    @property
    def expires_at(self) -> int:
        return self.created_at + WINDOW_SECONDS

    @property
    def done(self) -> bool:
        """Whether the batch has reached a final status."""
        return self.status in TERMINAL

    @property
    def usage(self) -> Doc:
        """The ``usage`` object: tokens summed over the answered requests."""
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + self.output_tokens,
        }


class BatchService:
    """Batches of every tenant, under the state's profile and clock."""

    def __init__(self, state: State, files: FileService) -> None:
        #: The Files service the output and error files are made through.
        self.files = files
        self.state = state
        self.profile = state.profile
        self._lock = threading.RLock()
        self._batches: dict[str, Batch] = {}
        self._by_tenant: dict[str, list[Batch]] = {}
        self._seq = 0
        #: Batches not finished yet: brought up to date whenever the state reads the
        #: time, so their output files are listed without anyone reading the batch.
        self._active: dict[str, Batch] = {}
        self._sweeping = False
        state.sweepers.append(self)

    # -- commands -------------------------------------------------------------

    def create(
        self,
        tenant: str,
        spec: BatchSpec,
        *,
        batch_id: str | None = None,
        created: float | None = None,
    ) -> Batch:
        """A new batch in ``validating``; every create-time mistake raises 400 or 404."""
        self.check_spec(spec)
        now = self.state.now()
        record = self.files.store.get(tenant, spec.input_file_id)
        if record is None:
            raise NoSuchFile(spec.input_file_id)
        if record.purpose != "batch":
            raise InvalidRequest(
                f"Invalid 'input_file_id': file '{spec.input_file_id}' has purpose "
                f"'{record.purpose}', but a batch input file must have purpose 'batch'.",
                param="input_file_id",
                code="invalid_value",
            )
        with self._lock:
            if batch_id is not None and batch_id in self._batches:
                raise InvalidRequest(f"A batch with id '{batch_id}' already exists.")
            self._seq += 1
            batch = Batch(
                id=batch_id or self.state.new_id(self.profile.batch_id_format),
                tenant=tenant,
                spec=spec,
                created=now if created is None else created,
                durations=dict(self.state.batch_durations),
                expires=self.profile.batches_expire,
                seq=self._seq,
                blob=record.blob,
            )
            self._batches[batch.id] = batch
            self._active[batch.id] = batch
            self.state.wake(-math.inf)  # swept at every read of the time until done
            own = self._by_tenant.setdefault(tenant, [])
            batch.position = len(own)
            own.append(batch)
        return batch

    def check_spec(self, spec: BatchSpec) -> None:
        """Raise the service's 400 for an endpoint, window or expiry it does not take."""
        endpoints = self.profile.batch_endpoints
        if spec.endpoint not in endpoints:
            raise InvalidRequest(
                f"Invalid value: '{spec.endpoint}'. Supported values are: "
                + _quoted_list(endpoints)
                + ".",
                param="endpoint",
                code="invalid_value",
            )
        if spec.completion_window not in COMPLETION_WINDOWS:
            raise InvalidRequest(
                f"Invalid value: '{spec.completion_window}'. Supported values are: "
                + _quoted_list(COMPLETION_WINDOWS)
                + ".",
                param="completion_window",
                code="invalid_value",
            )

    def cancel(self, tenant: str, batch_id: str) -> Batch:
        """Start cancelling: ``cancelling`` now, ``cancelled`` after the cancelling
        phase, keeping the output produced so far. 409 for a finished batch."""
        with self._lock:
            now = self.state.now()
            batch = self._get(tenant, batch_id)
            self.advance(batch, now)
            if batch.status in NOT_CANCELLABLE:
                raise BatchConflict(f"Cannot cancel a batch with status '{batch.status}'.")
            if batch.status in ("cancelling", "cancelled"):
                return batch
            self._begin_cancel(batch, now)
            self.advance(batch, now)
            return batch

    # -- queries --------------------------------------------------------------

    def retrieve(self, tenant: str, batch_id: str) -> Batch:
        """The batch as it stands now; 404 if unknown or another tenant's."""
        with self._lock:
            now = self.state.now()
            batch = self._get(tenant, batch_id)
            self.advance(batch, now)
            return batch

    def list(
        self, tenant: str, *, limit: int = LIST_DEFAULT_LIMIT, after: str | None = None
    ) -> tuple[list[Batch], bool]:
        """One page of the tenant's batches, newest first, and whether more follow."""
        with self._lock:
            now = self.state.now()
            batches = self._by_tenant.get(tenant, [])
            end = len(batches)
            if after is not None:
                cursor = self._batches.get(after)
                if cursor is None or cursor.tenant != tenant:
                    raise InvalidRequest(
                        f"Invalid 'after': no batch with id '{after}' to page after. "
                        "Pass the id of a batch from a previous page.",
                        param="after",
                    )
                end = cursor.position
            window = batches[max(0, end - limit - 1) : end][::-1]
            page = window[:limit]
            for batch in page:
                self.advance(batch, now)
            return page, len(window) > limit

    def batches(self, tenant: str | None = None) -> builtins.list[Batch]:
        """Every batch (of one tenant, or of all), oldest first, brought up to now."""
        with self._lock:
            now = self.state.now()
            chosen = [b for b in self._batches.values() if tenant is None or b.tenant == tenant]
            for batch in chosen:
                self.advance(batch, now)
            return chosen

    def _get(self, tenant: str, batch_id: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None or batch.tenant != tenant:
            raise NoSuchBatch(batch_id)
        return batch

    # -- the lifecycle, on the clock -------------------------------------------------

    def advance(self, batch: Batch, now: float) -> None:
        """Bring ``batch`` to where it stands at ``now`` (each step at its own moment)."""
        with self._lock:
            while not batch.done and self._step(batch, now):
                pass
            if batch.done:
                self._active.pop(batch.id, None)

    def next_due(self) -> float:
        """Always while a batch is unfinished, else never (:class:`Sweeper`)."""
        return -math.inf if self._active else math.inf

    def sweep(self, now: float) -> None:
        """Bring every unfinished batch to ``now`` (called by :meth:`State.now`). Skipped
        when another thread holds the batches (it brings them up to date itself) or
        when the sweep itself reads the time (storing an output file does)."""
        if not self._active or self._sweeping or not self._lock.acquire(blocking=False):
            return
        try:
            self._sweeping = True
            for batch in list(self._active.values()):
                self.advance(batch, now)
        finally:
            self._sweeping = False
            self._lock.release()

    def _step(self, batch: Batch, now: float) -> bool:
        """One transition due by ``now``; False when nothing more is due."""
        durations = batch.durations
        status = batch.status
        if status == "validating":
            ends = batch.created + durations["validating"]
            if batch.expires and batch.expires_at <= min(ends, now):
                self._expire(batch, float(batch.expires_at))
                return True
            if now < ends:
                return False
            in_progress_ends = ends + durations["in_progress"]
            # Answer in the same pass when every line is due now and answering has no
            # effect outside the batch (the default responder): each line parsed once.
            at_once = (
                now >= in_progress_ends
                and not (batch.expires and batch.expires_at <= in_progress_ends)
                and self.state.batch_responder is None
                and not self.state.batch_responses
            )
            self._validate(batch, ends, answer=at_once)
            return True
        if status == "in_progress":
            cutoff = now
            if batch.expires:
                cutoff = min(cutoff, float(batch.expires_at))
            self._answer_lines(batch, cutoff)
            if batch.done or batch.status != "in_progress":
                return True
            if batch.answered >= batch.total and batch.phase_end <= now:
                self._enter(batch, "finalizing", batch.phase_end)
                return True
            if batch.expires and batch.expires_at <= now:
                self._expire(batch, float(batch.expires_at))
                return True
            return False
        if status == "finalizing":
            if now < batch.phase_end:
                return False
            self._finish(batch, batch.ending, batch.phase_end)
            return True
        if status == "cancelling":
            if now < batch.phase_end:
                return False
            self._finish(batch, "cancelled", batch.phase_end)
            return True
        return False

    def _validate(self, batch: Batch, when: float, *, answer: bool) -> None:
        """Validate every line at ``when``; with ``answer``, answer the lines too."""
        assert batch.blob is not None
        batch.total = line_count(batch.blob)
        batch.rng = random.Random(batch.id)
        batch.started = when
        checker = BatchChecker(endpoint=batch.spec.endpoint)
        answering = answer
        for number, item in parsed_lines(batch.blob):
            if isinstance(item, LineProblem):
                checker.bad_line(item)
                answering = False
            elif checker.check(number, item) and answering:
                self._answer(batch, number, item, self._line_time(batch, batch.answered))
                batch.answered += 1
            else:
                answering = False
        problems = checker.finish()
        if problems:
            batch.errors = [
                {"code": p.code, "message": p.message, "param": p.param, "line": p.line}
                for p in problems
            ]
            batch.total = batch.completed = batch.failed = batch.answered = 0
            batch.input_tokens = batch.output_tokens = 0
            self._fail(batch, when)
            return
        batch.model = checker.model
        if not answer:
            batch.lines = parsed_lines(batch.blob)
        self._enter(batch, "in_progress", when)
        batch.phase_end = when + batch.durations["in_progress"]

    def _enter(self, batch: Batch, status: str, when: float) -> None:
        batch.status = status
        if status == "in_progress":
            batch.in_progress_at = int(when)
        elif status == "finalizing":
            batch.finalizing_at = int(when)
            batch.phase_end = when + batch.durations["finalizing"]
        elif status == "cancelling":
            batch.cancelling_at = int(when)
            batch.phase_end = when + batch.durations["cancelling"]

    def _line_time(self, batch: Batch, index: int) -> float:
        """When line ``index`` (0-based) is answered: evenly spread over in_progress."""
        span = batch.durations["in_progress"]
        if span <= 0:
            return batch.started
        return batch.started + span * (index + 1) / batch.total

    def _answer_lines(self, batch: Batch, until: float) -> None:
        """Answer every line due by ``until``, in order."""
        if batch.answered >= batch.total:
            return
        assert batch.lines is not None and batch.rng is not None
        lines = batch.lines
        while batch.answered < batch.total:
            when = self._line_time(batch, batch.answered)
            if when > until:
                return
            number, item = next(lines)
            assert isinstance(item, dict)  # validated
            batch.answered += 1
            try:
                self._answer(batch, number, item, when)
            except BatchFailed as failure:
                batch.errors = [
                    {
                        "code": failure.code,
                        "message": failure.message,
                        "param": None,
                        "line": number,
                    }
                ]
                self._fail(batch, when)
                return
            except BatchExpired:
                batch.answered -= 1
                self._unanswered(batch, item, "batch_expired", EXPIRED_MESSAGE)
                self._expire(batch, when)
                return
            except Exception as bug:  # a responder's own error: shown, never a lost line
                batch.errors = [
                    {
                        "code": "responder_error",
                        "message": f"The batch responder raised {type(bug).__name__}: {bug}",
                        "param": None,
                        "line": number,
                    }
                ]
                self._fail(batch, when)
                return

    def _answer(self, batch: Batch, number: int, item: dict[str, Any], when: float) -> None:
        custom_id = item["custom_id"]
        request = BatchRequest(
            custom_id=str(custom_id),
            method=str(item["method"]),
            url=str(item["url"]),
            body=item["body"],
            line=number,
            batch_id=batch.id,
            endpoint=batch.spec.endpoint,
        )
        assert batch.rng is not None
        req_id = f"batch_req_{batch.rng.getrandbits(128):032x}"
        request_id = f"req_{batch.rng.getrandbits(128):032x}"
        answer = self._ask(request)
        tokens: Tokens | None = None
        if answer is None:
            if batch.spec.endpoint == CHAT:
                fast = chat_completion_line(request, custom_id, int(when), req_id, request_id)
                if fast is not None:
                    line_bytes, (tokens_in, tokens_out, _, _) = fast
                    batch.output.add(line_bytes)
                    batch.completed += 1
                    batch.input_tokens += tokens_in
                    batch.output_tokens += tokens_out
                    return
            answer, tokens = default_answer(request, int(when))
        if isinstance(answer, BatchErrorResponse):
            target, status, body = batch.error_output, answer.status_code, answer.body
            batch.failed += 1
        else:
            target, status, body = batch.output, 200, answer
            batch.completed += 1
            tokens_in, tokens_out, cached, reasoning = tokens or usage_of(body)
            batch.input_tokens += tokens_in
            batch.output_tokens += tokens_out
            batch.cached_tokens += cached
            batch.reasoning_tokens += reasoning
        line = {
            "id": req_id,
            "custom_id": custom_id,
            "response": {"status_code": status, "request_id": request_id, "body": body},
            "error": None,
        }
        target.add(_ENCODER.encode(line).encode() + b"\n")

    def _ask(self, request: BatchRequest) -> dict[str, Any] | BatchErrorResponse | None:
        """A custom answer for one request: an override by ``custom_id``, else the
        responder's; None for the default answer. Any other exception a responder raises
        (or a return value of the wrong type) fails the batch with ``responder_error``."""
        answer: BatchAnswer | BaseException = None
        overrides = self.state.batch_responses
        if request.custom_id in overrides:
            answer = overrides[request.custom_id]
        elif self.state.batch_responder is not None:
            answer = self.state.batch_responder(request)
        if isinstance(answer, BaseException):
            raise answer
        if answer is None or isinstance(answer, BatchErrorResponse | dict):
            return answer
        raise TypeError(
            f"a batch responder answered {type(answer).__name__} for custom_id "
            f"{request.custom_id!r}; return a dict (the response body), a "
            "BatchErrorResponse, or None (the default answer)"
        )

    def _unanswered(self, batch: Batch, item: Any, code: str, message: str) -> None:
        custom_id = item.get("custom_id") if isinstance(item, dict) else None
        assert batch.rng is not None
        line = {
            "id": f"batch_req_{batch.rng.getrandbits(128):032x}",
            "custom_id": custom_id,
            "response": None,
            "error": {"code": code, "message": message},
        }
        batch.error_output.add(_ENCODER.encode(line).encode() + b"\n")
        batch.failed += 1

    def _drain_unanswered(self, batch: Batch, code: str, message: str) -> None:
        if batch.lines is None:
            return
        for _, item in batch.lines:
            self._unanswered(batch, item, code, message)
        batch.answered = batch.total

    def _begin_cancel(self, batch: Batch, when: float) -> None:
        self._enter(batch, "cancelling", when)

    def _expire(self, batch: Batch, when: float) -> None:
        """Unfinished at ``when``: finalize, then ``expired`` after the finalizing phase."""
        batch.ending = "expired"
        self._enter(batch, "finalizing", when)

    def _fail(self, batch: Batch, when: float) -> None:
        batch.status = "failed"
        batch.failed_at = int(when)
        self._release(batch)

    def _finish(self, batch: Batch, status: str, when: float) -> None:
        if status == "cancelled":
            self._drain_unanswered(batch, "batch_cancelled", CANCELLED_MESSAGE)
        elif status == "expired":
            self._drain_unanswered(batch, "batch_expired", EXPIRED_MESSAGE)
        if not self._store_outputs(batch, int(when)):
            return
        batch.status = status
        stamp = int(when)
        if status == "completed":
            batch.completed_at = stamp
        elif status == "expired":
            batch.expired_at = stamp
        else:
            batch.cancelled_at = stamp
        self._release(batch)

    def _store_outputs(self, batch: Batch, when: int) -> bool:
        """Make the output and error files (only those with lines); on a quota refusal
        fail the batch with the reason and keep neither. True when stored."""
        made: list[str] = []
        for kind, output in (("output", batch.output), ("error", batch.error_output)):
            if not output.lines:
                continue
            blob = output.blob()
            try:
                record = self.files.create(
                    batch.tenant,
                    filename=f"{batch.id}_{kind}.jsonl",
                    purpose=self.profile.batch_output_purpose,
                    blob=blob,
                    expires_after_seconds=batch.spec.output_expires_after_seconds,
                    created_at=when,
                    file_id=self._file_id(batch, kind),
                )
            except MockFilesError as refusal:
                for file_id in made:
                    self.files.store.remove(batch.tenant, file_id)
                batch.output_file_id = batch.error_file_id = None
                batch.errors = [
                    {
                        "code": "output_not_stored",
                        "message": f"The batch's {kind} file ({blob.size} bytes) could not "
                        f"be stored, so the batch failed: {refusal.message}",
                        "param": None,
                        "line": None,
                    }
                ]
                self._fail(batch, when)
                return False
            made.append(record.id)
            if kind == "output":
                batch.output_file_id = record.id
            else:
                batch.error_file_id = record.id
        return True

    def _file_id(self, batch: Batch, kind: str) -> str:
        """The output file's id, derived from the batch's (a restored batch makes the
        same files again)."""
        fmt: IdFormat = self.profile.id_format
        return fmt.new(random.Random(f"{batch.id}/{kind}"))

    @staticmethod
    def _release(batch: Batch) -> None:
        """Drop what only an unfinished batch needs (its input, its partial output)."""
        batch.blob = None
        batch.lines = None
        batch.rng = None
        batch.output = _Output()
        batch.error_output = _Output()

    # -- state --------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every batch."""
        with self._lock:
            self._batches.clear()
            self._by_tenant.clear()
            self._active.clear()

    def restore(self, exchange: RecordedExchange) -> bool:
        """Re-create a recorded create (id and time kept, shifted) or cancel; a restored
        batch then continues on the clock from where it stood."""
        body = exchange.response_json
        if exchange.method != "POST" or not isinstance(body, dict) or body.get("object") != "batch":
            return False
        try:
            if exchange.route == "/batches":
                request = (exchange.request.get("body") or {}).get("json") or {}
                expiry = request.get("output_expires_after")
                spec = BatchSpec(
                    input_file_id=str(body["input_file_id"]),
                    endpoint=str(body["endpoint"]),
                    completion_window=str(body["completion_window"]),
                    metadata=body.get("metadata"),
                    output_expires_after_seconds=(
                        int(expiry["seconds"]) if isinstance(expiry, dict) else None
                    ),
                )
                self.create(
                    exchange.tenant,
                    spec,
                    batch_id=str(body["id"]),
                    created=float(int(body["created_at"]) + exchange.shift),
                )
                return True
            if exchange.route == f"/batches/{body.get('id')}/cancel":
                batch = self._get(exchange.tenant, str(body["id"]))
                when = float(int(body["cancelling_at"]) + exchange.shift)
                with self._lock:
                    self.advance(batch, when)
                    if not batch.done and batch.status != "cancelling":
                        self._begin_cancel(batch, when)
                return True
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(f"a recorded batch lacks a usable field: {exc!r}") from None
        return False


def _quoted_list(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _batch_rows(service: BatchService, tenant: str, limit: int) -> builtins.list[Row]:
    """The tenant's newest batches as they stand now, for the dashboard."""
    page, _ = service.list(tenant, limit=limit)
    return [
        {
            "id": batch.id,
            "status": batch.status,
            "endpoint": batch.spec.endpoint,
            "total": batch.total,
            "completed": batch.completed,
            "failed": batch.failed,
            "input_file_id": batch.spec.input_file_id,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "expires_at": batch.expires_at,
        }
        for batch in page
    ]


register_panel(
    BatchService,
    "Batches",
    (
        Column("id", "ID"),
        Column("status", "Status"),
        Column("endpoint", "Endpoint"),
        Column("total", "Requests", "number"),
        Column("completed", "Completed", "number"),
        Column("failed", "Failed", "number"),
        Column("input_file_id", "Input file", "file"),
        Column("output_file_id", "Output file", "file"),
        Column("error_file_id", "Error file", "file"),
        Column("created_at", "Created", "time"),
        Column("expires_at", "Window ends", "time"),
    ),
    _batch_rows,
    empty="No batches.",
)
