"""Published results (papers' tables) as records, loaded from JSON files in ``data/reported/``.

Reported runs are stored with kind ``reported`` and their provenance, and never mix with
measured runs. This module only reads and validates the files; the SQL is in ``results.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.metrics import METRICS
from core.store.records import Access, GeneratorKind
from core.workspace import REPORTED_DIR

DEFAULT_REPORTED_FILE = REPORTED_DIR / "scigenbench_2601.17027.json"


class ReportedResultsError(ValueError):
    """A reported-results file that cannot be used; the message names the file and field."""


class Provenance(BaseModel):
    """Where published numbers come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, description="Paper title.")
    arxiv_id: str = Field(min_length=1, description="arXiv identifier, e.g. 2601.17027.")
    url: str = Field(default="", description="Where to read it.")
    notes: str = Field(default="", description="Units and conventions of the published table.")

    @property
    def label(self) -> str:
        """The provenance string stored with every reported run."""
        return f"{self.title} (arXiv {self.arxiv_id})"


class ReportedRun(BaseModel):
    """One row of a published leaderboard."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="Model name as published.")
    generator_kind: GeneratorKind = Field(description="code or pixel (baseline for non-generators).")
    access: Access | None = Field(default=None, description="open or closed weights; None when not stated.")
    metrics: dict[str, float] = Field(
        description="Metric name (see core.metrics.METRICS) -> published value, in the metric's unit."
    )

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, metrics: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(metrics) - set(METRICS))
        if unknown:
            raise ValueError(f"unknown metric names {unknown}; known: {', '.join(METRICS)}")
        return metrics


class DownstreamResult(BaseModel):
    """Accuracy of a model fine-tuned on one source's images, per benchmark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, description="Which images the model was fine-tuned on.")
    base_model: str = Field(min_length=1, description="The model that was fine-tuned.")
    accuracy: dict[str, float] = Field(description="Benchmark -> accuracy in %, in published order.")
    train_samples: int | None = Field(default=None, description="Training set size; None when unknown.")
    note: str = Field(default="", description="Anything a reader should know about this row.")


class ReportedResults(BaseModel):
    """Everything one paper reports that the store keeps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provenance: Provenance
    runs: list[ReportedRun] = Field(min_length=1)
    downstream: list[DownstreamResult] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> ReportedResults:
        for what, names in (
            ("run name", [run.name for run in self.runs]),
            ("run id", [self.run_id(run) for run in self.runs]),
            ("downstream source", [row.source for row in self.downstream]),
        ):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"duplicate {what}: {duplicates}")
        return self

    def run_id(self, run: ReportedRun) -> str:
        """Stable id of a reported run: ``reported:<arxiv id>:<slug of the name>``."""
        slug = re.sub(r"[^a-z0-9.]+", "-", run.name.lower()).strip("-")
        return f"reported:{self.provenance.arxiv_id}:{slug}"


def load_reported_results(path: str | Path = DEFAULT_REPORTED_FILE) -> ReportedResults:
    """Read and validate a reported-results JSON file; errors name the file and the field."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportedResultsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReportedResultsError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    try:
        return ReportedResults.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '<top level>'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ReportedResultsError(f"{path}: {problems}") from exc


def reported_files(directory: str | Path = REPORTED_DIR) -> list[Path]:
    """Every reported-results file bundled in ``directory``, sorted by name."""
    return sorted(Path(directory).glob("*.json"))
