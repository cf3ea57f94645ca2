"""What every generator is: a spec, a registry by name, and the records a generation produces.

A generator turns one :class:`~core.problems.Problem` into one figure. Generators register by name
so that a stored run names exactly which spec (generator + parameters) made it, and a job can
rebuild the generator from the stored spec to resume the run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.models.ledger import LedgerEntry
from core.problems import Problem
from core.sandbox.models import FigureFacts
from core.specs import ComponentSpec

if TYPE_CHECKING:
    from core.models import BudgetGuard, ModelClient
    from core.sandbox import RenderPool

GeneratorKind = Literal["code", "pixel", "baseline", "imported"]
"""code: a model writes plotting code (ImgCoder); pixel: a text-to-image model; baseline: offline
generators that exist for comparison (reference gold scripts, the text-card adversary); imported:
figures made elsewhere and brought in as a run."""


@dataclass(frozen=True)
class GeneratorSpec(ComponentSpec):
    """A generator name plus its parameters: exactly what made a run, stored with it.

    A model is named by its profile (name and secret-free fingerprint); keys stay in environment
    variables.
    """

    role: ClassVar[str] = "generator"

    @property
    def generator(self) -> str:
        return self.name


class AttemptRecord(BaseModel):
    """One try at a figure: the model's reply, what was parsed from it, and how rendering went."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="0 for the first attempt, then 1, 2 ... for repairs or revisions.")
    purpose: Literal["initial", "repair", "revision"] = Field(
        default="initial", description="Why this attempt was made: first try, repair after a failure, "
        "or a revision asked for by visual self-critique."
    )
    raw_reply: str | None = Field(default=None, description="The model's full reply (None for offline generators).")
    plan: str | None = Field(default=None, description="The Plan section parsed from the reply.")
    code: str | None = Field(default=None, description="The Python script parsed from the reply and rendered.")
    parse_notes: list[str] = Field(
        default_factory=list, description="What the parser had to do (missing fences, several blocks ...)."
    )
    status: Literal["ok", "failed"] = Field(description="ok when this attempt produced a figure.")
    error_class: str | None = Field(
        default=None,
        description="Why it failed: a sandbox ErrorClass (syntax_error, timeout ...), a model "
        "FailureClass (rate_limited, timeout ...) or a parse failure (no_code).",
    )
    error_message: str | None = Field(default=None, description="One-line reason.")
    traceback_tail: str | None = Field(default=None, description="Last traceback lines, in the script's line numbers.")
    render_s: float | None = Field(default=None, description="Seconds spent rendering in the sandbox.")
    ledger: list[LedgerEntry] = Field(default_factory=list, description="The model calls this attempt made.")


class FigureResult(BaseModel):
    """The outcome of generating one problem's figure: the image (or why there is none) and every attempt."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    problem_uid: str = Field(description="Problem.uid of the problem drawn.")
    status: Literal["ok", "failed"] = Field(description="ok when a figure was produced.")
    image: bytes | None = Field(default=None, description="The figure as PNG bytes (None when failed).")
    svg: bytes | None = Field(default=None, description="The figure as SVG, when the generator made one.")
    plan: str | None = Field(default=None, description="The plan of the final attempt.")
    code: str | None = Field(default=None, description="The code of the final attempt.")
    facts: FigureFacts | None = Field(default=None, description="Sandbox introspection of a code-made figure.")
    attempts: list[AttemptRecord] = Field(default_factory=list, description="Every attempt, in order.")
    error_class: str | None = Field(default=None, description="Error class of the last failed attempt when failed.")
    error_message: str | None = Field(default=None, description="One-line reason when failed.")
    latency_s: float = Field(default=0.0, description="Wall time for the whole problem, all attempts.")
    notes: list[str] = Field(default_factory=list, description="Anything a reader of the result should know.")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def first_attempt_ok(self) -> bool:
        """pass@1: the first attempt rendered."""
        return bool(self.attempts) and self.attempts[0].status == "ok"

    @property
    def ledger(self) -> list[LedgerEntry]:
        return [entry for attempt in self.attempts for entry in attempt.ledger]


GenerationStepName = Literal["understand", "plan", "code", "render", "repair", "critique"]
"""The stages a figure goes through: understand the question, plan, write code, render, repair
after a failure (then plan/code/render again), and the optional visual critique."""


class GenerationStep(BaseModel):
    """One step of one problem's generation, reported live (the dashboard's Generate page shows
    them as they happen); nothing is stored."""

    model_config = ConfigDict(frozen=True)

    step: GenerationStepName = Field(description="Which stage this is.")
    status: Literal["running", "ok", "failed"] = Field(
        default="running", description="running: the stage started; ok / failed: how it ended."
    )
    attempt: int = Field(default=0, description="0 for the first attempt, then 1, 2 ... for repairs.")
    message: str = Field(description="One line for people.")
    detail: str | None = Field(default=None, description="The plan or the code when the step produced one.")


StepCallback = Callable[[GenerationStep], None]


@dataclass
class GenerationContext:
    """What a generator may use while generating: never the store, never another problem."""

    render_pool: RenderPool | None = None
    client: ModelClient | None = None
    budget: BudgetGuard | None = None
    use_cache: bool = True
    extras: dict[str, Any] = field(default_factory=dict)
    on_step: StepCallback | None = None
    """Called with each :class:`GenerationStep` as it happens (None: nobody is watching). Jobs
    leave it unset; a live view of one problem sets it."""

    def report(
        self,
        step: GenerationStepName,
        message: str,
        *,
        status: Literal["running", "ok", "failed"] = "running",
        attempt: int = 0,
        detail: str | None = None,
    ) -> None:
        """Tell ``on_step`` about a step (a no-op when nobody listens)."""
        if self.on_step is not None:
            self.on_step(
                GenerationStep(step=step, status=status, attempt=attempt, message=message, detail=detail)
            )


class Generator(ABC):
    """Turns a problem into a figure. Subclasses register with :func:`register_generator`."""

    name: ClassVar[str]
    kind: ClassVar[GeneratorKind]
    label: ClassVar[str] = ""
    """Shown wherever the generator's runs are listed (e.g. the text-card adversarial baseline)."""
    needs_model: ClassVar[bool] = False
    takes_backend: ClassVar[bool] = False
    """True when the spec parameter ``backend`` picks the drawing language (a matplotlib spec is
    stored without it); see :func:`core.generation.backends.run_backend`."""
    uses_sandbox: ClassVar[bool] = True
    """True when the generator renders Python in the sandbox's warm pool (a job then gives it one);
    a generator whose spec chooses the language (a drawing backend) answers per instance."""

    def __init__(self, spec: GeneratorSpec) -> None:
        self.spec = spec

    @classmethod
    def complete_spec(cls, spec: GeneratorSpec, *, config: Any = None, home: Any = None) -> GeneratorSpec:
        """``spec`` with every default written out and what a stored run must name resolved (a
        model's LiteLLM string and secret-free fingerprint). Call it once, when a run is created;
        ``config``/``home`` are passed to :func:`core.models.resolve_model`. Default: unchanged."""
        return spec

    @classmethod
    def available_for(cls, problem: Problem) -> bool:
        """Whether this generator can draw ``problem`` at all, so a picker for one problem can
        leave it out (a job over many problems still records the failure). Default: yes."""
        return True

    @abstractmethod
    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        """Draw ``problem``'s figure. Failures are returned as a failed FigureResult, not raised."""


_REGISTRY: dict[str, type[Generator]] = {}


def register_generator(cls: type[Generator]) -> type[Generator]:
    """Class decorator: make a generator available by its ``name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"generator name {cls.name!r} is already registered by {_REGISTRY[cls.name].__name__}")
    _REGISTRY[cls.name] = cls
    return cls


def generator_class(name: str) -> type[Generator]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown generator {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def complete_spec(spec: GeneratorSpec, *, config: Any = None, home: Any = None) -> GeneratorSpec:
    """:meth:`Generator.complete_spec` of the spec's generator."""
    return generator_class(spec.name).complete_spec(spec, config=config, home=home)


def create_generator(spec: GeneratorSpec) -> Generator:
    return generator_class(spec.generator)(spec)


def registered_generators() -> Mapping[str, type[Generator]]:
    return dict(_REGISTRY)


ProgressCallback = Callable[[str, FigureResult], None]
