"""Storing figures: image files under the workspace, records through the store, in batches.

``save_results`` writes a list of results in one transaction (image files first, so a stored
row always points at a complete file). ``ResultWriter`` is what a running job uses: the
background writer of ``core.jobs.writer`` over batches of results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.files import write_bytes_atomically
from core.generation.base import FigureResult
from core.jobs.writer import (
    DEFAULT_FLUSH_INTERVAL_S,
    DEFAULT_HEARTBEAT_S,
    DEFAULT_MAX_BATCH,
    BackgroundWriter,
)
from core.models.ledger import LedgerEntry
from core.store import AttemptRow, GenerationRow, ModelCallRow, Store
from core.workspace import Workspace


def _sum(values: Iterable[int | float | None]) -> int | float | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def call_row(entry: LedgerEntry, problem_uid: str | None, attempt: int | None) -> ModelCallRow:
    """A ledger entry as a stored model call."""
    return ModelCallRow(
        call_id=entry.call_id,
        problem_uid=problem_uid,
        attempt=attempt,
        kind=entry.kind,
        profile=entry.profile,
        model=entry.model,
        fingerprint=entry.fingerprint,
        cache_key=entry.cache_key,
        started_at=entry.started_at,
        latency_s=entry.latency_s,
        wait_s=entry.wait_s,
        http_attempts=entry.attempts,
        tokens_in=entry.tokens_in,
        tokens_out=entry.tokens_out,
        images_out=entry.images_out,
        cost_usd=entry.cost_usd,
        cached=entry.cached,
        ok=entry.ok,
        failure_class=None if entry.failure_class is None else str(entry.failure_class),
        failure_message=entry.failure_message,
        finish_reason=entry.finish_reason,
        retry_classes=[str(value) for value in entry.retry_classes],
    )


def _relative(path: Path | None, workspace: Workspace) -> str | None:
    if path is None:
        return None
    try:
        return str(path.relative_to(workspace.home))
    except ValueError:
        return str(path)


def result_rows(
    result: FigureResult,
    *,
    image_path: Path | None,
    svg_path: Path | None,
    workspace: Workspace,
    extra_calls: Sequence[LedgerEntry] = (),
) -> tuple[GenerationRow, list[AttemptRow], list[ModelCallRow]]:
    """One result as a figure record, its attempts (1-based) and its model calls.

    ``extra_calls`` are calls seen for this problem but missing from its attempts (stored with
    attempt NULL), so no call a generator forgot to attach escapes the ledger.
    """
    status = result.status
    error_class, error_message = result.error_class, result.error_message
    if status == "ok" and result.image is None:  # a generator bug must not store an ok without an image
        status, error_class, error_message = "failed", "no_image", "the generator reported ok but returned no image"
    if status != "ok" and not error_class:
        error_class = "unclassified"
    calls: dict[str, ModelCallRow] = {}
    attempt_rows: list[AttemptRow] = []
    last_ok = max((i for i, a in enumerate(result.attempts) if a.status == "ok"), default=None)
    for position, attempt in enumerate(result.attempts):
        number = position + 1
        for entry in attempt.ledger:
            calls.setdefault(entry.call_id, call_row(entry, result.problem_uid, number))
        attempt_rows.append(
            AttemptRow(
                problem_uid=result.problem_uid,
                attempt=number,
                purpose=attempt.purpose,
                status=attempt.status,
                image_path=_relative(image_path, workspace) if status == "ok" and position == last_ok else None,
                plan=attempt.plan,
                code=attempt.code,
                raw_reply=attempt.raw_reply,
                parse_notes=list(attempt.parse_notes),
                error_class=attempt.error_class or (None if attempt.status == "ok" else "unclassified"),
                error_message=attempt.error_message,
                traceback_tail=attempt.traceback_tail,
                render_s=attempt.render_s,
                tokens_in=_sum(entry.tokens_in for entry in attempt.ledger),
                tokens_out=_sum(entry.tokens_out for entry in attempt.ledger),
                cost_usd=_sum(entry.cost_usd for entry in attempt.ledger),
                latency_s=_sum(entry.latency_s for entry in attempt.ledger),
            )
        )
    for entry in extra_calls:
        calls.setdefault(entry.call_id, call_row(entry, result.problem_uid, None))
    entries = list(calls.values())
    generation = GenerationRow(
        problem_uid=result.problem_uid,
        status=status,
        image_path=_relative(image_path, workspace) if status == "ok" else None,
        svg_path=_relative(svg_path, workspace) if status == "ok" else None,
        plan=result.plan,
        code=result.code,
        error_class=None if status == "ok" else error_class,
        error_message=None if status == "ok" else error_message,
        attempts=len(result.attempts),
        first_attempt_ok=result.first_attempt_ok if result.attempts else status == "ok",
        tokens_in=_sum(entry.tokens_in for entry in entries),
        tokens_out=_sum(entry.tokens_out for entry in entries),
        cost_usd=_sum(entry.cost_usd for entry in entries),
        latency_s=result.latency_s,
        facts_json=None if result.facts is None else result.facts.model_dump_json(),
        notes=list(result.notes),
    )
    return generation, attempt_rows, entries


def save_results(
    store: Store,
    workspace: Workspace,
    run_id: str,
    run_name: str,
    results: Sequence[FigureResult],
    *,
    extra_calls: Mapping[str, Sequence[LedgerEntry]] | None = None,
    loose_calls: Sequence[LedgerEntry] = (),
) -> int:
    """Store ``results`` of run ``run_id``: image files at ``workspace.figure_path(run_name, uid)``,
    then figure records, attempts and model calls in one transaction. Idempotent per
    (run, problem): saving a problem again replaces its figure record and attempts; a model call
    (by call_id) is stored once. Returns the number of figure records written.

    ``extra_calls`` maps a problem uid to calls not attached to its attempts; ``loose_calls`` are
    calls to store without a figure (e.g. a problem stopped by the budget, to be redone later).
    """
    extra_calls = extra_calls or {}
    latest: dict[str, FigureResult] = {}
    for result in results:  # a problem given twice: the later result wins
        latest[result.problem_uid] = result
    generations: list[GenerationRow] = []
    attempts: list[AttemptRow] = []
    calls: list[ModelCallRow] = [call_row(entry, None, None) for entry in loose_calls]
    stale: list[Path] = []
    for uid, result in latest.items():
        image_path = svg_path = None
        if result.status == "ok" and result.image is not None:
            image_path = workspace.figure_path(run_name, uid)
            write_bytes_atomically(image_path, result.image)
            if result.svg is not None:
                svg_path = workspace.figure_path(run_name, uid, ".svg")
                write_bytes_atomically(svg_path, result.svg)
        else:
            stale.extend((workspace.figure_path(run_name, uid), workspace.figure_path(run_name, uid, ".svg")))
        generation, attempt_rows, call_rows = result_rows(
            result, image_path=image_path, svg_path=svg_path, workspace=workspace,
            extra_calls=extra_calls.get(uid, ()),
        )
        generations.append(generation)
        attempts.extend(attempt_rows)
        calls.extend(call_rows)
    for uid, entries in extra_calls.items():
        if uid not in latest:
            calls.extend(call_row(entry, uid, None) for entry in entries)
    if generations or calls:
        store.save_generations(run_id, generations, attempts, calls)
    for path in stale:  # after the commit: the store never points at a file that is gone
        path.unlink(missing_ok=True)
    return len(generations)


@dataclass
class _Pending:
    results: list[FigureResult] = field(default_factory=list)
    extra_calls: dict[str, list[LedgerEntry]] = field(default_factory=dict)
    loose_calls: list[LedgerEntry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.results) + len(self.loose_calls) + len(self.extra_calls)


class ResultWriter(BackgroundWriter[_Pending]):
    """Stores a generation run's results in the background (see ``core.jobs.writer``): a flush
    every ``flush_interval_s`` or ``max_batch`` results, each one transaction."""

    def __init__(
        self,
        store: Store,
        workspace: Workspace,
        run_id: str,
        run_name: str,
        *,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        max_batch: int = DEFAULT_MAX_BATCH,
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
    ) -> None:
        self.store, self.workspace, self.run_id, self.run_name = store, workspace, run_id, run_name
        super().__init__(
            describe=f"results of run {run_id}", flush_interval_s=flush_interval_s, max_batch=max_batch,
            heartbeat_s=heartbeat_s,
        )

    def put(self, result: FigureResult, calls: Sequence[LedgerEntry] = ()) -> None:
        """Queue one finished problem with every call seen for it."""

        def add(pending: _Pending) -> None:
            pending.results.append(result)
            if calls:
                pending.extra_calls.setdefault(result.problem_uid, []).extend(calls)

        self._add(add)

    def put_calls(self, problem_uid: str | None, calls: Sequence[LedgerEntry]) -> None:
        """Queue calls without a figure record (a problem that will be generated again later)."""
        if not calls:
            self._raise_if_failed()
            return

        def add(pending: _Pending) -> None:
            if problem_uid is None:
                pending.loose_calls.extend(calls)
            else:
                pending.extra_calls.setdefault(problem_uid, []).extend(calls)

        self._add(add)

    def _empty(self) -> _Pending:
        return _Pending()

    def _units(self, batch: _Pending) -> int:
        return len(batch.results)

    def _flush(self, batch: _Pending) -> int:
        return save_results(
            self.store, self.workspace, self.run_id, self.run_name, batch.results,
            extra_calls=batch.extra_calls, loose_calls=batch.loose_calls,
        )

    def _heartbeat(self) -> None:
        self.store.touch_run_progress(self.run_id)
