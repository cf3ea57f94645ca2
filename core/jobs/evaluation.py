"""Running an evaluator spec over a generation run's figures: resume, budget, progress, aggregates.

``await run_evaluation(store, workspace, generation_run="gold", spec=EvaluatorSpec.create(NAME, **params))``

The runner knows no evaluator by name: it asks the registered class (:mod:`core.evaluation`) to
complete the spec, label the run and aggregate what was stored.

Identity and naming
===================
One evaluation run per (generation run, evaluator spec): kind ``evaluation``, ``parent_run_id`` =
the generation run, named ``"<generation run> · <label>"`` (the evaluator's
:meth:`~core.evaluation.base.Evaluator.run_label`, e.g. ``ocr``, ``vqa:<model>``). Rerunning the
same evaluation resumes that run. The same name with another spec (other parameters, or a model
profile whose settings changed: completed specs store each model's secret-free fingerprint) or
another generation run under the same name is refused with :class:`~core.jobs.runs.RunSpecMismatch`;
``replace=True`` deletes the old evaluation run first.

Items, resume and progress
==========================
An item is one figure of the generation run (a problem with a figure record, ok or failed). An
item is done when its ``evaluation_items`` row is stored, in the same transaction as its quiz
answers / judge scores / metric values, so a rerun after ``kill -9`` evaluates only the rest and
nothing is stored twice. ``retry_failed`` also redoes items whose status is ``failed`` or
``unavailable``. A selection narrows the figures: its filters pick problems, then ``limit``
applies to those that have a figure record. Results are written in batches by a background writer
(:mod:`core.jobs.scores`); the progress row is what a dashboard reads meanwhile. With
``max_cost_usd`` (or a shared ``budget``) a call that could pass the limit is refused: the job
stops taking items, the item whose call was refused is not stored (its calls are), and the run
ends ``cancelled`` / ``budget``.

Item status: ``ok``; ``no_image`` (the figure failed to render or its file is gone); ``failed``
(the evaluator or its model failed on a figure that exists); ``unavailable`` (nothing to score: no
quizzes, no reference figure, no weights).

Aggregates
==========
After each job (also when there was nothing left to do) the run's aggregates are recomputed from
its stored rows by the evaluator's :meth:`~core.evaluation.base.Evaluator.aggregate` (see
:mod:`core.evaluation.aggregates`) and replace the old ones. A set evaluator (FID/KID) stores its
run-level values directly (:meth:`~core.evaluation.base.SetEvaluator.set_aggregates`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from core.evaluation import create_evaluator, evaluator_class
from core.evaluation.base import (
    EvaluationContext,
    Evaluator,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    SetEvaluator,
)
from core.jobs.calls import CallTracker, job_client
from core.jobs.figures import figures_under_test, selected_figures
from core.jobs.runs import JobError, ensure_evaluation_run, find_generation_run
from core.jobs.scores import (
    EvaluationItemDone,
    EvaluationWriter,
    ScoringJob,
    has_image,
    score_set,
    store_evaluation_aggregates,
    store_evaluation_protocol,
)
from core.jobs.workers import recording_how_it_ends
from core.jobs.writer import DEFAULT_FLUSH_INTERVAL_S, DEFAULT_MAX_BATCH
from core.models import BudgetGuard, ModelClient, ProfileConfig
from core.problems.models import Problem
from core.problems.selection import ProblemSelection
from core.store import Run, Store
from core.store.results import EVALUATION_NAME_SEPARATOR
from core.workspace import Workspace

__all__ = [
    "EvaluationItemDone",
    "EvaluationSummary",
    "create_evaluation_run",
    "evaluate",
    "evaluation_label",
    "evaluation_run_name",
    "prepare_evaluator_spec",
    "run_evaluation",
]

NAME_SEPARATOR = EVALUATION_NAME_SEPARATOR


# ---- specs, labels, names -------------------------------------------------------------------------


def _class_of(name: str) -> type[Evaluator]:
    try:
        return evaluator_class(name)
    except KeyError as exc:
        raise JobError(str(exc.args[0])) from None


def prepare_evaluator_spec(
    spec: EvaluatorSpec, *, profiles: ProfileConfig | None = None, home: str | None = None
) -> EvaluatorSpec:
    """``spec`` checked and completed by its evaluator (defaults written out, each model resolved
    to its LiteLLM string and secret-free fingerprint), so a stored run names the settings that
    scored it. Idempotent. Raises :class:`JobError` for an unknown evaluator, a bad parameter or
    an unknown profile."""
    try:
        completed = _class_of(spec.name).complete_spec(spec, config=profiles, home=home)
        create_evaluator(completed)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    return completed


def evaluation_label(spec: EvaluatorSpec) -> str:
    """The evaluator part of an evaluation run's name (the evaluator's ``run_label``)."""
    return _class_of(spec.name).run_label(spec)


def evaluation_run_name(generation_run_name: str, spec: EvaluatorSpec) -> str:
    return f"{generation_run_name}{NAME_SEPARATOR}{evaluation_label(spec)}"


def _model_label(spec: EvaluatorSpec) -> str | None:
    return ",".join(_class_of(spec.name).model_names(spec)) or None


def create_evaluation_run(store: Store, *, generation: Run, spec: EvaluatorSpec, replace: bool = False) -> Run:
    """The evaluation run of ``spec`` (completed) over ``generation``, created on first use; see
    :func:`core.jobs.runs.ensure_evaluation_run`."""
    return ensure_evaluation_run(
        store, name=evaluation_run_name(generation.name, spec), generation=generation, spec=spec,
        model=_model_label(spec), label=evaluation_label(spec), replace=replace,
    )


# ---- summaries ----------------------------------------------------------------------------------


class EvaluationSummary(BaseModel):
    """How an evaluation job went, with the run's overall numbers."""

    run_id: str
    run_name: str
    generation_run: str
    generation_run_id: str
    evaluator: str
    label: str
    model: str | None
    state: str = Field(description="finished | cancelled | failed.")
    stop_reason: str | None = None
    message: str
    total: int = Field(description="Figures selected for evaluation.")
    done: int = Field(description="Of those, items of the run finished (this job or earlier).")
    statuses: dict[str, int] = Field(description="Item status -> finished items of the selection.")
    missing_images: int = Field(description="Selected figures without an image (failed to render or file gone).")
    not_generated: int = Field(description="Selected problems without a figure in the generation run.")
    skipped: int = Field(description="Items already done before this job started.")
    ran: int = Field(description="Items this job stored.")
    incomplete: int = Field(description="Items left undone (budget stop or interruption).")
    aggregates: dict[str, dict[str, float | int | None]] = Field(
        description="Overall aggregates of the run: metric -> value, ci_low, ci_high, n."
    )
    notes: list[str] = Field(default_factory=list)
    cost_usd: float = Field(description="Known cost of every call of the evaluation run (all jobs).")
    job_cost_usd: float
    calls: int
    cached_calls: int
    failed_calls: dict[str, int]
    wall_s: float
    writer_flushes: int


# ---- the job --------------------------------------------------------------------------------------


def _default_concurrency(evaluator: Evaluator, client: ModelClient | None) -> int:
    """The models' own concurrency (an item already asks all its quizzes or judges at once), at
    least 2; twice the CPU count for offline evaluators."""
    models = type(evaluator).model_names(evaluator.spec)
    if type(evaluator).needs_model and client is not None and models:
        try:
            return max(2, max(client.resolve(model).concurrency for model in models))
        except (ValueError, TypeError):
            return 4
    return 2 * (os.cpu_count() or 2)


def _end(store: Store, run_id: str, state: str, reason: str | None, message: str) -> None:
    try:
        store.end_evaluation_progress(run_id, state=state, stop_reason=reason, message=message)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - never hide the job's own outcome behind a progress write
        pass


@dataclasses.dataclass
class _Plan:
    """What one evaluation job works on, decided before any score is computed."""

    spec: EvaluatorSpec
    evaluator: Evaluator
    generation: Run
    run: Run
    figures: dict[str, FigureUnderTest]
    problems: list[Problem]
    to_do: list[Problem]
    not_generated: int
    budget: BudgetGuard | None


def _plan(
    store: Store, workspace: Workspace, generation_run: str, spec: EvaluatorSpec, selection: ProblemSelection | None,
    *, profiles: ProfileConfig | None, replace: bool, retry_failed: bool, budget: BudgetGuard | None,
    max_cost_usd: float | None,
) -> _Plan:
    spec = prepare_evaluator_spec(spec, profiles=profiles, home=str(workspace.home))
    generation = find_generation_run(store, generation_run)
    evaluator = create_evaluator(spec)
    figures = figures_under_test(store, workspace, generation.run_id)
    if not figures:
        raise JobError(f"generation run {generation.name!r} has no figures yet; run 'scigen generate' first")
    problems, not_generated = selected_figures(store, figures, selection)
    if not problems:
        raise JobError(
            f"no figure of generation run {generation.name!r} matches the selection "
            f"({selection.describe() if selection else 'all problems'})"
        )
    run = create_evaluation_run(store, generation=generation, spec=spec, replace=replace)
    if budget is None and max_cost_usd is not None:
        budget = BudgetGuard(max_cost_usd, spent_usd=store.run_spent_usd(run.run_id))
    elif budget is not None:
        budget.add_spent(store.run_spent_usd(run.run_id))
    statuses = store.evaluation_statuses(run.run_id)
    redo = {"failed", "unavailable"} if retry_failed else set()
    if isinstance(evaluator, SetEvaluator):
        stored = set(store.aggregates(run_id=run.run_id)["metric"])
        complete = all(p.uid in statuses and statuses[p.uid] not in redo for p in problems)
        to_do = [] if complete and stored & set(evaluator.produces) else list(problems)
    else:
        to_do = [p for p in problems if p.uid not in statuses or statuses[p.uid] in redo]
    return _Plan(spec, evaluator, generation, run, figures, problems, to_do, not_generated, budget)


async def _score(
    plan: _Plan, store: Store, workspace: Workspace, client: ModelClient | None, calls: CallTracker, *,
    use_cache: bool, concurrency: int | None, render_pool: Any | None, extras: dict[str, Any] | None,
    on_item: Callable[[EvaluationItemDone], None] | None, flush_interval_s: float, max_batch: int,
) -> tuple[Counter[str], str | None, str, list[str], int]:
    """Run the evaluator over ``plan.to_do``: (item counts, stop reason, stop message, notes, flushes)."""
    notes: list[str] = []
    context_extras: dict[str, Any] = {"workspace": workspace, **(extras or {})}
    if type(plan.evaluator).needs_references:
        from core.evaluation.references import reference_figures

        references, without = await asyncio.to_thread(reference_figures, plan.problems, workspace, render_pool)
        context_extras.setdefault("references", references)
        if without:
            notes.append(f"{len(without)} problem(s) have no reference figure")
    compared = type(plan.evaluator).compared_runs(plan.spec)
    if compared:
        context_extras.setdefault("compared_figures", {
            name: figures_under_test(store, workspace, find_generation_run(store, name).run_id) for name in compared
        })
    ctx = EvaluationContext(client=client, budget=plan.budget, use_cache=use_cache, extras=context_extras)
    run_id = plan.run.run_id
    store.start_evaluation_progress(
        run_id, total=len(plan.problems), pid=os.getpid(), host=socket.gethostname(),
        message=f"{len(plan.to_do)} to do, {len(plan.problems) - len(plan.to_do)} already done",
    )
    writer = EvaluationWriter(store, run_id, flush_interval_s=flush_interval_s, max_batch=max_batch)
    with recording_how_it_ends(writer, lambda *how: _end(store, run_id, *how)):
        if isinstance(plan.evaluator, SetEvaluator):
            notes += await score_set(plan.evaluator, ctx, writer, plan.problems, plan.figures, run_id, store)
            counts, stop_reason, stop_message = Counter({"ok": len(plan.problems)}), None, ""
        else:
            concurrency = concurrency if concurrency is not None else _default_concurrency(plan.evaluator, client)
            if concurrency < 1:
                raise JobError(f"concurrency must be >= 1, got {concurrency}")
            assert isinstance(plan.evaluator, FigureEvaluator)
            max_cost = plan.budget.max_cost_usd if plan.budget is not None else None
            units = [(p, plan.figures[p.uid]) for p in plan.to_do]
            job = ScoringJob(plan.evaluator, ctx, writer, calls, units, max_cost, on_item)
            await job.run(concurrency)
            counts, stop_reason, stop_message = job.counts, job.stop_reason, job.stop_message
    return counts, stop_reason, stop_message, notes, writer.flushes


async def run_evaluation(
    store: Store,
    workspace: Workspace,
    *,
    generation_run: str,
    spec: EvaluatorSpec,
    selection: ProblemSelection | None = None,
    concurrency: int | None = None,
    max_cost_usd: float | None = None,
    budget: BudgetGuard | None = None,
    use_cache: bool = True,
    retry_failed: bool = False,
    replace: bool = False,
    profiles: ProfileConfig | None = None,
    client: ModelClient | None = None,
    render_pool: Any | None = None,
    extras: dict[str, Any] | None = None,
    on_item: Callable[[EvaluationItemDone], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> EvaluationSummary:
    """Score the figures of the generation run ``generation_run`` (name or run_id) with ``spec``
    into its evaluation run (see the module docstring).

    ``budget``: a BudgetGuard shared by several jobs (the run's earlier spend is added to it);
    else ``max_cost_usd`` makes one for this run. ``client``: a ModelClient whose cache and
    profiles to use (the job charges its own budget and tracker without changing it);
    ``render_pool``: a RenderPool for gold figures that still need rendering; ``extras``: passed
    to evaluators (``ctx.extras``); ``on_start(to_do, skipped)`` and ``on_item`` report progress.
    Raises JobError for an unknown generation run, evaluator or profile, RunSpecMismatch for a
    name used with another spec.
    """
    started = time.monotonic()
    plan = _plan(
        store, workspace, generation_run, spec, selection, profiles=profiles, replace=replace,
        retry_failed=retry_failed, budget=budget, max_cost_usd=max_cost_usd,
    )
    if on_start is not None:
        on_start(len(plan.to_do), len(plan.problems) - len(plan.to_do))
    calls = CallTracker()
    counts: Counter[str] = Counter()
    stop_reason, stop_message, notes, flushes = None, "", [], 0
    if plan.to_do:
        job_model_client = job_client(
            client, needed=type(plan.evaluator).needs_model, budget=plan.budget, calls=calls,
            workspace=workspace, profiles=profiles, use_cache=use_cache,
        )
        counts, stop_reason, stop_message, notes, flushes = await _score(
            plan, store, workspace, job_model_client, calls, use_cache=use_cache, concurrency=concurrency,
            render_pool=render_pool, extras=extras, on_item=on_item, flush_interval_s=flush_interval_s,
            max_batch=max_batch,
        )
    else:
        store.start_evaluation_progress(
            plan.run.run_id, total=len(plan.problems), pid=os.getpid(), host=socket.gethostname(),
            message="nothing to do: every selected figure was already evaluated",
        )
    if not isinstance(plan.evaluator, SetEvaluator):
        store_evaluation_aggregates(store, plan.run.run_id, spec=plan.spec)
    store_evaluation_protocol(store, plan.run.run_id, plan.spec)
    return _finish(store, plan, calls, counts, stop_reason, stop_message, notes, flushes, started)


def _finish(
    store: Store, plan: _Plan, calls: CallTracker, counts: Counter[str], stop_reason: str | None,
    stop_message: str, notes: list[str], flushes: int, started: float,
) -> EvaluationSummary:
    """End the run's progress row and say how the job went."""
    run, problems = plan.run, plan.problems
    stored_statuses = store.evaluation_statuses(run.run_id)
    if stop_reason is not None:
        state, message = "cancelled", stop_message
    else:
        left = sum(1 for p in problems if p.uid not in stored_statuses)
        state = "finished"
        message = (
            "nothing to do: every selected figure was already evaluated" if not plan.to_do
            else "all figures evaluated" if left == 0 else f"{left} figures without a stored evaluation"
        )
    _end(store, run.run_id, state, stop_reason, message)
    ran = sum(count for status, count in counts.items() if status != "incomplete")
    selected = {p.uid for p in problems}
    status_counts = Counter(status for uid, status in stored_statuses.items() if uid in selected)
    overall = store.aggregates(run_id=run.run_id, scope="overall")
    failed_calls = Counter(str(e.failure_class) for e in calls.entries if e.failure_class is not None)
    is_set = isinstance(plan.evaluator, SetEvaluator)
    return EvaluationSummary(
        run_id=run.run_id, run_name=run.name, generation_run=plan.generation.name,
        generation_run_id=plan.generation.run_id, evaluator=plan.spec.name, label=evaluation_label(plan.spec),
        model=_model_label(plan.spec), state=state, stop_reason=stop_reason, message=message,
        total=len(problems), done=sum(status_counts.values()), statuses=dict(status_counts),
        missing_images=sum(1 for p in problems if not has_image(plan.figures[p.uid])),
        not_generated=plan.not_generated, skipped=len(problems) - len(plan.to_do), ran=ran,
        incomplete=len(plan.to_do) - ran if not is_set else 0,
        aggregates={
            row.metric: {
                "value": _number(row.value), "ci_low": _number(row.ci_low), "ci_high": _number(row.ci_high),
                "n": None if pd.isna(row.n) else int(row.n),
            }
            for row in overall.itertuples(index=False)
        },
        notes=notes, cost_usd=store.run_spent_usd(run.run_id),
        job_cost_usd=sum(entry.cost_usd or 0.0 for entry in calls.entries), calls=len(calls.entries),
        cached_calls=sum(entry.cached for entry in calls.entries), failed_calls=dict(failed_calls),
        wall_s=time.monotonic() - started, writer_flushes=flushes,
    )


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def evaluate(store: Store, workspace: Workspace, **options: Any) -> EvaluationSummary:
    """:func:`run_evaluation` for synchronous callers (runs its own event loop)."""
    return asyncio.run(run_evaluation(store, workspace, **options))
