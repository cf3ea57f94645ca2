"""One problem, one figure, nothing stored: the live demo behind the dashboard's Generate page.

A job (:mod:`core.jobs.generation`) runs a spec over a stored selection and writes a run; this
module runs the same generators and evaluators on a single problem, possibly one that was just
pasted and never stored, and returns the records::

    result = generate_one(problem, GeneratorSpec.create(OFFLINE_GENERATOR), on_step=print)
    outputs = evaluate_one(problem, result.image, [EvaluatorSpec.create(EVALUATOR, **params)])

Every step of the generation is reported to ``on_step`` as it happens (the generators call
:meth:`~core.generation.base.GenerationContext.report`). Model calls go through the workspace's
response cache like a job's, so asking again for the same problem costs nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.evaluation import create_evaluator
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureUnderTest,
)
from core.evaluation.quizgen import QuizGenResult, generate_quizzes
from core.generation import registered_generators
from core.generation.base import (
    FigureResult,
    GenerationContext,
    GeneratorSpec,
    StepCallback,
    create_generator,
)
from core.jobs.evaluation import prepare_evaluator_spec
from core.jobs.generation import prepare_spec
from core.jobs.runs import JobError
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.problems.models import Problem
from core.problems.taxonomy import Subject, subject_of
from core.serving import refuse_in_viewer
from core.workspace import Workspace

__all__ = [
    "LIVE_RUN_ID",
    "custom_problem",
    "evaluate_one",
    "generate_one",
    "write_quizzes",
]

LIVE_RUN_ID = "live"
"""The run id evaluators see for a figure made here (it belongs to no stored run)."""
CUSTOM_ID_PREFIX = "ws-"


def custom_problem(
    question: str,
    subject: str,
    *,
    image_type: str | None = None,
    answer: str = "",
    problem_id: str | None = None,
) -> Problem:
    """A pasted problem as a ``custom`` Problem. Its id defaults to a digest of the question, so
    saving the same text twice updates one problem. Raises ValueError (pydantic's
    ValidationError is one) for an empty question, an unknown subject or a type of another subject."""
    text = question.strip()
    if not text:
        raise ValueError("the problem text is empty: paste a question")
    if image_type is not None and subject_of(image_type).value != Subject(subject).value:
        raise ValueError(
            f"image type {image_type!r} belongs to {subject_of(image_type).value}, not {subject}"
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return Problem(
        id=problem_id or f"{CUSTOM_ID_PREFIX}{digest}",
        source="custom",
        question=text,
        subject=subject,  # type: ignore[arg-type]  # validated by Problem
        image_type=image_type,
        answer=answer,
    )


def _client(workspace: Workspace, profiles: ProfileConfig | None, use_cache: bool) -> ModelClient:
    refuse_in_viewer("call a model")
    return ModelClient(
        cache=ResponseCache(workspace.cache_dir / "models"),
        use_cache=use_cache,
        config=profiles,
        home=str(workspace.home),
    )


async def agenerate_one(
    problem: Problem,
    spec: GeneratorSpec,
    *,
    workspace: Workspace | None = None,
    profiles: ProfileConfig | None = None,
    on_step: StepCallback | None = None,
    render_pool: Any | None = None,
    client: ModelClient | None = None,
    use_cache: bool = True,
    extras: dict[str, Any] | None = None,
) -> FigureResult:
    """Draw ``problem``'s figure with ``spec`` (completed like a job's spec first).

    ``render_pool``: default the process-wide sandbox pool; ``client``: default one over the
    workspace's response cache with ``profiles`` (default ``scigen.toml``); ``extras`` reach the
    generator (test hooks such as ``mock_response``). Raises :class:`JobError` for an unknown
    generator, a bad parameter or an unknown model profile; a figure that fails is returned
    failed, with every attempt, like in a job.
    """
    refuse_in_viewer("draw a figure")
    workspace = (workspace or Workspace.from_env()).ensure()
    registered_generators()  # built-ins and installed plugins registered
    spec = prepare_spec(spec, profiles=profiles, home=str(workspace.home))
    try:
        generator = create_generator(spec)
    except (KeyError, ValueError) as exc:
        raise JobError(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)) from None
    if client is None and type(generator).needs_model:
        client = _client(workspace, profiles, use_cache)
    if render_pool is None and generator.uses_sandbox:
        from core.sandbox import default_pool

        render_pool = default_pool()
    ctx = GenerationContext(
        render_pool=render_pool,
        client=client,
        use_cache=use_cache,
        extras={"tex_cache_dir": workspace.cache_dir / "tex", **(extras or {})},
        on_step=on_step,
    )
    return await generator.generate(problem, ctx)


def generate_one(problem: Problem, spec: GeneratorSpec, **options: Any) -> FigureResult:
    """:func:`agenerate_one` for synchronous callers (runs its own event loop)."""
    return asyncio.run(agenerate_one(problem, spec, **options))


async def aevaluate_one(
    problem: Problem,
    png: bytes,
    specs: Sequence[EvaluatorSpec],
    *,
    workspace: Workspace | None = None,
    profiles: ProfileConfig | None = None,
    client: ModelClient | None = None,
    use_cache: bool = True,
    code: str | None = None,
) -> list[EvaluationOutput]:
    """Score one figure (PNG bytes) with each figure evaluator of ``specs`` (vqa, judge, ocr,
    figure-facts ...), in order. Raises :class:`JobError` for a bad spec or unknown profile, or
    for a set evaluator (FID/KID need a whole run)."""
    workspace = (workspace or Workspace.from_env()).ensure()
    prepared = [prepare_evaluator_spec(spec, profiles=profiles, home=str(workspace.home)) for spec in specs]
    evaluators = [create_evaluator(spec) for spec in prepared]
    for evaluator in evaluators:
        if not hasattr(evaluator, "evaluate"):
            raise JobError(f"evaluator {evaluator.name!r} scores a whole run, not one figure; use a job")
    if client is None and any(type(evaluator).needs_model for evaluator in evaluators):
        client = _client(workspace, profiles, use_cache)
    outputs: list[EvaluationOutput] = []
    with tempfile.TemporaryDirectory(prefix="scigen-live-") as folder:
        path = Path(folder) / "figure.png"
        path.write_bytes(png)
        figure = FigureUnderTest(
            run_id=LIVE_RUN_ID, problem_uid=problem.uid, status="ok", image_path=path, code=code
        )
        ctx = EvaluationContext(client=client, use_cache=use_cache)
        for evaluator in evaluators:
            outputs.append(await evaluator.evaluate(problem, figure, ctx))  # type: ignore[attr-defined]
    return outputs


def evaluate_one(
    problem: Problem, png: bytes, specs: Sequence[EvaluatorSpec], **options: Any
) -> list[EvaluationOutput]:
    """:func:`aevaluate_one` for synchronous callers."""
    return asyncio.run(aevaluate_one(problem, png, specs, **options))


def write_quizzes(
    problem: Problem,
    model: str,
    *,
    workspace: Workspace | None = None,
    profiles: ProfileConfig | None = None,
    use_cache: bool = True,
) -> tuple[Problem, QuizGenResult]:
    """Ask ``model`` for the problem's elements and quizzes (:func:`generate_quizzes`); returns
    the problem with them attached (unchanged when generation failed) and the full result."""
    workspace = (workspace or Workspace.from_env()).ensure()
    client = _client(workspace, profiles, use_cache)
    result = asyncio.run(generate_quizzes(problem, client, model, use_cache=use_cache))
    if result.status != "ok":
        return problem, result
    return problem.model_copy(update={"quizzes": result.quizzes, "elements": result.elements}), result
