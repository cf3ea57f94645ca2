"""What every evaluator is: a spec, a registry by name, and the score records it produces.

Data flows one way (DESIGN.md): an evaluator reads a stored figure and its problem and returns
score records; it never re-generates, and it never writes to the store itself (the evaluation job
does). Two shapes exist:

* :class:`FigureEvaluator` scores one figure at a time (quiz answering by a vision model or OCR,
  the judge, figure facts, PSNR/SSIM/CLIP against a reference);
* :class:`SetEvaluator` scores a whole run against a reference set (FID, KID).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.evaluation.aggregates import EvaluationRows, figure_aggregates
from core.metrics import METRICS, Aggregate
from core.models.ledger import LedgerEntry
from core.models.profiles import resolve_model
from core.problems import Problem
from core.sandbox.models import FigureFacts
from core.specs import ComponentSpec

if TYPE_CHECKING:
    from core.models import BudgetGuard, ModelClient


@dataclass(frozen=True)
class EvaluatorSpec(ComponentSpec):
    """An evaluator name plus its parameters (e.g. the answering model's profile, shuffle seed)."""

    role: ClassVar[str] = "evaluator"

    @property
    def evaluator(self) -> str:
        return self.name


class FigureUnderTest(BaseModel):
    """A stored figure as an evaluator sees it: never the generator's prompt or the answer key."""

    model_config = ConfigDict(frozen=True)

    run_id: str = Field(description="The generation run that made the figure.")
    problem_uid: str = Field(description="Problem.uid of the problem drawn.")
    status: Literal["ok", "failed"] = Field(description="failed: no image (counts as failed for R_inv).")
    image_path: Path | None = Field(default=None, description="Absolute path of the PNG when status is ok.")
    code: str | None = Field(default=None, description="The plotting code, for code-made figures.")
    facts: FigureFacts | None = Field(default=None, description="Sandbox introspection of a code-made figure.")
    error_class: str | None = Field(default=None, description="Why generation failed, when it did.")

    def image_bytes(self) -> bytes:
        if self.image_path is None:
            raise ValueError(f"figure of {self.problem_uid} in run {self.run_id} has no image")
        return self.image_path.read_bytes()


class QuizAnswer(BaseModel):
    """One quiz answered from the image alone (inverse validation)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str
    quiz_index: int = Field(description="Position of the quiz in the problem's quiz list.")
    answerer: str = Field(description="Model string/profile or offline evaluator name ('ocr').")
    shuffle_seed: int | None = Field(default=None, description="Seed of the option shuffle shown to the answerer.")
    presented_keys: list[str] = Field(default_factory=list, description="Original option keys in the order shown.")
    raw_reply: str | None = Field(default=None, description="The answerer's reply, verbatim.")
    parsed_key: str | None = Field(default=None, description="Original option key chosen; None = abstained.")
    correct: bool = Field(description="parsed_key equals the quiz's correct option.")
    abstained: bool = Field(default=False, description="No option chosen (OCR found none or several).")
    error_class: str | None = Field(default=None, description="Why no answer could be had (missing image, model failure).")
    cost_usd: float | None = None
    latency_s: float | None = None


class JudgeScore(BaseModel):
    """One judge dimension for one figure, 0-2, with the judge's reasoning."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str
    judge: str = Field(description="The judging model's profile name or model string.")
    dimension: str = Field(description="judge_cf, judge_lp, judge_ro, judge_sp or judge_er.")
    score: int | None = Field(default=None, ge=0, le=2, description="None when no parsable reply was had.")
    rationale: str | None = None
    error_class: str | None = None


class MetricValue(BaseModel):
    """A per-figure metric value, or why there is none (never a made-up number)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str
    metric: str = Field(description="A name declared in core.metrics, or an evaluator's own.")
    value: float | None = None
    status: Literal["ok", "unavailable", "failed"] = "ok"
    detail: str | None = Field(default=None, description="The reason when not ok, or extra facts as JSON.")


class EvaluationOutput(BaseModel):
    """Everything one evaluator produced for one figure (or for a whole set)."""

    quiz_answers: list[QuizAnswer] = Field(default_factory=list)
    judge_scores: list[JudgeScore] = Field(default_factory=list)
    metric_values: list[MetricValue] = Field(default_factory=list)
    set_values: dict[str, float | None] = Field(
        default_factory=dict, description="Run-level values of set evaluators (fid, kid)."
    )
    ledger: list[LedgerEntry] = Field(default_factory=list, description="Model calls made.")
    notes: list[str] = Field(default_factory=list)


@dataclass
class EvaluationContext:
    client: ModelClient | None = None
    budget: BudgetGuard | None = None
    use_cache: bool = True
    extras: dict[str, Any] = field(default_factory=dict)


class Evaluator(ABC):
    """Scores figures. Subclasses register with :func:`register_evaluator` and own everything a
    runner, the CLI or the dashboard needs to know about them: how a spec is completed, how a run
    is labelled, which metrics they produce and how those aggregate."""

    name: ClassVar[str]
    label: ClassVar[str] = ""
    """One line for people: shown in CLI help and the dashboard's pickers."""
    produces: ClassVar[tuple[str, ...]] = ()
    """Metric names (or 'quiz_answers', 'judge_scores') this evaluator writes."""
    needs_model: ClassVar[bool] = False
    """True when the evaluator calls a model (its spec names one through ``model`` or ``judges``)."""
    needs_references: ClassVar[bool] = False
    """True when the evaluator compares against reference figures (the runner provides them)."""

    def __init__(self, spec: EvaluatorSpec) -> None:
        self.spec = spec

    @classmethod
    def complete_spec(cls, spec: EvaluatorSpec, *, config: Any = None, home: Any = None) -> EvaluatorSpec:
        """``spec`` with every default written out and each model resolved to its LiteLLM string and
        secret-free fingerprint, so a stored run names the settings that scored it. Called once,
        when a run is created; ``config``/``home`` go to :func:`core.models.resolve_model`. Raises
        ValueError for a bad parameter or an unusable model. Default: checked, otherwise unchanged."""
        cls(spec)
        return spec

    @classmethod
    def model_names(cls, spec: EvaluatorSpec) -> tuple[str, ...]:
        """The models (profile names or LiteLLM strings) a spec calls; () for offline evaluators."""
        model = spec.param("model")
        return (str(model),) if model else ()

    @classmethod
    def compared_runs(cls, spec: EvaluatorSpec) -> tuple[str, ...]:
        """Other generation runs (names or ids) whose figures this evaluator compares with the run
        it scores; the runner hands their figures over in ``ctx.extras["compared_figures"]``
        (run -> problem uid -> FigureUnderTest). Default: none."""
        return ()

    @classmethod
    def run_label(cls, spec: EvaluatorSpec) -> str:
        """The evaluator part of an evaluation run's name: ``ocr``, ``vqa:<model>``."""
        models = cls.model_names(spec)
        return f"{spec.name}:{','.join(models)}" if models else spec.name

    @classmethod
    def protocol_part(cls, spec: EvaluatorSpec) -> dict[str, Any]:
        """What this evaluator contributes to its runs' protocol (keys of
        :data:`core.protocols.PART_FIELDS`; the problem set comes from the problems a run covered).

        Default, read from the declarations: an evaluator that produces ``quiz_answers`` answers the
        quizzes only, with the spec's model (else the evaluator's own name, e.g. 'ocr'), its first
        prompt's id, the spec's temperature and shuffle, and counts missing images as failed; one
        that produces ``judge_scores`` names its judge models. Others contribute nothing."""
        part: dict[str, Any] = {}
        if "quiz_answers" in cls.produces:
            prompts = getattr(cls, "prompts", ())
            temperature = spec.param("temperature")
            part.update(
                quiz_set="quizzes",
                answerer={
                    "model": (cls.model_names(spec) or (cls.name,))[0],
                    "prompt": prompts[0].id if prompts else None,
                    "temperature": float(temperature) if temperature is not None else None,
                    "shuffle": bool(spec.param("shuffle", False)),
                },
                missing_image_rule="counted_failed",
            )
        if "judge_scores" in cls.produces:
            part["judges"] = list(cls.model_names(spec))
        return part

    @classmethod
    def aggregate(cls, rows: EvaluationRows) -> list[Aggregate]:
        """The run-level numbers of what this evaluator stored (default: every per-figure metric
        per scope, with intervals clustered by problem; see :mod:`core.evaluation.aggregates`)."""
        return figure_aggregates(rows)


def resolve_model_settings(name: str, *, config: Any = None, home: Any = None) -> tuple[str, str]:
    """(LiteLLM model string, secret-free fingerprint) of a profile name or raw model string, for
    :meth:`Evaluator.complete_spec`. Raises ValueError (a ProfileError) naming what is wrong."""
    profile = resolve_model(name, config=config, home=home)
    return profile.model, profile.fingerprint()


class FigureEvaluator(Evaluator):
    @abstractmethod
    async def evaluate(self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext) -> EvaluationOutput:
        """Score one figure. Failures are recorded in the output (error_class / status), not raised."""


class SetEvaluator(Evaluator):
    @abstractmethod
    def evaluate_set(
        self, figures: Sequence[FigureUnderTest], references: Mapping[str, Path], ctx: EvaluationContext
    ) -> EvaluationOutput:
        """Score a run's figures against reference figures keyed by problem uid."""

    @classmethod
    def set_aggregates(cls, values: Mapping[str, float | None], n_figures: int) -> list[Aggregate]:
        """Run-level aggregates from :attr:`EvaluationOutput.set_values`: every declared metric this
        evaluator produces that has a value, overall, ``n`` = figures used."""
        return [
            Aggregate(metric=name, value=float(value), n=n_figures)
            for name in cls.produces
            if name in METRICS and (value := values.get(name)) is not None
        ]


_REGISTRY: dict[str, type[Evaluator]] = {}


def register_evaluator(cls: type[Evaluator]) -> type[Evaluator]:
    """Class decorator: make an evaluator available by its ``name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"evaluator name {cls.name!r} is already registered by {_REGISTRY[cls.name].__name__}")
    _REGISTRY[cls.name] = cls
    return cls


def registered_evaluator_classes() -> Mapping[str, type[Evaluator]]:
    """What is registered so far (use :func:`core.evaluation.registered_evaluators`, which loads
    the built-in evaluators first)."""
    return dict(_REGISTRY)
