"""Running a generator spec over a problem selection: concurrency, budget, resume, progress.

``await run_generation(store, workspace, run_name=..., spec=..., selection=...)``:

1. resolves the selection and creates the run, or finds it (same name + same spec + same
   selection = the same run: that is how a killed job resumes; another spec raises);
2. skips every problem the run already holds a figure record for (``retry_failed`` redoes the
   failed ones), so a rerun after ``kill -9`` runs only what is missing and a finished run does
   nothing;
3. works on ``concurrency`` problems at once; model calls also obey the profile's own
   concurrency and rate limits (``ModelClient``), renders share one ``RenderPool``;
4. queues each finished problem to a :class:`~core.jobs.saving.ResultWriter` (batched short
   transactions, images under ``workspace.figure_path``), with every model call it made;
5. with ``max_cost_usd``, a :class:`~core.models.BudgetGuard` that starts from what the run has
   already spent refuses calls that could pass the limit; the job then stops taking new
   problems, and a problem whose call was refused is *not* stored (it is missing, and runs when
   the job is resumed with more budget) — the run ends ``cancelled`` with stop_reason ``budget``;
6. at the end stores pass@1 / pass@k (and cost) as run aggregates and the final progress state.

Per-call timeouts and retries are the model layer's (the profile's ``timeout_s`` and
``max_retries``); a generator never raises for a failed figure, and if one does anyway the
problem is stored failed with class ``generator_error``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from core.generation import registered_generators
from core.generation.base import (
    FigureResult,
    GenerationContext,
    Generator,
    GeneratorSpec,
    create_generator,
    generator_class,
)
from core.jobs.calls import CallTracker, current_problem, job_client
from core.jobs.runs import JobError, create_run, selected_problems, store_run_aggregates
from core.jobs.saving import ResultWriter
from core.jobs.workers import JobWorkers, recording_how_it_ends
from core.jobs.writer import DEFAULT_FLUSH_INTERVAL_S, DEFAULT_MAX_BATCH
from core.models import BudgetGuard, LedgerEntry, ModelClient, ProfileConfig
from core.models.failures import FailureClass
from core.problems.models import Problem
from core.problems.selection import ProblemSelection
from core.store import Store
from core.workspace import Workspace

# Modules whose import registers the built-in generators.
BUDGET_EXCEEDED = FailureClass.BUDGET_EXCEEDED.value
GENERATOR_ERROR = "generator_error"



class ProblemDone(BaseModel):
    """What a job reports after each problem (for progress bars)."""

    problem_uid: str
    status: str = Field(description="ok | failed | incomplete (stopped by the budget; runs again on resume).")
    error_class: str | None = None
    done: int = Field(description="Problems finished by this job so far.")
    to_do: int = Field(description="Problems this job set out to do.")
    ok: int
    failed: int
    cost_usd: float = Field(description="Known cost of this job's calls so far.")


class GenerationSummary(BaseModel):
    """How a generation job went: the run's totals and this job's own share."""

    run_id: str
    run_name: str
    generator: str
    model: str | None
    state: str = Field(description="finished | cancelled | failed (see stop_reason).")
    stop_reason: str | None = Field(default=None, description="budget | interrupted | error when not finished.")
    message: str
    total: int = Field(description="Problems in the selection.")
    done: int = Field(description="Problems of the run with a figure record (ok or failed).")
    ok: int
    failed: int
    skipped: int = Field(description="Problems already done before this job started.")
    ran: int = Field(description="Problems this job stored.")
    incomplete: int = Field(description="Problems left without a record (budget stop or interruption).")
    failures: dict[str, int] = Field(description="error_class -> failed figures of the run.")
    pass_at_1: float | None = Field(description="Percent of figures whose first attempt rendered.")
    pass_at_k: float | None = Field(description="Percent of figures rendered within the attempt budget.")
    cost_usd: float = Field(description="Known cost of every call of the run (all jobs).")
    job_cost_usd: float = Field(description="Known cost of this job's calls.")
    calls: int = Field(description="Model calls made by this job.")
    cached_calls: int = Field(description="Of those, answered from the cache.")
    failed_calls: dict[str, int] = Field(description="failure_class -> failed calls of this job (after retries).")
    retried_requests: dict[str, int] = Field(description="failure_class -> requests retried by this job.")
    wall_s: float
    writer_flushes: int


def _failure_result(problem: Problem, error_class: str, message: str, started: float) -> FigureResult:
    return FigureResult(
        problem_uid=problem.uid, status="failed", error_class=error_class, error_message=message,
        latency_s=time.monotonic() - started,
    )


def _refused(result: FigureResult, calls: Sequence[LedgerEntry]) -> bool:
    """True when the budget refused one of the problem's calls: the figure is not what an
    unlimited run would have made, so it is not stored."""
    return result.error_class == BUDGET_EXCEEDED or any(
        entry.failure_class is FailureClass.BUDGET_EXCEEDED for entry in (*result.ledger, *calls)
    )


def prepare_spec(spec: GeneratorSpec, *, profiles: ProfileConfig | None, home: str | None) -> GeneratorSpec:
    """``spec`` completed by its generator (defaults written out, model resolved to its
    LiteLLM string and fingerprint) when the generator offers ``complete_spec``."""
    registered_generators()  # built-ins and installed plugins registered
    try:
        cls = generator_class(spec.generator)
    except KeyError as exc:
        raise JobError(str(exc.args[0])) from None
    complete = getattr(cls, "complete_spec", None)
    if complete is None:
        return spec
    try:
        return complete(spec, config=profiles, home=home)
    except ValueError as exc:  # ProfileError, bad parameters
        raise JobError(str(exc)) from None


def _model_label(spec: GeneratorSpec) -> str | None:
    model = spec.param("model_id") or spec.param("model")
    return None if model is None else str(model)


async def run_generation(
    store: Store,
    workspace: Workspace,
    *,
    run_name: str,
    spec: GeneratorSpec,
    selection: ProblemSelection,
    concurrency: int | None = None,
    max_cost_usd: float | None = None,
    use_cache: bool = True,
    retry_failed: bool = False,
    profiles: ProfileConfig | None = None,
    client: ModelClient | None = None,
    render_pool: Any | None = None,
    extras: dict[str, Any] | None = None,
    on_problem: Callable[[ProblemDone], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> GenerationSummary:
    """Generate the figures of ``selection`` with ``spec`` into the run ``run_name`` (see the
    module docstring). ``spec`` should come from :func:`prepare_spec` (the CLI does that).

    ``profiles``: model profiles for the client (default: ``scigen.toml``); ``client``: a
    ModelClient whose cache and profiles to use (the job charges its own budget and tracker
    without changing it); ``render_pool``: a RenderPool to share (default: one for this job);
    ``extras``: passed to generators (test hooks); ``on_start(to_do, skipped)`` and
    ``on_problem`` report progress. Raises :class:`JobError` for a bad selection or spec and
    :class:`RunSpecMismatch` for a run name used with another spec or selection.
    """
    started = time.monotonic()
    generator, problems, run_id, to_do = _plan(store, run_name, spec, selection, retry_failed=retry_failed)
    model = _model_label(spec)
    skipped = len(problems) - len(to_do)
    if on_start is not None:
        on_start(len(to_do), skipped)
    if not to_do:
        progress = store.run_progress(run_id)
        if progress is None or progress.state != "finished" or progress.total != len(problems):
            store.start_run_progress(run_id, total=len(problems), pid=os.getpid(), host=socket.gethostname())
            store_run_aggregates(store, run_id)
            store.end_run_progress(run_id, state="finished", message="all problems were already done")
        return _summary(
            store, run_id, run_name, spec, model, state="finished", stop_reason=None,
            message="nothing to do: every selected problem already has a figure record",
            skipped=skipped, ran=0, incomplete=0, job_calls=[], started=started, flushes=0,
        )
    budget = BudgetGuard(max_cost_usd, spent_usd=store.run_spent_usd(run_id)) if max_cost_usd is not None else None
    calls = CallTracker()
    job_model_client = job_client(
        client, needed=type(generator).needs_model, budget=budget, calls=calls, workspace=workspace,
        profiles=profiles, use_cache=use_cache,
    )
    ctx = GenerationContext(
        render_pool=render_pool, client=job_model_client, budget=budget, use_cache=use_cache,
        extras={"tex_cache_dir": workspace.cache_dir / "tex", **(extras or {})},
    )
    writer = ResultWriter(store, workspace, run_id, run_name, flush_interval_s=flush_interval_s, max_batch=max_batch)
    job = _Job(generator, ctx, writer, calls, to_do, max_cost_usd, on_problem)
    store.start_run_progress(
        run_id, total=len(problems), pid=os.getpid(), host=socket.gethostname(),
        message=f"{len(to_do)} to do, {skipped} already done",
    )
    await _draw(job, store, run_id, concurrency)
    store_run_aggregates(store, run_id)
    if job.stop_reason is not None:
        state, reason, message = "cancelled", job.stop_reason, job.stop_message
    else:
        missing = len({p.uid for p in problems} - store.generation_statuses(run_id).keys())
        state, reason = "finished", None
        message = "all problems done" if missing == 0 else f"{missing} problems without a record"
    _end(store, run_id, state, reason, message)
    ran = job.counts["ok"] + job.counts["failed"]
    return _summary(
        store, run_id, run_name, spec, model, state=state, stop_reason=reason, message=message,
        skipped=skipped, ran=ran, incomplete=len(to_do) - ran, job_calls=calls.entries, started=started,
        flushes=writer.flushes,
    )


def _plan(
    store: Store, run_name: str, spec: GeneratorSpec, selection: ProblemSelection, *, retry_failed: bool
) -> tuple[Generator, list[Problem], str, list[Problem]]:
    """(generator, selected problems, run_id, problems still to draw) for one job."""
    registered_generators()  # built-ins and installed plugins registered
    try:
        generator: Generator = create_generator(spec)
    except KeyError as exc:
        raise JobError(str(exc.args[0])) from None
    except ValueError as exc:
        raise JobError(str(exc)) from None
    problems = selected_problems(store, selection)
    if not problems:
        raise JobError(f"no problems match the selection ({selection.describe()}); see 'scigen problems'")
    run_id = create_run(
        store, name=run_name, spec=spec, generator_kind=generator.kind if generator.kind != "imported" else None,
        model=_model_label(spec), selection=selection.to_dict(), notes=generator.label,
    )
    statuses = store.generation_statuses(run_id)
    to_do = [
        problem for problem in problems
        if problem.uid not in statuses or (retry_failed and statuses[problem.uid] != "ok")
    ]
    return generator, problems, run_id, to_do


async def _draw(job: _Job, store: Store, run_id: str, concurrency: int | None) -> None:
    """Run the job's workers, with a render pool of its own when the generator renders and none
    was given; the progress row says how a failure or an interruption ended it."""
    ctx, writer = job.ctx, job.writer
    if concurrency is None:
        concurrency = _default_concurrency(job.generator, ctx.client)
    if concurrency < 1:
        raise JobError(f"concurrency must be >= 1, got {concurrency}")
    own_pool = ctx.render_pool is None and job.generator.uses_sandbox
    if own_pool:
        from core.sandbox import RenderPool

        ctx.render_pool = RenderPool()
    try:
        with recording_how_it_ends(writer, lambda *how: _end(store, run_id, *how)):
            await job.run(concurrency)
    finally:
        if own_pool and ctx.render_pool is not None:
            ctx.render_pool.close()


class _Job(JobWorkers[Problem]):
    """The workers of one generation job (see ``core.jobs.workers``)."""

    def __init__(
        self, generator: Generator, ctx: GenerationContext, writer: ResultWriter, calls: CallTracker,
        to_do: list[Problem], max_cost_usd: float | None, on_problem: Callable[[ProblemDone], None] | None,
    ) -> None:
        super().__init__(to_do, max_cost_usd)
        self.generator, self.ctx, self.writer, self.calls = generator, ctx, writer, calls
        self.on_problem = on_problem

    async def _work_on(self, problem: Problem) -> None:
        token = current_problem.set(problem.uid)
        began = time.monotonic()
        try:
            result = await self.generator.generate(problem, self.ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a generator bug fails one problem, not the run
            result = _failure_result(problem, GENERATOR_ERROR, f"{type(exc).__name__}: {exc}", began)
        finally:
            current_problem.reset(token)
        calls = self.calls.take(problem.uid)
        if _refused(result, calls):
            self.writer.put_calls(problem.uid, calls)  # the calls happened; the figure runs again on resume
            status = "incomplete"
            self.stop_on_budget()
        else:
            self.writer.put(result, calls)
            status = "ok" if result.status == "ok" and result.image is not None else "failed"
        self.counts[status] += 1
        if self.on_problem is not None:
            self.on_problem(
                ProblemDone(
                    problem_uid=problem.uid, status=status, error_class=None if status == "ok" else result.error_class,
                    done=sum(self.counts.values()), to_do=len(self.units), ok=self.counts["ok"],
                    failed=self.counts["failed"], cost_usd=self.calls.cost_usd,
                )
            )


def _default_concurrency(generator: Generator, client: ModelClient | None) -> int:
    """Twice the model's concurrency (a problem rendering leaves its model slot free), or twice
    the CPU count for offline generators (the render pool is the limit)."""
    model = generator.spec.param("model")
    if type(generator).needs_model and client is not None and model:
        try:
            return 2 * max(1, client.resolve(str(model)).concurrency)
        except ValueError:
            pass
    return 2 * (os.cpu_count() or 2)



def _end(store: Store, run_id: str, state: str, reason: str | None, message: str) -> None:
    try:
        store.end_run_progress(run_id, state=state, stop_reason=reason, message=message)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - never hide the job's own outcome behind a progress write
        pass


def _summary(
    store: Store, run_id: str, run_name: str, spec: GeneratorSpec, model: str | None, *, state: str,
    stop_reason: str | None, message: str, skipped: int, ran: int, incomplete: int,
    job_calls: list[LedgerEntry], started: float, flushes: int,
) -> GenerationSummary:
    progress = store.run_progress(run_id)
    counts = store.pass_counts(run_id)
    overall = counts[counts["scope"] == "overall"]
    n = int(overall["n"].iloc[0]) if len(overall) else 0
    failed_calls = Counter(str(e.failure_class) for e in job_calls if e.failure_class is not None)
    retried = Counter(str(c) for e in job_calls for c in e.retry_classes)
    return GenerationSummary(
        run_id=run_id, run_name=run_name, generator=spec.generator, model=model, state=state,
        stop_reason=stop_reason, message=message,
        total=progress.total if progress else n, done=n,
        ok=int(overall["ok"].iloc[0]) if n else 0, failed=n - (int(overall["ok"].iloc[0]) if n else 0),
        skipped=skipped, ran=ran, incomplete=incomplete, failures=store.generation_failures(run_id),
        pass_at_1=100.0 * int(overall["first_ok"].iloc[0]) / n if n else None,
        pass_at_k=100.0 * int(overall["ok"].iloc[0]) / n if n else None,
        cost_usd=store.run_spent_usd(run_id),
        job_cost_usd=sum(entry.cost_usd or 0.0 for entry in job_calls),
        calls=len(job_calls), cached_calls=sum(entry.cached for entry in job_calls),
        failed_calls=dict(failed_calls), retried_requests=dict(retried),
        wall_s=time.monotonic() - started, writer_flushes=flushes,
    )


def generate(store: Store, workspace: Workspace, **options: Any) -> GenerationSummary:
    """:func:`run_generation` for synchronous callers (runs its own event loop)."""
    return asyncio.run(run_generation(store, workspace, **options))
