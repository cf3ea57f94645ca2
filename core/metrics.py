"""Declarations of every metric the project shows: direction, bounds, unit, meaning.

Leaderboard sorting, "higher/lower is better" marks and chart axes read these, so a metric
is declared once here and nowhere else (the torchmetrics habit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


@dataclass(frozen=True)
class MetricSpec:
    name: str
    label: str
    higher_is_better: bool
    lower: float | None
    upper: float | None
    unit: str
    description: str
    group: str
    short_label: str = ""
    """A compact label for narrow table headers and chart axes (e.g. "C&F"); empty = ``label``."""

    @property
    def short(self) -> str:
        return self.short_label or self.label


JUDGE_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("judge_cf", "Correctness & Fidelity"),
    ("judge_lp", "Layout & Precision"),
    ("judge_ro", "Readability & Occlusion"),
    ("judge_sp", "Scientific Plausibility"),
    ("judge_er", "Expressiveness & Richness"),
)
# The paper's column abbreviations of the judge dimensions.
JUDGE_SHORT_LABELS: dict[str, str] = {
    "judge_cf": "C&F", "judge_lp": "L&P", "judge_ro": "R&O", "judge_sp": "SP", "judge_er": "E&R",
}

_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("rinv", "R_inv", True, 0.0, 100.0, "%",
               "Strict R_inv: share of the problem set's images whose quizzes are all answered correctly "
               "from the image alone; an image with no figure or no answer counts as failed.",
               "correctness"),
    MetricSpec("quiz_acc", "Quiz accuracy", True, 0.0, 100.0, "%",
               "Strict: share of all quizzes of the problem set answered correctly from the image alone; "
               "quizzes of a missing image or without an answer count as wrong.", "correctness"),
    # The published scoring (SciGenBench's summary): see core.evaluation.aggregates.paper_rule_aggregates.
    MetricSpec("perfect_image_rate", "Perfect image rate", True, 0.0, 100.0, "%",
               "R_inv as the paper scores it: share of images whose questions (the quizzes, plus the open "
               "multimodal question when the protocol includes it) are all answered right; images with no "
               "figure are left out and answers that errored at the API are dropped.", "correctness",
               "R_inv (paper)"),
    MetricSpec("question_accuracy", "Question accuracy", True, 0.0, 100.0, "%",
               "Quiz accuracy as the paper scores it: share of questions (quizzes, plus the open multimodal "
               "question when the protocol includes it) answered right over images with a figure; answers "
               "that errored at the API are dropped.", "correctness", "Question acc. (paper)"),
    MetricSpec("mmq_correct", "Multimodal question", True, 0.0, 100.0, "%",
               "Share of multimodal questions (given values read from the figure) solved correctly, "
               "graded against the reference answer; per figure 1 or 0.", "correctness"),
    *(
        MetricSpec(name, label, True, 0.0, 2.0, "points",
                   f"LMM judge score for {label}, 0 (fails) to 2 (fully meets).", "judge",
                   JUDGE_SHORT_LABELS[name])
        for name, label in JUDGE_DIMENSIONS
    ),
    MetricSpec("psnr", "PSNR", True, 0.0, None, "dB",
               "Peak signal-to-noise ratio against the reference figure.", "reference"),
    MetricSpec("ssim", "SSIM", True, -1.0, 1.0, "",
               "Structural similarity against the reference figure.", "reference"),
    MetricSpec("clip", "CLIP score", True, 0.0, 100.0, "",
               "CLIP image-text similarity; computed only when CLIP weights are present.", "reference"),
    MetricSpec("fid", "FID", False, 0.0, None, "",
               "Frechet Inception Distance between generated and reference sets (2048-d Inception).",
               "reference"),
    MetricSpec("kid", "KID", False, None, None, "",
               "Kernel Inception Distance between generated and reference sets.", "reference"),
    MetricSpec("pass_at_1", "pass@1", True, 0.0, 100.0, "%",
               "Share of problems whose first attempt rendered a figure.", "generation"),
    MetricSpec("pass_at_k", "pass@k", True, 0.0, 100.0, "%",
               "Share of problems that rendered within the repair budget.", "generation"),
    MetricSpec("cost_usd", "Cost", False, 0.0, None, "USD", "Model spend for the run.", "generation"),
    # Offline quiz answering by OCR (core.evaluation.ocr): abstentions are wrong in rinv/quiz_acc,
    # so these two say how often it dared to answer and how often it was right when it did.
    MetricSpec("ocr_answer_rate", "OCR answer rate", True, 0.0, 100.0, "%",
               "Share of quizzes the offline answerer answered (one option's text found in the figure's "
               "drawn texts or OCR, with no ambiguous evidence); the rest are abstentions. Run level: pooled over quizzes of existing images.",
               "ocr"),
    MetricSpec("ocr_precision", "OCR precision", True, 0.0, 100.0, "%",
               "Share of the OCR answerer's answers that are correct (abstentions left out). Run "
               "level: pooled over answered quizzes.", "ocr"),
    # Figure facts of code-made figures (core.evaluation.figure_facts): their own group, never
    # mixed into judge scores.
    MetricSpec("ff_overlaps", "Overlapping texts", False, 0.0, None, "pairs",
               "Pairs of drawn texts whose boxes intersect.", "figure_facts"),
    MetricSpec("ff_overlap_worst", "Worst text overlap", False, 0.0, 1.0, "share",
               "Largest text-box intersection as a share of the smaller box (0 without overlaps).",
               "figure_facts"),
    MetricSpec("ff_outside", "Texts off canvas", False, 0.0, None, "texts",
               "Drawn texts whose box extends beyond the saved image.", "figure_facts"),
    MetricSpec("ff_coverage", "Given-value coverage", True, 0.0, 1.0, "share",
               "Share of the question's numbers with units (physical constants aside) written in the figure.",
               "figure_facts"),
    MetricSpec("ff_answer_leak", "Answer leak", False, 0.0, 1.0, "",
               "1 when the final answer's value is written in the figure (tick labels and one-digit "
               "numbers without unit aside), else 0.", "figure_facts"),
    # Quiz metrics without the quizzes a blind audit (`scigen quizzes audit`) flagged as answerable
    # with no image at all (core.jobs.evaluation; stored only when the evaluated quizzes were audited).
    MetricSpec("rinv_unblind", "R_inv (unblind)", True, 0.0, 100.0, "%",
               "R_inv over quizzes not flagged blind-solvable: an image counts when all its remaining "
               "quizzes are answered correctly; images left with no quiz take no part.", "correctness"),
    MetricSpec("quiz_acc_unblind", "Quiz accuracy (unblind)", True, 0.0, 100.0, "%",
               "Quiz accuracy over quizzes not flagged blind-solvable by a quiz audit.", "correctness"),
    # Agreement between two or more judges of one evaluation run (core.evaluation.agreement).
    MetricSpec("judge_alpha", "Judge agreement", True, None, 1.0, "alpha",
               "Krippendorff's alpha (ordinal) between the run's judges over every (figure, dimension) "
               "score; 1 = perfect agreement, 0 = chance. Figures that failed to render are left out.",
               "judge_agreement"),
    *(
        MetricSpec(f"judge_alpha_{name.removeprefix('judge_')}", f"Judge agreement: {label}", True, None, 1.0,
                   "alpha", f"Krippendorff's alpha (ordinal) between the run's judges on {label}.",
                   "judge_agreement")
        for name, label in JUDGE_DIMENSIONS
    ),
)

METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}


def metric(name: str) -> MetricSpec:
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


Scope = Literal["overall", "subject", "image_type"]
SCOPES: tuple[str, ...] = ("overall", "subject", "image_type")


class Aggregate(BaseModel):
    """One run-level number: a metric over a scope, with its 95% interval and item count."""

    model_config = ConfigDict(frozen=True)

    metric: str = Field(min_length=1, description="A metric name, normally one of core.metrics.METRICS.")
    value: float | None = Field(description="The value; None when it could not be computed.")
    scope: Scope = Field(default="overall", description="overall, subject or image_type.")
    scope_value: str = Field(default="", description="The subject or image type; '' for overall.")
    ci_low: float | None = Field(default=None, description="Lower end of the 95% interval.")
    ci_high: float | None = Field(default=None, description="Upper end of the 95% interval.")
    n: int | None = Field(default=None, ge=0, description="Number of items behind the value.")

    @model_validator(mode="after")
    def _scope_value_matches_scope(self) -> Aggregate:
        if (self.scope == "overall") != (self.scope_value == ""):
            raise ValueError("scope_value must be '' for scope 'overall' and non-empty otherwise")
        for name in ("value", "ci_low", "ci_high"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise ValueError(f"{name} must be a finite number or None, got {number!r}")
        return self


def declare_metric(spec: MetricSpec) -> MetricSpec:
    """Declare a metric that an evaluator module adds (the built-ins are declared above), so the
    leaderboard and charts can sort and label it. The same declaration twice is harmless; another
    declaration under a taken name is refused."""
    known = METRICS.get(spec.name)
    if known is not None and known != spec:
        raise ValueError(f"metric {spec.name!r} is already declared differently: {known}")
    METRICS[spec.name] = spec
    return spec
