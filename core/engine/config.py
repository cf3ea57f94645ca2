"""The pipeline file: which stages run, with which registered components, read from a small TOML.

::

    [source]
    paths = ["problems/*.jsonl", "more.parquet"]   # JSONL, Parquet or SciGenBench JSON; globs
    source = "custom"                              # problem source when the file name does not say

    [classify]                                     # needs a figure? which of the 25 image types?
    model = "gpt4o-mini"                           # (problems without subject or type are fine)

    [generate]                                     # any registered generator, by name
    generator = "imgcoder"
    params = { model = "gpt4o-mini", max_attempts = 3 }

    [quizzes]                                      # quizzes for problems that have none, then the
    model = "gpt4o-mini"                           # blind audit (drop quizzes answerable blind)
    audit = true

    [[verify]]                                     # any registered figure evaluators, in order
    evaluator = "vqa"
    params = { model = "gpt4o-mini" }

    [filter]                                       # what an item must meet to be exported
    min_rinv = 1.0
    min_judge = { "C&F" = 2 }
    max_metrics = { ff_answer_leak = 0 }

    [export]                                       # training-set formats written from the kept items
    formats = ["verl"]
    dedup = true
    eval_split = "../shared/scigenbench/scigen.json"

    [run]
    batch_size = 16          # items per shard
    concurrency = 16         # items in flight per worker (model stages wait on the network)
    cpus_per_worker = 1      # each worker's sandbox renders this many figures at once
    workers = 0              # 0: as many as the cluster's CPUs allow
    max_cost = 25.0          # USD for the whole cluster

Every stage but ``source`` is optional. Unknown keys are refused with the table and key named, so
a typo never silently turns a stage off.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.evaluation import evaluator_class
from core.evaluation.base import EvaluatorSpec

__all__ = [
    "EvaluatorStage",
    "ClassifyStage",
    "ExportStage",
    "FilterStage",
    "GenerateStage",
    "PipelineConfig",
    "PipelineError",
    "QuizStage",
    "RunSettings",
    "SourceStage",
    "load_pipeline",
]


class PipelineError(ValueError):
    """A pipeline that cannot run; the message is one line naming the file and what is wrong."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceStage(_Table):
    paths: list[str] = Field(min_length=1, description="Files or globs of problems (JSONL, Parquet, JSON).")
    source: Literal["scigen", "seephys", "custom"] | None = Field(
        default=None, description="Problem source for uids; None: inferred from each file name."
    )


class ClassifyStage(_Table):
    model: str = Field(description="Profile that decides whether a problem needs a figure, and its image type.")


class GenerateStage(_Table):
    generator: str = Field(description="A registered generator name (imgcoder, pixel, text-card ...).")
    params: dict[str, Any] = Field(default_factory=dict, description="The generator's spec parameters.")


class QuizStage(_Table):
    model: str = Field(description="Profile that writes quizzes (and audits them unless auditor is set).")
    audit: bool = Field(default=True, description="Drop quizzes answered right blind in every shuffle.")
    auditor: str | None = Field(default=None, description="Profile asked blind; default: model.")
    shuffles: int = Field(default=3, ge=1)


class EvaluatorStage(_Table):
    evaluator: str = Field(description="A registered figure evaluator (vqa, judge, ocr, figure-facts ...).")
    params: dict[str, Any] = Field(default_factory=dict)


class FilterStage(_Table):
    min_rinv: float | None = Field(default=1.0, ge=0.0, le=1.0, description="Share of quizzes right; None: off.")
    min_judge: dict[str, float] = Field(default_factory=dict, description="Judge dimension -> minimum mean (0-2).")
    max_metrics: dict[str, float] = Field(
        default_factory=dict, description="Per-figure metric -> maximum (ff_answer_leak = 0, ff_overlaps = 0)."
    )
    min_metrics: dict[str, float] = Field(default_factory=dict, description="Per-figure metric -> minimum.")


class ExportStage(_Table):
    formats: list[Literal["verl", "sharegpt", "hf"]] = Field(default_factory=lambda: ["verl"])
    dedup: bool = True
    eval_split: str | None = Field(default=None, description="A file of evaluation problems to keep out.")
    contamination: Literal["exclude", "flag"] = "exclude"
    chunk_size: int = Field(default=5000, ge=1, description="Records per written export shard.")


class RunSettings(_Table):
    batch_size: int = Field(default=16, ge=1, description="Items per shard (one worker call).")
    concurrency: int = Field(default=16, ge=1, description="Items in flight per worker.")
    cpus_per_worker: float = Field(default=1.0, gt=0)
    workers: int = Field(default=0, ge=0, description="0: as many as the cluster's CPUs allow.")
    max_cost: float | None = Field(default=None, ge=0, description="USD for the whole cluster.")
    use_cache: bool = Field(default=True, description="Read the model response cache of each worker.")


class PipelineConfig(_Table):
    """A whole pipeline, as read from its TOML file."""

    source: SourceStage
    classify: ClassifyStage | None = None
    generate: GenerateStage | None = None
    quizzes: QuizStage | None = None
    verify: list[EvaluatorStage] = Field(default_factory=list)
    filter: FilterStage | None = None
    export: ExportStage | None = None
    run: RunSettings = Field(default_factory=RunSettings)
    base_dir: str = Field(default=".", description="Folder relative source paths are read from.")

    @field_validator("verify", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def model_names(self) -> list[str]:
        """Every profile or model string the pipeline calls (checked before any work)."""
        names: list[str] = [self.classify.model] if self.classify is not None else []
        if self.generate is not None and self.generate.params.get("model"):
            names.append(str(self.generate.params["model"]))
        if self.quizzes is not None:
            names.append(self.quizzes.model)
            if self.quizzes.auditor:
                names.append(self.quizzes.auditor)
        for stage in self.verify:
            spec = EvaluatorSpec.create(stage.evaluator, **stage.params)
            names.extend(evaluator_class(stage.evaluator).model_names(spec))
        return list(dict.fromkeys(names))

    def resolved_paths(self) -> list[Path]:
        """The source files, globs expanded relative to ``base_dir``, in a stable order."""
        base = Path(self.base_dir)
        found: list[Path] = []
        for pattern in self.source.paths:
            candidate = Path(pattern).expanduser()
            candidate = candidate if candidate.is_absolute() else base / candidate
            if any(char in pattern for char in "*?["):
                anchor = Path(candidate.anchor)
                found.extend(sorted(anchor.glob(str(candidate.relative_to(anchor)))))
            else:
                found.append(candidate)
        return found


def load_pipeline(path: str | Path) -> PipelineConfig:
    """Read and check a pipeline file; :class:`PipelineError` names the file and the field."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise PipelineError(f"{path}: no such pipeline file") from None
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{path}: not valid TOML: {exc}") from None
    return parse_pipeline(data, where=str(path), base_dir=path.resolve().parent)


def parse_pipeline(data: dict[str, Any], *, where: str, base_dir: Path) -> PipelineConfig:
    try:
        return PipelineConfig.model_validate({**data, "base_dir": str(base_dir)})
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PipelineError(f"{where}: {location}: {first['msg']}") from None
