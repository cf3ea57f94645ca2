"""Running an evaluator spec over a generation run's figures: resume, budget, progress, aggregates.

``await run_evaluation(store, workspace, generation_run="gold", spec=EvaluatorSpec.create("ocr"))``

Identity and naming
===================
One evaluation run per (generation run, evaluator spec): kind ``evaluation``, ``parent_run_id`` =
the generation run, named ``"<generation run> · <label>"`` where the label says which evaluator
(:func:`evaluation_label`): ``ocr``, ``vqa:<model>`` (``vqa:<model> seed=<n>`` for a seed other
than 0, ``grader=<g>`` when a grader is named), ``mmq:<model>``, ``judge:<m1>,<m2>``, ``psnr``,
``ssim``, ``clip``, ``figure-facts``, ``fid`` (FID and KID come from one feature pass; ``kid`` is
stored as ``fid``). Rerunning the same evaluation resumes that run. The same name with another
spec (other parameters, or a model profile whose settings changed: the spec stores each model's
secret-free fingerprint) or another generation run under the same name is refused with
:class:`~core.jobs.runs.RunSpecMismatch`; ``replace=True`` deletes the old evaluation run first.

Items, resume and progress
==========================
An item is one figure of the generation run (a problem with a figure record, ok or failed). An
item is done when its ``evaluation_items`` row is stored, in the same transaction as its quiz
answers / judge scores / metric values (``Store.save_evaluation``), so a rerun after ``kill -9``
evaluates only the rest and nothing is stored twice. ``retry_failed`` also redoes items whose
status is ``failed`` or ``unavailable``. A selection (``ProblemSelection``) narrows the figures:
its filters pick problems, then ``limit`` applies to those that have a figure record. Results are
written in batches by a background writer; the ``run_progress`` row (done = finished items) is
what a dashboard reads meanwhile. Model calls go through ``core.models`` (cache, retries, limits)
and each is stored in the run's ``model_calls`` ledger. With ``max_cost_usd`` (or a shared
``budget``), a call that could pass the limit is refused: the job stops taking items, the item
whose call was refused is not stored (its calls are), and the run ends ``cancelled`` / ``budget``.

Item status: ``ok``; ``no_image`` (the figure failed to render or its file is gone: scored as
failed, see below); ``failed`` (the evaluator or its model failed on a figure that exists: a model
failure class, an unparsable reply, ``evaluator_error``); ``unavailable`` (nothing to score: no
quizzes, no reference figure, no weights).

Conventions for failed figures
==============================
* Quizzes of a figure that failed to render are wrong (``error_class`` ``missing_image``): R_inv and
  quiz accuracy count them as failed; ``n_missing`` and ``rinv_excluding_missing`` give the other
  convention (see :mod:`core.evaluation.stats`).
* Judge scores of such a figure are stored as **0 on every dimension** (``error_class``
  ``missing_image``): nothing was drawn, so nothing is correct, laid out, readable, plausible or
  expressive. They are left out of judge agreement (all judges "agree" on a 0 they never gave).
* ``mmq_correct`` is 0 for such a figure (the vqa module's rule).
* PSNR, SSIM, CLIP and figure facts have no value for it: their ``n`` counts figures with a value.
  FID/KID exclude it (the notes say how many).

Aggregates
==========
After each job (also when there was nothing left to do) the run's aggregates are recomputed from
its stored rows and replace the old ones (``Store.replace_aggregates``):

* :func:`core.evaluation.stats.aggregate_figures` over the evaluated figures: overall, per subject
  and per image type, 95% bootstrap intervals clustered by problem. Quiz metrics (rinv, quiz_acc,
  rinv_excluding_missing, n_missing) only for runs that answer quizzes.
* ``mmq_correct`` is stored per figure as 1/0 and aggregated in percent (x100), as its
  declaration says. An identical pair has infinite PSNR: it counts as :data:`PSNR_CAP_DB` dB in
  aggregates (stored per figure as inf).
* OCR: ``ocr_answer_rate`` and ``ocr_precision`` pooled over quizzes (answered / quizzes of
  existing images; correct / answered), as :func:`core.evaluation.ocr.summarise_answers` defines
  them, with the same clustered intervals, per scope.
* ``rinv_unblind`` / ``quiz_acc_unblind``: the quiz metrics without the quizzes a blind audit
  flagged (``core.store.quiz_audits.flagged_quiz_keys``, any model); stored only when at least one
  evaluated quiz has a current audit. A figure left without quizzes takes no part.
* Two or more judges: ``judge_alpha`` (Krippendorff's alpha, ordinal, over every (figure,
  dimension)) and ``judge_alpha_cf`` ... ``judge_alpha_er``, overall, with a 95% interval from
  :data:`ALPHA_RESAMPLES` resamples of problems; :func:`judge_disagreements` lists the items the
  judges disagree on most.
* Set evaluators (fid): ``fid`` and ``kid`` overall, no interval; ``n`` = generated figures used.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from core.evaluation import create_evaluator, load_evaluator_class
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    Evaluator,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    SetEvaluator,
)
from core.jobs.calls import CallTracker, current_problem
from core.jobs.runs import JobError, ProblemSelection, RunSpecMismatch, code_version
from core.jobs.saving import call_row
from core.jobs.workers import JobWorkers, close_quietly
from core.jobs.writer import (
    DEFAULT_FLUSH_INTERVAL_S,
    DEFAULT_HEARTBEAT_S,
    DEFAULT_MAX_BATCH,
    BackgroundWriter,
)
from core.models import BudgetGuard, LedgerEntry, ModelClient, ProfileConfig, ProfileError, ResponseCache
from core.models import resolve_model as _resolve_model
from core.models.errors import FailureClass
from core.problems.models import Problem
from core.store import Aggregate, Run, Store
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow
from core.store.generations import ModelCallRow
from core.store.results import EVALUATION_NAME_SEPARATOR
from core.workspace import Workspace

__all__ = [
    "ALPHA_RESAMPLES",
    "EvaluationItemDone",
    "EvaluationSummary",
    "PSNR_CAP_DB",
    "compute_evaluation_aggregates",
    "evaluate",
    "evaluation_label",
    "evaluation_run_name",
    "figures_under_test",
    "find_generation_run",
    "judge_disagreements",
    "prepare_evaluator_spec",
    "run_evaluation",
    "store_evaluation_aggregates",
]


NAME_SEPARATOR = EVALUATION_NAME_SEPARATOR
MODEL_PARAMS: dict[str, tuple[str, ...]] = {"vqa": ("model", "grader"), "mmq": ("model", "grader")}
REFERENCE_EVALUATORS = frozenset({"psnr", "ssim", "fid", "kid"})
PSNR_CAP_DB = 100.0
"""PSNR counted for a pixel-identical pair in aggregates (its stored per-figure value is inf)."""
PERCENT_PER_FIGURE: dict[str, float] = {"mmq_correct": 100.0}
"""Per-figure metrics stored as shares (1/0) whose declaration is in percent: scale in aggregates."""
POOLED_OCR = ("ocr_answer_rate", "ocr_precision")
ALPHA_RESAMPLES = 1000
MISSING_IMAGE = "missing_image"
EVALUATOR_ERROR = "evaluator_error"
BUDGET_EXCEEDED = FailureClass.BUDGET_EXCEEDED.value
NO_IMAGE_RATIONALE = "no image: the figure failed to render or its file is missing; every dimension scores 0"



# ---- specs, labels, names -------------------------------------------------------------------------


def _model_fingerprint(name: str, profiles: ProfileConfig | None, home: str | None) -> tuple[str, str]:
    try:
        profile = _resolve_model(name, config=profiles, home=home)
    except ProfileError as exc:
        raise JobError(str(exc)) from None
    return profile.model, profile.fingerprint()


def prepare_evaluator_spec(
    spec: EvaluatorSpec, *, profiles: ProfileConfig | None = None, home: str | None = None
) -> EvaluatorSpec:
    """``spec`` checked and completed: ``kid`` becomes ``fid`` (one computation gives both), vqa's
    seed/shuffle defaults are written out, and every model is resolved to its LiteLLM string and
    secret-free fingerprint (``model_id``/``model_fingerprint``, ``grader_fingerprint``,
    ``judge_fingerprints``), so a stored run names the model settings that scored it.
    Raises :class:`JobError` for an unknown evaluator, a bad parameter or an unknown profile."""
    name = "fid" if spec.name == "kid" else spec.name
    try:
        load_evaluator_class(name)
    except KeyError as exc:
        raise JobError(str(exc.args[0])) from None
    params = dict(spec.params)
    if name == "vqa":
        params.setdefault("seed", 0)
        params.setdefault("shuffle", True)
    if name in MODEL_PARAMS:
        model = params.get("model")
        if not isinstance(model, str) or not model.strip():
            raise JobError(f"evaluator {name!r} needs a model: a profile name or a LiteLLM model string")
        params["model_id"], params["model_fingerprint"] = _model_fingerprint(model, profiles, home)
        grader = params.get("grader")
        if isinstance(grader, str) and grader.strip() and grader != model:
            params["grader_fingerprint"] = _model_fingerprint(grader, profiles, home)[1]
    if name == "judge":
        judges = params.pop("judges", None)
        if judges is None and params.get("model") is not None:
            judges = [params.pop("model")]
        if isinstance(judges, str):
            judges = [part.strip() for part in judges.split(",")]
        if not isinstance(judges, list | tuple) or not judges:
            raise JobError("evaluator 'judge' needs judges: profile names or LiteLLM model strings")
        params["judges"] = list(judges)
        params["judge_fingerprints"] = [
            _model_fingerprint(str(judge), profiles, home)[1] for judge in judges if isinstance(judge, str)
        ]
    completed = EvaluatorSpec.create(name, **params)
    try:
        create_evaluator(completed)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    return completed


def evaluation_label(spec: EvaluatorSpec) -> str:
    """The evaluator part of an evaluation run's name (see the module docstring)."""
    if spec.name == "vqa":
        label = f"vqa:{spec.param('model')}"
        seed = spec.param("seed", 0)
        if seed not in (0, None):
            label += f" seed={seed}"
        grader = spec.param("grader")
        if grader and grader != spec.param("model"):
            label += f" grader={grader}"
        if spec.param("shuffle", True) is False:
            label += " unshuffled"
        return label
    if spec.name == "mmq":
        grader = spec.param("grader")
        suffix = f" grader={grader}" if grader and grader != spec.param("model") else ""
        return f"mmq:{spec.param('model')}{suffix}"
    if spec.name == "judge":
        judges = spec.param("judges") or [spec.param("model")]
        return "judge:" + ",".join(str(judge) for judge in judges)
    return "fid" if spec.name == "kid" else spec.name


def evaluation_run_name(generation_run_name: str, spec: EvaluatorSpec) -> str:
    return f"{generation_run_name}{NAME_SEPARATOR}{evaluation_label(spec)}"


def _model_label(spec: EvaluatorSpec) -> str | None:
    if spec.name == "judge":
        judges = spec.param("judges") or [spec.param("model")]
        return ",".join(str(judge) for judge in judges)
    model = spec.param("model")
    return None if model is None else str(model)


def find_generation_run(store: Store, name: str) -> Run:
    """The generation run called ``name`` (or with that run_id); JobError listing the runs if none."""
    run = store.find_run("generation", name)
    if run is None:
        by_id = store.get_run(name)
        run = by_id if by_id is not None and by_id.kind == "generation" else None
    if run is not None:
        return run
    names = store.list_runs("generation")["name"].tolist()
    listing = ", ".join(repr(n) for n in names[:20]) + (" ..." if len(names) > 20 else "")
    raise JobError(
        f"no generation run {name!r}; "
        + (f"generation runs: {listing}" if names else "the store has no generation run yet")
        + " (make one with 'scigen generate', list them with 'scigen runs --kind generation')"
    )


def _canonical(name: str, params: Mapping[str, Any]) -> str:
    return EvaluatorSpec.create(name, **json.loads(json.dumps(dict(params)))).to_json()


def _differences(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    keys = sorted(set(stored) | set(wanted))
    return "; ".join(
        f"{key}: {json.dumps(stored.get(key))} -> {json.dumps(wanted.get(key))}"
        for key in keys
        if json.dumps(stored.get(key), sort_keys=True) != json.dumps(wanted.get(key), sort_keys=True)
    )


def create_evaluation_run(
    store: Store, *, generation: Run, spec: EvaluatorSpec, replace: bool = False
) -> Run:
    """The evaluation run of ``spec`` over ``generation``: created on first use, the existing one
    afterwards (that is how a job resumes). Raises RunSpecMismatch for the same name with another
    spec or generation run; ``replace`` deletes an existing one (and its scores) first."""
    name = evaluation_run_name(generation.name, spec)
    if replace:
        existing = store.find_run("evaluation", name)
        if existing is not None:
            store.delete_run(existing.run_id)
    wanted = Run(
        run_id=f"eva-{os.urandom(6).hex()}",
        name=name,
        kind="evaluation",
        generator_kind=generation.generator_kind,
        access=generation.access,
        model=_model_label(spec),
        spec_name=spec.name,
        spec_params=dict(spec.params),
        parent_run_id=generation.run_id,
        code_version=code_version(),
        notes=evaluation_label(spec),
    )
    stored = store.create_run_if_absent(wanted)
    if stored.run_id == wanted.run_id:
        return stored
    retry = "rerun with the settings it was made with, or add --replace to score it again from scratch"
    if stored.parent_run_id != generation.run_id:
        raise RunSpecMismatch(
            f"evaluation run {name!r} scores another generation run ({stored.parent_run_id}, not "
            f"{generation.run_id}: was {generation.name!r} made again?); {retry}"
        )
    if _canonical(stored.spec_name or "", stored.spec_params) != _canonical(spec.name, dict(spec.params)):
        detail = _differences(stored.spec_params, json.loads(json.dumps(dict(spec.params))))
        if "fingerprint" in detail:
            detail += "; a model profile's settings (model, endpoint, temperature, max_tokens ...) changed"
        raise RunSpecMismatch(f"evaluation run {name!r} already exists with another spec ({detail}); {retry}")
    return stored


# ---- figures ----------------------------------------------------------------------------------


def _absolute(path: str | None, workspace: Workspace) -> Path | None:
    if path is None or (isinstance(path, float) and math.isnan(path)):
        return None
    candidate = Path(path)
    return candidate if candidate.is_absolute() else workspace.home / candidate


def _facts(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    from core.sandbox.models import FigureFacts

    try:
        return FigureFacts.model_validate_json(text)
    except ValueError:
        return None


def figures_under_test(store: Store, workspace: Workspace, generation_run_id: str) -> dict[str, FigureUnderTest]:
    """Every figure record of a generation run as evaluators see it (absolute image path, code,
    facts), keyed by problem uid, in problem-uid order."""
    frame = store.generations(generation_run_id).astype(object)
    frame = frame.where(frame.notna(), None)
    figures: dict[str, FigureUnderTest] = {}
    for row in frame.itertuples(index=False):
        figures[row.problem_uid] = FigureUnderTest(
            run_id=generation_run_id,
            problem_uid=row.problem_uid,
            status="ok" if row.status == "ok" else "failed",
            image_path=_absolute(row.image_path, workspace) if row.status == "ok" else None,
            code=row.code,
            facts=_facts(row.facts_json),
            error_class=row.error_class,
        )
    return figures


def has_image(figure: FigureUnderTest) -> bool:
    return figure.status == "ok" and figure.image_path is not None and figure.image_path.is_file()


def _selected(
    store: Store, figures: Mapping[str, FigureUnderTest], selection: ProblemSelection | None
) -> tuple[list[Problem], int]:
    """(problems to evaluate, selected problems without a figure record)."""
    if selection is None or selection == ProblemSelection():
        problems = store.get_problems(list(figures))
        return problems, 0
    unlimited = dataclasses.replace(selection, limit=None)
    chosen = unlimited.resolve(store)
    with_figure = [problem for problem in chosen if problem.uid in figures]
    without = len(chosen) - len(with_figure)
    if selection.limit is not None:
        with_figure = with_figure[: selection.limit]
    return with_figure, without


# ---- summaries ----------------------------------------------------------------------------------


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


# ---- the writer ---------------------------------------------------------------------------------


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


# ---- turning evaluator output into stored rows ----------------------------------------------------




def _refused(output: EvaluationOutput, calls: Sequence[LedgerEntry]) -> bool:
    """The budget refused one of the item's calls: its scores are not what an unlimited run gets."""
    if any(entry.failure_class is FailureClass.BUDGET_EXCEEDED for entry in (*output.ledger, *calls)):
        return True
    classes = [a.error_class for a in output.quiz_answers] + [s.error_class for s in output.judge_scores]
    details = [v.detail or "" for v in output.metric_values if v.status == "failed"]
    return BUDGET_EXCEEDED in classes or any(BUDGET_EXCEEDED in detail for detail in details)


def item_rows(
    figure: FigureUnderTest, output: EvaluationOutput, calls: Sequence[LedgerEntry], latency_s: float
) -> tuple[EvaluationItemRow, list[QuizAnswerRow], list[JudgeScoreRow], list[MetricValueRow], list[ModelCallRow]]:
    """One evaluated figure as stored rows, with its item status (see the module docstring). Judge
    scores of a figure without an image become 0 (error_class kept)."""
    uid = figure.problem_uid
    image = has_image(figure)
    answers = [QuizAnswerRow(**answer.model_dump()) for answer in output.quiz_answers]
    scores = [
        JudgeScoreRow(**{**score.model_dump(), "score": 0, "rationale": NO_IMAGE_RATIONALE})
        if not image and score.score is None and score.error_class == MISSING_IMAGE
        else JudgeScoreRow(**score.model_dump())
        for score in output.judge_scores
    ]
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


# ---- the job --------------------------------------------------------------------------------------


def _default_concurrency(evaluator: Evaluator, client: ModelClient | None) -> int:
    """The model's own concurrency (a vqa item already asks all its quizzes at once; a judge item
    all its judges), at least 2; twice the CPU count for offline evaluators."""
    if type(evaluator).needs_model and client is not None:
        models = evaluator.spec.param("judges") or [evaluator.spec.param("model")]
        try:
            return max(2, max(client.resolve(str(model)).concurrency for model in models if model))
        except (ValueError, TypeError):
            return 4
    return 2 * (os.cpu_count() or 2)


def _end(store: Store, run_id: str, state: str, reason: str | None, message: str) -> None:
    try:
        store.end_evaluation_progress(run_id, state=state, stop_reason=reason, message=message)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - never hide the job's own outcome behind a progress write
        pass



class _Job(JobWorkers[tuple[Problem, FigureUnderTest]]):
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
        if _refused(output, calls):
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
    into its evaluation run (see the module docstring). ``spec`` should come from
    :func:`prepare_evaluator_spec` (done here too; it is idempotent).

    ``budget``: a BudgetGuard shared by several jobs (the run's earlier spend is added to it);
    else ``max_cost_usd`` makes one for this run. ``client``: a ModelClient to use (its budget and
    ledger hook are set for the job and restored after); ``render_pool``: a RenderPool for gold
    figures that still need rendering; ``extras``: passed to evaluators (``ctx.extras``);
    ``on_start(to_do, skipped)`` and ``on_item`` report progress. Raises JobError for an unknown
    generation run, evaluator or profile, RunSpecMismatch for a name used with another spec.
    """
    started = time.monotonic()
    spec = prepare_evaluator_spec(spec, profiles=profiles, home=str(workspace.home))
    generation = find_generation_run(store, generation_run)
    evaluator = create_evaluator(spec)
    figures = figures_under_test(store, workspace, generation.run_id)
    if not figures:
        raise JobError(f"generation run {generation.name!r} has no figures yet; run 'scigen generate' first")
    problems, not_generated = _selected(store, figures, selection)
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
        max_cost_usd = budget.max_cost_usd
    statuses = store.evaluation_statuses(run.run_id)
    redo = {"failed", "unavailable"} if retry_failed else set()
    is_set = isinstance(evaluator, SetEvaluator)
    if is_set:
        stored_set = set(store.aggregates(run_id=run.run_id)["metric"])
        complete = all(p.uid in statuses and statuses[p.uid] not in redo for p in problems) and bool(
            stored_set & set(evaluator.produces)
        )
        to_do = [] if complete else list(problems)
    else:
        to_do = [p for p in problems if p.uid not in statuses or statuses[p.uid] in redo]
    skipped = len(problems) - len(to_do)
    if on_start is not None:
        on_start(len(to_do), skipped)
    notes: list[str] = []
    calls = CallTracker()
    job_counts: Counter[str] = Counter()
    flushes = 0
    stop_reason: str | None = None
    stop_message = ""
    if to_do:
        restore_client: tuple[Any, Any] | None = None
        own_client = False
        if client is None and type(evaluator).needs_model:
            client = ModelClient(
                cache=ResponseCache(workspace.cache_dir / "models"), use_cache=use_cache, budget=budget,
                on_ledger=calls.record, config=profiles, home=str(workspace.home),
            )
            own_client = True
        elif client is not None:
            restore_client = (client.budget, client.on_ledger)
            client.budget, client.on_ledger = budget, calls.chained(client.on_ledger)
        try:
            context_extras: dict[str, Any] = {"workspace": workspace, **(extras or {})}
            if spec.name in REFERENCE_EVALUATORS:
                from core.evaluation.references import reference_figures

                references, without = await asyncio.to_thread(reference_figures, problems, workspace, render_pool)
                context_extras.setdefault("references", references)
                if without:
                    notes.append(f"{len(without)} problem(s) have no reference figure")
            ctx = EvaluationContext(client=client, budget=budget, use_cache=use_cache, extras=context_extras)
            store.start_evaluation_progress(
                run.run_id, total=len(problems), pid=os.getpid(), host=socket.gethostname(),
                message=f"{len(to_do)} to do, {skipped} already done",
            )
            writer = EvaluationWriter(store, run.run_id, flush_interval_s=flush_interval_s, max_batch=max_batch)
            try:
                if is_set:
                    assert isinstance(evaluator, SetEvaluator)
                    notes += await _run_set(evaluator, ctx, writer, problems, figures, run.run_id, store)
                    job_counts["ok"] = len(problems)
                else:
                    if concurrency is None:
                        concurrency = _default_concurrency(evaluator, client)
                    if concurrency < 1:
                        raise JobError(f"concurrency must be >= 1, got {concurrency}")
                    assert isinstance(evaluator, FigureEvaluator)
                    job = _Job(
                        evaluator, ctx, writer, calls, [(p, figures[p.uid]) for p in to_do], max_cost_usd, on_item
                    )
                    await job.run(concurrency)
                    job_counts = job.counts
                    stop_reason, stop_message = job.stop_reason, job.stop_message
                writer.close()
                flushes = writer.flushes
            except (asyncio.CancelledError, KeyboardInterrupt):
                close_quietly(writer)
                _end(store, run.run_id, "cancelled", "interrupted", "interrupted; rerun the same command to resume")
                raise
            except BaseException as exc:
                close_quietly(writer)
                _end(store, run.run_id, "failed", "error", f"{type(exc).__name__}: {exc}")
                raise
        finally:
            if restore_client is not None and client is not None:
                client.budget, client.on_ledger = restore_client
            if own_client and client is not None:
                client.close()
    else:
        store.start_evaluation_progress(
            run.run_id, total=len(problems), pid=os.getpid(), host=socket.gethostname(),
            message="nothing to do: every selected figure was already evaluated",
        )
    if not is_set:
        store_evaluation_aggregates(store, run.run_id, spec=spec)
    stored_statuses = store.evaluation_statuses(run.run_id)
    if stop_reason is not None:
        state, message = "cancelled", stop_message
    else:
        left = sum(1 for p in problems if p.uid not in stored_statuses)
        state = "finished"
        message = (
            "nothing to do: every selected figure was already evaluated" if not to_do
            else "all figures evaluated" if left == 0 else f"{left} figures without a stored evaluation"
        )
    _end(store, run.run_id, state, stop_reason, message)
    ran = sum(count for status, count in job_counts.items() if status != "incomplete")
    selected = {p.uid for p in problems}
    status_counts = Counter(status for uid, status in stored_statuses.items() if uid in selected)
    overall = store.aggregates(run_id=run.run_id, scope="overall")
    failed_calls = Counter(str(e.failure_class) for e in calls.entries if e.failure_class is not None)
    return EvaluationSummary(
        run_id=run.run_id, run_name=run.name, generation_run=generation.name, generation_run_id=generation.run_id,
        evaluator=spec.name, label=evaluation_label(spec), model=_model_label(spec), state=state,
        stop_reason=stop_reason, message=message, total=len(problems), done=sum(status_counts.values()),
        statuses=dict(status_counts),
        missing_images=sum(1 for p in problems if not has_image(figures[p.uid])),
        not_generated=not_generated, skipped=skipped, ran=ran, incomplete=len(to_do) - ran if not is_set else 0,
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


async def _run_set(
    evaluator: SetEvaluator, ctx: EvaluationContext, writer: EvaluationWriter, problems: Sequence[Problem],
    figures: Mapping[str, FigureUnderTest], run_id: str, store: Store,
) -> list[str]:
    """Score the whole selection at once; items record which figures took part."""
    chosen = [figures[p.uid] for p in problems]
    references = ctx.extras.get("references") or {}
    output = await asyncio.to_thread(evaluator.evaluate_set, chosen, references, ctx)
    values = {name: value for name, value in output.set_values.items() if value is not None}
    usable = [figure for figure in chosen if has_image(figure)]
    for figure in chosen:
        if not has_image(figure):
            status, error = "no_image", MISSING_IMAGE
        elif values:
            status, error = "ok", None
        else:
            status, error = "unavailable", None
        writer.put(
            EvaluationItemRow(problem_uid=figure.problem_uid, status=status, figure_status=figure.status,
                              error_class=error),
            [], [], [],
        )
    declared = [name for name in ("fid", "kid") if name in values]
    aggregates = [Aggregate(metric=name, value=float(values[name]), n=len(usable)) for name in declared]
    if "kid_std" in values:
        output.notes.append(f"kid std over subsets: {values['kid_std']:.6g}")
    if aggregates:
        store.replace_aggregates(run_id, aggregates)
    return list(output.notes)


def evaluate(store: Store, workspace: Workspace, **options: Any) -> EvaluationSummary:
    """:func:`run_evaluation` for synchronous callers (runs its own event loop)."""
    return asyncio.run(run_evaluation(store, workspace, **options))


# ---- aggregates -------------------------------------------------------------------------------------


def _prepared_values(values: pd.DataFrame) -> pd.DataFrame:
    """Per-figure values as aggregates count them: pooled OCR rates out, shares in percent, an
    identical pair's infinite PSNR capped."""
    values = values[~values["metric"].isin(POOLED_OCR)].copy()
    numbers = pd.to_numeric(values["value"], errors="coerce").astype("float64")
    for metric, factor in PERCENT_PER_FIGURE.items():
        numbers = numbers.where(values["metric"] != metric, numbers * factor)
    psnr = values["metric"] == "psnr"
    numbers = numbers.where(~(psnr & np.isposinf(numbers)), PSNR_CAP_DB)
    values["value"] = numbers.where(np.isfinite(numbers))
    return values


def _scope_parts(table: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(scope, scope_value, row mask) like core.evaluation.stats scopes them."""
    from core.evaluation.stats import UNTYPED_IMAGE_TYPE

    parts = [("overall", "", np.ones(len(table), dtype=bool))]
    for value in sorted(table["subject"].unique()):
        parts.append(("subject", str(value), (table["subject"] == value).to_numpy()))
    types = table["image_type"].where(table["image_type"].notna(), UNTYPED_IMAGE_TYPE)
    for value in sorted(types.unique(), key=lambda v: (v == UNTYPED_IMAGE_TYPE, v)):
        parts.append(("image_type", str(value), (types == value).to_numpy()))
    return parts


def _pooled(
    table: pd.DataFrame, metric: str, numerators: np.ndarray, denominators: np.ndarray, scale: float = 100.0
) -> list[Aggregate]:
    from core.evaluation.stats import DEFAULT_SEED, cluster_bootstrap

    aggregates = []
    for scope, scope_value, mask in _scope_parts(table):
        if denominators[mask].sum() <= 0:
            continue
        interval = cluster_bootstrap(numerators[mask], denominators[mask], seed=DEFAULT_SEED)
        aggregates.append(
            Aggregate(
                metric=metric, scope=scope, scope_value=scope_value, value=interval.value * scale,
                ci_low=interval.ci_low * scale, ci_high=interval.ci_high * scale, n=int(denominators[mask].sum()),
            )
        )
    return aggregates


def _ocr_aggregates(table: pd.DataFrame, answers: pd.DataFrame) -> list[Aggregate]:
    """Pooled OCR answer rate and precision (summarise_answers' definitions), per scope: answered
    / quizzes of figures that exist (a figure whose every answer has an error_class is missing),
    and correct / answered."""
    error = answers["error_class"].notna().to_numpy()
    abstained = answers["abstained"].fillna(False).astype(bool).to_numpy()
    correct = answers["correct"].fillna(False).astype(bool).to_numpy()
    frame = pd.DataFrame(
        {
            "problem_uid": answers["problem_uid"].to_numpy(),
            "quizzes": 1,
            "errors": error.astype(int),
            "answered": (~abstained & ~error).astype(int),
            "correct_answered": (~abstained & ~error & correct).astype(int),
        }
    )
    per = frame.groupby("problem_uid").sum()
    per["present"] = np.where(per["errors"] == per["quizzes"], 0, per["quizzes"])
    per = per.reindex(table["problem_uid"]).fillna(0)
    return _pooled(table, "ocr_answer_rate", per["answered"].to_numpy(float), per["present"].to_numpy(float)) + (
        _pooled(table, "ocr_precision", per["correct_answered"].to_numpy(float), per["answered"].to_numpy(float))
    )


def _unblind_aggregates(store: Store, figures: pd.DataFrame, answers: pd.DataFrame) -> list[Aggregate]:
    """rinv/quiz_acc without blind-solvable quizzes (only when the evaluated quizzes were audited)."""
    from core.evaluation.stats import aggregate_figures, build_figure_table
    from core.store.quiz_audits import flagged_quiz_keys, quiz_audits

    uids = figures["problem_uid"].tolist()
    if quiz_audits(store, problem_uids=uids).empty:
        return []
    flagged = {key for key in flagged_quiz_keys(store) if key[0] in set(uids)}
    kept_index: dict[tuple[str, int], int] = {}
    counts: dict[str, int] = {}
    for uid, n_quizzes in zip(figures["problem_uid"], figures["n_quizzes"], strict=True):
        kept = [index for index in range(int(n_quizzes)) if (uid, index) not in flagged]
        counts[uid] = len(kept)
        kept_index.update({(uid, index): position for position, index in enumerate(kept)})
    keys = list(zip(answers["problem_uid"], answers["quiz_index"].astype(int), strict=True))
    mask = [key in kept_index for key in keys]
    remaining = answers[mask].copy()
    remaining["quiz_index"] = [kept_index[key] for key, keep in zip(keys, mask, strict=True) if keep]
    reduced = figures.assign(n_quizzes=figures["problem_uid"].map(counts).astype("int64"))
    table = build_figure_table(reduced, remaining)
    if not (table["n_quizzes"] > 0).any():
        return []
    names = {"rinv": "rinv_unblind", "quiz_acc": "quiz_acc_unblind"}
    return [
        aggregate.model_copy(update={"metric": names[aggregate.metric]})
        for aggregate in aggregate_figures(table, metrics=["rinv", "quiz_acc"])
        if aggregate.metric in names
    ]


def _agreement_scores(scores: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    rendered = set(figures.loc[figures["status"] == "ok", "problem_uid"])
    kept = scores[scores["problem_uid"].isin(rendered)]
    if "error_class" in kept:
        kept = kept[kept["error_class"].fillna("") != MISSING_IMAGE]
    return kept


def _alpha_interval(scores: pd.DataFrame, dimension: str | None, seed: int) -> tuple[float, float] | None:
    """95% interval of alpha from resampling problems (all of a problem's units together)."""
    from core.evaluation.agreement import JUDGE_SCALE, krippendorff_alpha

    part = scores if dimension is None else scores[scores["dimension"] == dimension]
    part = part.dropna(subset=["score"])
    if part.empty:
        return None
    wide = part.pivot_table(index="judge", columns=["problem_uid", "dimension"], values="score", aggfunc="first")
    matrix = wide.to_numpy(dtype=float)
    problems = wide.columns.get_level_values(0).to_numpy()
    unique = np.unique(problems)
    columns = [np.flatnonzero(problems == uid) for uid in unique]
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(ALPHA_RESAMPLES):
        picked = rng.integers(0, len(unique), size=len(unique))
        alpha = krippendorff_alpha(matrix[:, np.concatenate([columns[i] for i in picked])], "ordinal",
                                   values=JUDGE_SCALE).alpha
        if not math.isnan(alpha):
            samples.append(alpha)
    if len(samples) < ALPHA_RESAMPLES // 2:
        return None
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high)


def _alpha_aggregates(scores: pd.DataFrame, figures: pd.DataFrame) -> list[Aggregate]:
    from core.evaluation.agreement import ALL_DIMENSIONS, judge_agreement

    kept = _agreement_scores(scores, figures)
    if kept.empty or kept["judge"].nunique() < 2:
        return []
    aggregates = []
    for key, result in judge_agreement(kept).items():
        if math.isnan(result.alpha):
            continue
        metric = "judge_alpha" if key == ALL_DIMENSIONS else f"judge_alpha_{key.removeprefix('judge_')}"
        interval = _alpha_interval(kept, None if key == ALL_DIMENSIONS else key, seed=0)
        aggregates.append(
            Aggregate(
                metric=metric, value=result.alpha, n=result.n_units,
                ci_low=interval[0] if interval else None, ci_high=interval[1] if interval else None,
            )
        )
    return aggregates


def compute_evaluation_aggregates(store: Store, run_id: str, *, spec: EvaluatorSpec | None = None) -> list[Aggregate]:
    """The aggregates of an evaluation run of a figure evaluator, from its stored rows (see the
    module docstring); [] when it evaluated nothing. Raises JobError for rows that do not fit the
    stored problems (e.g. quizzes changed since)."""
    from core.evaluation.stats import QUIZ_METRICS, aggregate_figures, build_figure_table, figure_metrics

    items = store.run_items(run_id)
    if items is None:
        raise JobError(f"no run {run_id!r}")
    evaluated = set(store.evaluation_statuses(run_id))
    figures = items.figures[items.figures["problem_uid"].isin(evaluated)].reset_index(drop=True)
    if figures.empty:
        return []
    answers = items.quiz_answers[items.quiz_answers["problem_uid"].isin(evaluated)]
    scores = items.judge_scores[items.judge_scores["problem_uid"].isin(evaluated)]
    values = _prepared_values(items.metric_values[items.metric_values["problem_uid"].isin(evaluated)])
    try:
        table = build_figure_table(figures, answers, scores, values)
        metrics = [m for m in figure_metrics(table) if m not in QUIZ_METRICS or not answers.empty]
        aggregates = aggregate_figures(table, metrics=metrics) if metrics else []
        if not answers.empty:
            aggregates += _unblind_aggregates(store, figures, answers)
    except ValueError as exc:
        raise JobError(f"cannot aggregate evaluation run {run_id}: {exc}") from None
    if not answers.empty:
        full = store.quiz_answers(run_id)
        full = full[full["problem_uid"].isin(evaluated)]
        if (spec.name == "ocr") if spec is not None else set(full["answerer"]) == {"ocr"}:
            aggregates += _ocr_aggregates(table, full)
    if not scores.empty:
        aggregates += _alpha_aggregates(scores, figures)
    return aggregates


def store_evaluation_aggregates(store: Store, run_id: str, *, spec: EvaluatorSpec | None = None) -> list[Aggregate]:
    """Compute and store (replacing the old set) an evaluation run's aggregates; returns them."""
    aggregates = compute_evaluation_aggregates(store, run_id, spec=spec)
    store.replace_aggregates(run_id, aggregates)
    return aggregates


def judge_disagreements(store: Store, run_id: str, top: int | None = 10) -> pd.DataFrame:
    """The figures the run's judges disagree on most, worst first (figures without an image left
    out). Columns: problem_uid, n_judges, total_spread, max_spread, worst_dimension, detail."""
    from core.evaluation.agreement import DISAGREEMENT_COLUMNS, disagreements

    items = store.run_items(run_id)
    if items is None:
        raise JobError(f"no run {run_id!r}")
    scores = store.judge_scores(run_id)
    if scores.empty:
        return pd.DataFrame(columns=list(DISAGREEMENT_COLUMNS))
    kept = _agreement_scores(scores.assign(score=scores["score"].astype("float64")), items.figures)
    return disagreements(kept, top=top)
