"""What a training-set export produces: one record per exported item, and the export's summary.

Their own module so the writers (``training``) and the dataset card (``card``) both read them
without importing each other.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.export.masking import PromptSource
from core.metrics import JUDGE_DIMENSIONS

__all__ = ["JUDGE_NAMES", "ExportRecord", "ExportSummary"]

JUDGE_NAMES: tuple[str, ...] = tuple(name for name, _ in JUDGE_DIMENSIONS)


class ExportRecord(BaseModel):
    """One training item: an image, the prompt asked about it, the answer, and where it came from."""

    model_config = ConfigDict(frozen=True)

    uid: str = Field(description="Problem uid, source:id.")
    problem_id: str
    source: str
    subject: str
    image_type: str | None
    image_path: str = Field(description="Absolute path of the figure in the workspace.")
    image_name: str = Field(description="File name of the image inside the export (images/<name>).")
    prompt: str = Field(description="The question, without the image placeholder.")
    prompt_source: PromptSource
    masked_values: list[str] = Field(default_factory=list, description="Given values masked in the prompt.")
    original_question: str
    answer: str
    run: str
    run_id: str
    generator: str | None
    generator_spec: str = Field(description="The generator spec, JSON.")
    model: str | None
    quiz_evaluation: str | None
    judge_evaluation: str | None
    rinv: float | None
    n_quizzes: int
    judge: dict[str, float | None] = Field(default_factory=dict)
    contaminated: bool = False

    def provenance(self) -> dict[str, Any]:
        """Flat provenance fields (the same keys in every format)."""
        return {
            "uid": self.uid, "problem_id": self.problem_id, "source": self.source, "subject": self.subject,
            "image_type": self.image_type, "run": self.run, "run_id": self.run_id, "generator": self.generator,
            "generator_spec": self.generator_spec, "model": self.model, "quiz_evaluation": self.quiz_evaluation,
            "judge_evaluation": self.judge_evaluation, "rinv": self.rinv, "n_quizzes": self.n_quizzes,
            **{name: self.judge.get(name) for name in JUDGE_NAMES},
            "prompt_source": self.prompt_source, "original_question": self.original_question,
            "contaminated": self.contaminated,
        }


class ExportSummary(BaseModel):
    """What an export did; also written to ``export_report.json``."""

    run: str
    format: str
    out_dir: str
    created_at: str
    filters: dict[str, Any]
    quiz_evaluation: str | None
    judge_evaluation: str | None
    figures_ok: int = Field(description="Figures of the run with status ok (and a stored problem).")
    figures_failed: int = Field(description="Figures of the run that failed to render (never exported).")
    passed_filters: int
    rejected: dict[str, int] = Field(description="First reason -> figures rejected for it.")
    blind_quizzes_excluded: int
    dedup: bool
    near_duplicates: dict[str, str] = Field(description="Dropped uid -> kept uid it duplicates.")
    contamination: dict[str, Any] | None = Field(default=None, description="Counts of the check, when run.")
    contaminated: dict[str, str] = Field(default_factory=dict, description="uid -> how it matched.")
    contamination_action: str
    exported: int
    prompt_sources: dict[str, int]
    per_subject: dict[str, int]
    per_image_type: dict[str, int]
    files: list[str]
