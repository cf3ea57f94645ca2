"""Records the store takes and gives (pydantic: they cross the store boundary)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.metrics import SCOPES, Aggregate, Scope  # noqa: F401 - records of the store's tables

RunKind = Literal["reported", "generation", "evaluation"]
GeneratorKind = Literal["code", "pixel", "baseline"]
Access = Literal["open", "closed"]

RUN_KINDS: tuple[str, ...] = ("reported", "generation", "evaluation")


def utc_now() -> datetime:
    """Now in UTC without a zone: the form every TIMESTAMP column of the store holds."""
    return datetime.now(UTC).replace(tzinfo=None)


class UpsertCounts(BaseModel):
    """What an upsert of problems did, keyed by Problem.uid."""

    model_config = ConfigDict(frozen=True)

    inserted: int = Field(description="Problems that were not in the store before.")
    updated: int = Field(description="Problems already stored whose content changed.")
    unchanged: int = Field(description="Problems already stored with identical content.")

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


class Run(BaseModel):
    """A run: a reported result set, a generation run or an evaluation run."""

    model_config = ConfigDict(frozen=True)

    run_id: str = Field(min_length=1, description="Stable key of the run.")
    name: str = Field(min_length=1, description="Display name; unique within its kind.")
    kind: RunKind = Field(description="reported (published numbers), generation or evaluation (measured).")
    generator_kind: GeneratorKind | None = Field(
        default=None, description="code, pixel or baseline: how the figures were made."
    )
    access: Access | None = Field(default=None, description="open or closed model weights, when known.")
    model: str | None = Field(default=None, description="Model name or LiteLLM model string.")
    spec_name: str | None = Field(default=None, description="Registered generator or evaluator name.")
    spec_params: dict[str, Any] = Field(
        default_factory=dict, description="Parameters of the spec (stored as JSON; never API keys)."
    )
    parent_run_id: str | None = Field(
        default=None, description="For an evaluation run: the generation run whose figures it scores."
    )
    created_at: datetime | None = Field(
        default=None, description="UTC creation time; the store sets it on first write when None."
    )
    code_version: str | None = Field(default=None, description="SciGen Studio version (and commit) used.")
    provenance: str | None = Field(default=None, description="Where the numbers come from, e.g. a paper.")
    notes: str = Field(default="", description="Free text shown with the run.")
    selection: dict[str, Any] | None = Field(
        default=None,
        description="The problem selection a generation/evaluation run was made for (subject, "
        "image_type, source, ids, limit); stored as JSON.",
    )
