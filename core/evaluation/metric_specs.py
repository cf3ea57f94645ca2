"""Declarations of every metric the project shows: direction, bounds, unit, meaning.

Leaderboard sorting, "higher/lower is better" marks and chart axes read these, so a metric
is declared once here and nowhere else (the torchmetrics habit).
"""

from __future__ import annotations

from dataclasses import dataclass


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


JUDGE_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("judge_cf", "Correctness & Fidelity"),
    ("judge_lp", "Layout & Precision"),
    ("judge_ro", "Readability & Occlusion"),
    ("judge_sp", "Scientific Plausibility"),
    ("judge_er", "Expressiveness & Richness"),
)

_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("rinv", "R_inv", True, 0.0, 100.0, "%",
               "Share of images whose visual quizzes are all answered correctly from the image alone.",
               "correctness"),
    MetricSpec("quiz_acc", "Quiz accuracy", True, 0.0, 100.0, "%",
               "Share of individual quizzes answered correctly from the image alone.", "correctness"),
    *(
        MetricSpec(name, label, True, 0.0, 2.0, "points",
                   f"LMM judge score for {label}, 0 (fails) to 2 (fully meets).", "judge")
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
)

METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}


def metric(name: str) -> MetricSpec:
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None
