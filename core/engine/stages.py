"""One item through the pipeline's stages, with the components core/ already has.

:class:`Stages` is built once per worker (a generator, evaluators, the filter rule, the
contamination split, a model client and a render pool) and turns one problem into one record:
generate (any registered generator) -> quizzes (:func:`~core.evaluation.quizgen.generate_quizzes`
for a problem without any, then :func:`~core.evaluation.quizgen.audit_quiz`) -> verify (any
registered figure evaluators) -> filter (:func:`~core.export.training.rejection_reasons`) ->
what the export needs later (the figure's perceptual hash). Nothing here talks to Ray: a worker
actor runs it, and so can a test or a single process.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.engine.config import PipelineConfig
from core.evaluation import create_evaluator, evaluator_class
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    QuizAnswer,
)
from core.evaluation.classify import classify_problem
from core.evaluation.quizgen import audit_quiz, generate_quizzes
from core.export.dedup import image_hash
from core.export.records import JUDGE_NAMES
from core.export.training import ExportFilters, rejection_reasons
from core.files import write_bytes_atomically
from core.generation import complete_spec, create_generator, registered_generators
from core.generation.base import FigureResult, GenerationContext, Generator, GeneratorSpec
from core.models import ModelClient, ProfileConfig
from core.models.ledger import LedgerEntry
from core.problems.models import Problem
from core.problems.taxonomy import Subject
from core.workspace import safe_name

__all__ = ["IMAGES_DIR", "Stages", "build_generator", "build_evaluators", "image_name"]

IMAGES_DIR = "images"


def image_name(key: str) -> str:
    """Where an item's figure lives in the dataset, relative to its folder."""
    return f"{IMAGES_DIR}/{safe_name(key)}.png"


def build_generator(config: PipelineConfig, profiles: ProfileConfig | None, home: str | None) -> Generator | None:
    """The pipeline's generator with its spec completed (defaults, model resolved); ValueError or
    KeyError names what is wrong."""
    if config.generate is None:
        return None
    registered_generators()
    spec = GeneratorSpec.create(config.generate.generator, **config.generate.params)
    return create_generator(complete_spec(spec, config=profiles, home=home))


def build_evaluators(
    config: PipelineConfig, profiles: ProfileConfig | None, home: str | None
) -> list[FigureEvaluator]:
    """The verify stage's evaluators, specs completed; a set evaluator (FID) is refused: it
    scores a whole run, not a stream of figures."""
    evaluators: list[FigureEvaluator] = []
    for stage in config.verify:
        cls = evaluator_class(stage.evaluator)
        spec = cls.complete_spec(EvaluatorSpec.create(stage.evaluator, **stage.params), config=profiles, home=home)
        evaluator = create_evaluator(spec)
        if not isinstance(evaluator, FigureEvaluator):
            raise ValueError(f"evaluator {stage.evaluator!r} scores a whole run, not one figure; it cannot verify a stream")
        evaluators.append(evaluator)
    return evaluators


def _cost(entries: Sequence[LedgerEntry]) -> float:
    return float(sum(entry.cost_usd or 0.0 for entry in entries))


def _paid_calls(entries: Sequence[LedgerEntry]) -> int:
    return sum(1 for entry in entries if not entry.cached and entry.attempts > 0)


def _counted_correct(answers: Sequence[QuizAnswer]) -> set[int]:
    """Quizzes answered right: correct, not an abstention, no evaluator error (as the export counts)."""
    return {a.quiz_index for a in answers if a.correct and not a.abstained and a.error_class is None}


def _judge_means(output_scores: Sequence[Any]) -> dict[str, float | None]:
    values: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for score in output_scores:
        seen.add(score.dimension)
        if score.score is not None:
            values[score.dimension].append(score.score)
    return {dim: (sum(values[dim]) / len(values[dim]) if values[dim] else None) for dim in sorted(seen)}


@dataclass
class Stages:
    """The components of one worker, and the per-item work."""

    config: PipelineConfig
    dataset_dir: Path
    generator: Generator | None
    evaluators: list[FigureEvaluator]
    client: ModelClient | None
    render_pool: Any | None
    run_id: str

    @property
    def filters(self) -> ExportFilters | None:
        stage = self.config.filter
        if stage is None:
            return None
        return ExportFilters(min_rinv=stage.min_rinv, min_judge=stage.min_judge)

    async def process(self, problem: Problem) -> dict[str, Any]:
        """The record of one problem (see :mod:`core.engine.shards` for its columns)."""
        timings: dict[str, float] = {}
        ledger: list[LedgerEntry] = []
        row: dict[str, Any] = {"key": problem.uid}

        problem, stop = await self._classify(problem, row, ledger, timings)
        if stop is not None:  # needs no figure, or could not be classified: recorded, not drawn
            row.update(_problem_columns(problem))
            row.update({"status": stop, "passed": None, "reasons": [stop], "quiz_answers": "[]",
                        "judge_scores": "[]", "metrics": "{}", "n_attempts": 0})
            row["cost_usd"], row["model_calls"] = _cost(ledger), _paid_calls(ledger)
            row["t_classify_s"] = timings.get("classify")
            return row

        figure, image_path = None, None
        if self.generator is not None:
            started = time.monotonic()
            figure = await self.generator.generate(
                problem,
                GenerationContext(
                    render_pool=self.render_pool, client=self.client, use_cache=self.config.run.use_cache
                ),
            )
            ledger.extend(figure.ledger)
            if figure.ok and figure.image is not None:
                image_path = self.dataset_dir / image_name(problem.uid)
                await asyncio.to_thread(write_bytes_atomically, image_path, figure.image)
            timings["generate"] = time.monotonic() - started

        problem, quiz_facts = await self._quizzes(problem, ledger, timings)
        outputs = await self._verify(problem, figure, image_path, ledger, timings)
        row.update(_problem_columns(problem))
        row.update(_figure_columns(figure, image_path is not None, problem.uid))
        row.update(quiz_facts)
        row.update(self._verdict_columns(problem, outputs, image_path, timings))
        if image_path is not None and self.config.export is not None and self.config.export.dedup:
            hashed = await asyncio.to_thread(image_hash, image_path)
            row["phash"], row["dhash"] = f"{hashed.phash:016x}", f"{hashed.dhash:016x}"
        row["cost_usd"] = _cost(ledger)
        row["model_calls"] = _paid_calls(ledger)
        for stage in ("classify", "generate", "quizzes", "verify", "filter"):
            row[f"t_{stage}_s"] = timings.get(stage)
        return row

    async def _classify(
        self, problem: Problem, row: dict[str, Any], ledger: list[LedgerEntry], timings: dict[str, float]
    ) -> tuple[Problem, str | None]:
        """The problem with the classifier's subject and image type, and None; or the problem and
        why it stops here (``dropped``: needs no figure; ``unclassified``: no usable answer)."""
        stage = self.config.classify
        if stage is None or self.client is None:
            return problem, None
        started = time.monotonic()
        verdict = await classify_problem(problem, self.client, stage.model, use_cache=self.config.run.use_cache)
        ledger.extend(verdict.ledger)
        timings["classify"] = time.monotonic() - started
        row["visualisable"] = verdict.visualisable
        failure = ": ".join(part for part in (verdict.error_class, verdict.reason) if part)
        row["classify_reason"] = failure if verdict.error_class else verdict.reason
        if verdict.visualisable is None:
            return problem, "unclassified"
        if not verdict.visualisable:
            return problem, "dropped"
        return problem.model_copy(update={"subject": Subject(verdict.subject), "image_type": verdict.image_type}), None

    async def _quizzes(
        self, problem: Problem, ledger: list[LedgerEntry], timings: dict[str, float]
    ) -> tuple[Problem, dict[str, Any]]:
        stage = self.config.quizzes
        facts: dict[str, Any] = {"quizzes_written": 0, "quizzes_blind": 0, "quiz_error": None}
        if stage is None or self.client is None:
            return problem, facts
        started = time.monotonic()
        use_cache = self.config.run.use_cache
        if not problem.quizzes:
            written = await generate_quizzes(problem, self.client, stage.model, use_cache=use_cache)
            ledger.extend(written.ledger)
            if written.status == "ok":
                problem = problem.model_copy(update={"quizzes": written.quizzes, "elements": written.elements})
                facts["quizzes_written"] = len(written.quizzes)
            else:
                facts["quiz_error"] = written.error_class
        if stage.audit and problem.quizzes:
            audits = await asyncio.gather(
                *(
                    audit_quiz(
                        self.client, stage.auditor or stage.model, problem.uid, index, quiz,
                        shuffles=stage.shuffles, use_cache=use_cache,
                    )
                    for index, quiz in enumerate(problem.quizzes)
                )
            )
            for audit in audits:
                ledger.extend(audit.ledger)
            kept = [quiz for quiz, audit in zip(problem.quizzes, audits, strict=True) if not audit.flagged]
            facts["quizzes_blind"] = len(problem.quizzes) - len(kept)
            problem = problem.model_copy(update={"quizzes": kept})
        timings["quizzes"] = time.monotonic() - started
        return problem, facts

    async def _verify(
        self, problem: Problem, figure: FigureResult | None, image_path: Path | None,
        ledger: list[LedgerEntry], timings: dict[str, float],
    ) -> list[EvaluationOutput]:
        if not self.evaluators or figure is None:
            return []
        started = time.monotonic()
        under_test = FigureUnderTest(
            run_id=self.run_id, problem_uid=problem.uid, status="ok" if image_path is not None else "failed",
            image_path=image_path, code=figure.code, facts=figure.facts, error_class=figure.error_class,
        )
        ctx = EvaluationContext(client=self.client, use_cache=self.config.run.use_cache)
        outputs = []
        for evaluator in self.evaluators:
            output = await evaluator.evaluate(problem, under_test, ctx)
            ledger.extend(output.ledger)
            outputs.append(output)
        timings["verify"] = time.monotonic() - started
        return outputs

    def _verdict_columns(
        self, problem: Problem, outputs: list[EvaluationOutput], image_path: Path | None,
        timings: dict[str, float],
    ) -> dict[str, Any]:
        started = time.monotonic()
        # The first evaluator that answered quizzes decides R_inv (as the export takes one quiz evaluation).
        answers = next((output.quiz_answers for output in outputs if output.quiz_answers), [])
        scores = [score for output in outputs for score in output.judge_scores]
        metrics = {
            value.metric: value.value
            for output in outputs for value in output.metric_values if value.status == "ok"
        }
        correct = _counted_correct(answers) & set(range(len(problem.quizzes)))
        judge = _judge_means(scores)
        columns: dict[str, Any] = {
            "n_quizzes": len(problem.quizzes),
            "n_correct": len(correct),
            "rinv": len(correct) / len(problem.quizzes) if answers and problem.quizzes else None,
            "quiz_answers": json.dumps([answer.model_dump(mode="json") for answer in answers]),
            "judge_scores": json.dumps([score.model_dump(mode="json") for score in scores]),
            "metrics": json.dumps(metrics),
            **{name: judge.get(name) for name in JUDGE_NAMES},
        }
        filters, stage = self.filters, self.config.filter
        if filters is not None and stage is not None and (self.generator is None or image_path is not None):
            reasons = rejection_reasons(
                filters, image_exists=image_path is not None, n_quizzes=len(problem.quizzes),
                had_quizzes=bool(problem.quizzes), answered=bool(answers), n_correct=len(correct), judge=judge,
            )
            reasons += _metric_reasons(metrics, stage.max_metrics, stage.min_metrics)
            columns["passed"], columns["reasons"] = not reasons, reasons
        else:
            columns["passed"] = image_path is not None if self.generator is not None else None
            columns["reasons"] = [] if columns["passed"] else ["no figure"]
        timings["filter"] = time.monotonic() - started
        return columns


def _metric_reasons(
    metrics: dict[str, float | None], maxima: dict[str, float], minima: dict[str, float]
) -> list[str]:
    reasons = []
    for name, bound in maxima.items():
        value = metrics.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            reasons.append(f"{name} missing")
        elif value > bound + 1e-9:
            reasons.append(f"{name} above {bound:g} ({value:g})")
    for name, bound in minima.items():
        value = metrics.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            reasons.append(f"{name} missing")
        elif value < bound - 1e-9:
            reasons.append(f"{name} below {bound:g} ({value:g})")
    return reasons


def _problem_columns(problem: Problem) -> dict[str, Any]:
    return {
        "problem_id": problem.id,
        "source": problem.source,
        "subject": problem.subject.value,
        "image_type": problem.image_type,
        "question": problem.question,
        "answer": problem.answer,
        "problem": problem.model_dump_json(),
    }


def _figure_columns(figure: FigureResult | None, has_image: bool, key: str) -> dict[str, Any]:
    if figure is None:
        return {"status": "skipped", "n_attempts": 0, "first_attempt_ok": None}
    return {
        "status": figure.status,
        "error_class": figure.error_class,
        "error_message": figure.error_message,
        "image_path": image_name(key) if has_image else None,
        "plan": figure.plan,
        "code": figure.code,
        "facts": figure.facts.model_dump_json() if figure.facts is not None else None,
        "attempts": json.dumps([attempt.model_dump(mode="json", exclude={"ledger"}) for attempt in figure.attempts]),
        "n_attempts": len(figure.attempts),
        "first_attempt_ok": figure.first_attempt_ok,
        "latency_s": figure.latency_s,
    }
