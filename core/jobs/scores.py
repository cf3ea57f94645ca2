"""An evaluation run's scores: the workers that score items (one figure at a time, or a whole set),
evaluator output as stored rows with an item status, written in batches by a background writer
(see :mod:`core.jobs.writer`), and the run's aggregates recomputed from its stored rows by its
evaluator."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
from pydantic import BaseModel, Field

from core.evaluation import evaluator_class
from core.evaluation.aggregates import EvaluationRows, agreement_scores, figure_aggregates
from core.evaluation.agreement import DISAGREEMENT_COLUMNS, disagreements
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    SetEvaluator,
)
from core.jobs.calls import CallTracker, current_problem
from core.jobs.runs import JobError
from core.jobs.saving import call_row
from core.jobs.workers import JobWorkers
from core.jobs.writer import (
    DEFAULT_FLUSH_INTERVAL_S,
    DEFAULT_HEARTBEAT_S,
    DEFAULT_MAX_BATCH,
    BackgroundWriter,
)
from core.models import LedgerEntry
from core.models.failures import FailureClass
from core.problems.models import Problem
from core.protocols import Protocol, build_protocol
from core.store import Aggregate, Store
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow
from core.store.generations import ModelCallRow

MISSING_IMAGE = "missing_image"
BUDGET_EXCEEDED = FailureClass.BUDGET_EXCEEDED.value
EVALUATOR_ERROR = "evaluator_error"


def has_image(figure: FigureUnderTest) -> bool:
    return figure.status == "ok" and figure.image_path is not None and figure.image_path.is_file()


@dataclasses.dataclass
class _Pending:
    items: dict[str, tuple[EvaluationItemRow, list[QuizAnswerRow], list[JudgeScoreRow], list[MetricValueRow]]] = (
        dataclasses.field(default_factory=dict)
    )
    calls: list[ModelCallRow] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items) + len(self.calls)


class EvaluationWriter(BackgroundWriter[_Pending]):
    """Stores an evaluation run's finished items in the background (see ``core.jobs.writer``): one
    transaction every ``flush_interval_s`` or ``max_batch`` items."""

    def __init__(
        self, store: Store, run_id: str, *, flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        max_batch: int = DEFAULT_MAX_BATCH, heartbeat_s: float = DEFAULT_HEARTBEAT_S,
    ) -> None:
        self.store, self.run_id = store, run_id
        super().__init__(
            describe=f"scores of evaluation run {run_id}", flush_interval_s=flush_interval_s,
            max_batch=max_batch, heartbeat_s=heartbeat_s,
        )

    def put(
        self, item: EvaluationItemRow, answers: list[QuizAnswerRow], scores: list[JudgeScoreRow],
        values: list[MetricValueRow], calls: Sequence[ModelCallRow] = (),
    ) -> None:
        def add(pending: _Pending) -> None:
            pending.items[item.problem_uid] = (item, answers, scores, values)
            pending.calls.extend(calls)

        self._add(add)

    def put_calls(self, calls: Sequence[ModelCallRow]) -> None:
        """Calls of an item that is not stored (stopped by the budget; it runs again on resume)."""
        if not calls:
            self._raise_if_failed()
            return
        self._add(lambda pending: pending.calls.extend(calls))

    def _empty(self) -> _Pending:
        return _Pending()

    def _units(self, batch: _Pending) -> int:
        return len(batch.items)

    def _flush(self, batch: _Pending) -> int:
        items = list(batch.items.values())
        self.store.save_evaluation(
            self.run_id,
            [item for item, _, _, _ in items],
            [row for _, answers, _, _ in items for row in answers],
            [row for _, _, scores, _ in items for row in scores],
            [row for _, _, _, values in items for row in values],
            list({call.call_id: call for call in batch.calls}.values()),
        )
        return len(items)

    def _heartbeat(self) -> None:
        self.store.touch_evaluation_progress(self.run_id)


def refused_by_budget(output: EvaluationOutput, calls: Sequence[LedgerEntry]) -> bool:
    """The budget refused one of the item's calls: its scores are not what an unlimited run gets."""
    if any(entry.failure_class is FailureClass.BUDGET_EXCEEDED for entry in (*output.ledger, *calls)):
        return True
    classes = [a.error_class for a in output.quiz_answers] + [s.error_class for s in output.judge_scores]
    details = [v.detail or "" for v in output.metric_values if v.status == "failed"]
    return BUDGET_EXCEEDED in classes or any(BUDGET_EXCEEDED in detail for detail in details)


def item_rows(
    figure: FigureUnderTest, output: EvaluationOutput, calls: Sequence[LedgerEntry], latency_s: float
) -> tuple[EvaluationItemRow, list[QuizAnswerRow], list[JudgeScoreRow], list[MetricValueRow], list[ModelCallRow]]:
    """One evaluated figure as stored rows, with its item status (see :mod:`core.jobs.evaluation`)."""
    uid = figure.problem_uid
    image = has_image(figure)
    answers = [QuizAnswerRow(**answer.model_dump()) for answer in output.quiz_answers]
    scores = [JudgeScoreRow(**score.model_dump()) for score in output.judge_scores]
    values = [MetricValueRow(**value.model_dump()) for value in output.metric_values]
    unique: dict[str, LedgerEntry] = {}
    for entry in (*output.ledger, *calls):
        unique.setdefault(entry.call_id, entry)
    call_rows = [call_row(entry, uid, None) for entry in unique.values()]
    errors = [a.error_class for a in answers if a.error_class and a.error_class != MISSING_IMAGE]
    errors += [s.error_class for s in scores if s.error_class and s.error_class != MISSING_IMAGE]
    failed_values = [v for v in values if v.status == "failed"]
    if not image:
        status, error_class = "no_image", MISSING_IMAGE
    elif errors:
        status, error_class = "failed", errors[0]
    elif failed_values:
        status, error_class = "failed", "metric_failed"
    elif not answers and not scores and (not values or all(v.status == "unavailable" for v in values)):
        status, error_class = "unavailable", None
    else:
        status, error_class = "ok", None
    known = [entry.cost_usd for entry in unique.values() if entry.cost_usd is not None]
    item = EvaluationItemRow(
        problem_uid=uid,
        status=status,
        figure_status=figure.status,
        error_class=error_class,
        notes=list(output.notes),
        cost_usd=sum(known) if known else None,
        latency_s=latency_s,
    )
    return item, answers, scores, values, call_rows


# ---- scoring items ---------------------------------------------------------------------------------


class EvaluationItemDone(BaseModel):
    """What a job reports after each item (for progress bars)."""

    problem_uid: str
    status: str = Field(description="ok | failed | no_image | unavailable | incomplete (budget stop).")
    error_class: str | None = None
    done: int = Field(description="Items finished by this job so far.")
    to_do: int
    ok: int
    failed: int = Field(description="Items not ok (failed, no_image, unavailable) so far.")
    cost_usd: float = Field(description="Known cost of this job's calls so far.")


class ScoringJob(JobWorkers[tuple[Problem, FigureUnderTest]]):
    """The workers of one evaluation job (see ``core.jobs.workers``)."""

    def __init__(
        self, evaluator: FigureEvaluator, ctx: EvaluationContext, writer: EvaluationWriter, calls: CallTracker,
        items: list[tuple[Problem, FigureUnderTest]], max_cost_usd: float | None,
        on_item: Callable[[EvaluationItemDone], None] | None,
    ) -> None:
        super().__init__(items, max_cost_usd)
        self.evaluator, self.ctx, self.writer, self.calls = evaluator, ctx, writer, calls
        self.on_item = on_item

    async def _work_on(self, unit: tuple[Problem, FigureUnderTest]) -> None:
        problem, figure = unit
        token = current_problem.set(problem.uid)
        began = time.monotonic()
        try:
            output = await self.evaluator.evaluate(problem, figure, self.ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - an evaluator bug fails one item, not the run
            output = EvaluationOutput(notes=[f"{EVALUATOR_ERROR}: {type(exc).__name__}: {exc}"])
            failed = True
        else:
            failed = False
        finally:
            current_problem.reset(token)
        calls = self.calls.take(problem.uid)
        if refused_by_budget(output, calls):
            unique = {entry.call_id: entry for entry in (*output.ledger, *calls)}
            self.writer.put_calls([call_row(entry, problem.uid, None) for entry in unique.values()])
            status, error_class = "incomplete", BUDGET_EXCEEDED
            self.stop_on_budget()
        else:
            item, answers, scores, values, call_rows = item_rows(figure, output, calls, time.monotonic() - began)
            if failed:
                item = item.model_copy(
                    update={"status": "no_image" if not has_image(figure) else "failed",
                            "error_class": MISSING_IMAGE if not has_image(figure) else EVALUATOR_ERROR}
                )
            self.writer.put(item, answers, scores, values, call_rows)
            status, error_class = item.status, item.error_class
        self.counts[status] += 1
        if self.on_item is not None:
            done = sum(self.counts.values())
            self.on_item(
                EvaluationItemDone(
                    problem_uid=problem.uid, status=status, error_class=error_class, done=done,
                    to_do=len(self.units), ok=self.counts["ok"], failed=done - self.counts["ok"],
                    cost_usd=self.calls.cost_usd,
                )
            )


async def score_set(
    evaluator: SetEvaluator, ctx: EvaluationContext, writer: EvaluationWriter, problems: Sequence[Problem],
    figures: Mapping[str, FigureUnderTest], run_id: str, store: Store,
) -> list[str]:
    """Score the whole selection at once; items record which figures took part."""
    chosen = [figures[p.uid] for p in problems]
    references = ctx.extras.get("references") or {}
    output = await asyncio.to_thread(evaluator.evaluate_set, chosen, references, ctx)
    aggregates = type(evaluator).set_aggregates(output.set_values, sum(has_image(f) for f in chosen))
    for figure in chosen:
        if not has_image(figure):
            status, error = "no_image", MISSING_IMAGE
        else:
            status, error = ("ok" if aggregates else "unavailable"), None
        writer.put(
            EvaluationItemRow(problem_uid=figure.problem_uid, status=status, figure_status=figure.status,
                              error_class=error),
            [], [], [],
        )
    if aggregates:
        store.replace_aggregates(run_id, aggregates)
    return list(output.notes)


# ---- aggregates -------------------------------------------------------------------------------------


def evaluation_rows(store: Store, run_id: str) -> EvaluationRows:
    """The stored rows of an evaluation run's finished items, as evaluators aggregate them."""
    items = store.run_items(run_id)
    if items is None:
        raise JobError(f"no run {run_id!r}")
    evaluated = set(store.evaluation_statuses(run_id))

    def finished(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["problem_uid"].isin(evaluated)]

    figures = finished(items.figures).reset_index(drop=True)
    answers = finished(items.quiz_answers)
    flagged = None
    if not answers.empty and not store.quiz_audits(problem_uids=figures["problem_uid"].tolist()).empty:
        flagged = frozenset(key for key in store.flagged_quiz_keys() if key[0] in evaluated)
    return EvaluationRows(
        figures=figures, quiz_answers=answers, judge_scores=finished(items.judge_scores),
        metric_values=finished(items.metric_values), flagged_quizzes=flagged,
    )


def compute_evaluation_aggregates(store: Store, run_id: str, *, spec: EvaluatorSpec | None = None) -> list[Aggregate]:
    """The aggregates of an evaluation run of a figure evaluator, from its stored rows, as its
    evaluator computes them (every per-figure metric when the evaluator is no longer registered);
    [] when it evaluated nothing. Raises JobError for rows that do not fit the stored problems
    (e.g. quizzes changed since)."""
    rows = evaluation_rows(store, run_id)
    if rows.figures.empty:
        return []
    run = store.get_run(run_id)
    name = spec.name if spec is not None else run.spec_name if run is not None else None
    try:
        aggregate = evaluator_class(name).aggregate if name else figure_aggregates
    except KeyError:
        aggregate = figure_aggregates
    try:
        return aggregate(rows)
    except ValueError as exc:
        raise JobError(f"cannot aggregate evaluation run {run_id}: {exc}") from None


def store_evaluation_protocol(store: Store, run_id: str, spec: EvaluatorSpec) -> Protocol | None:
    """Derive the run's protocol from the problems it evaluated and what its evaluator declares
    (:meth:`~core.evaluation.base.Evaluator.protocol_part`) and store it with the run and its
    aggregates; None (nothing stored) when it evaluated nothing yet."""
    evaluated = store.evaluation_statuses(run_id)
    if not evaluated:
        return None
    protocol = build_protocol(evaluated, evaluator_class(spec.name).protocol_part(spec))
    store.set_run_protocol(run_id, protocol)
    return protocol


def store_evaluation_aggregates(store: Store, run_id: str, *, spec: EvaluatorSpec | None = None) -> list[Aggregate]:
    """Compute and store (replacing the old set) an evaluation run's aggregates; returns them."""
    aggregates = compute_evaluation_aggregates(store, run_id, spec=spec)
    store.replace_aggregates(run_id, aggregates)
    return aggregates


def largest_disagreements(store: Store, run_id: str, top: int | None = 10) -> pd.DataFrame:
    """The figures the run's judges disagree on most, worst first (figures without an image left
    out). Columns: problem_uid, n_judges, total_spread, max_spread, worst_dimension, detail."""
    items = store.run_items(run_id)
    if items is None:
        raise JobError(f"no run {run_id!r}")
    scores = store.judge_scores(run_id)
    if scores.empty:
        return pd.DataFrame(columns=list(DISAGREEMENT_COLUMNS))
    kept = agreement_scores(scores.assign(score=scores["score"].astype("float64")), items.figures)
    return disagreements(kept, top=top)
