"""From an evaluation run's stored rows to its run-level numbers (aggregates).

An evaluator's :meth:`~core.evaluation.base.Evaluator.aggregate` turns :class:`EvaluationRows`
into :class:`~core.metrics.Aggregate` records; the job runner loads the rows and stores what comes
back, without knowing which evaluator ran. The pieces here are what evaluators compose:

* :func:`figure_aggregates`: every per-figure metric the rows hold (quiz metrics when there are
  quiz answers, judge dimensions, per-figure metric values), overall, per subject and per image
  type, with 95% bootstrap intervals clustered by problem (:mod:`core.evaluation.stats`); when the
  quizzes were audited, also the quiz metrics without the blind-solvable quizzes
  (``rinv_unblind`` / ``quiz_acc_unblind``; a figure left with no quiz takes no part).
* :func:`paper_rule_aggregates`: R_inv and question accuracy as the paper's scoring computes them
  (``perfect_image_rate``, ``question_accuracy``), stored beside the strict ones.
* :func:`pooled_rate`: a ratio pooled over units (e.g. quizzes) per scope, with intervals
  clustered by problem.
* :func:`judge_alpha_aggregates`: agreement between two or more judges of one run.
* :func:`scaled_values` / :func:`capped_values`: per-figure values as their declaration counts them
  (a 1/0 share shown in percent; an infinite value capped).

Conventions for figures without an image (the evaluators store them so): quizzes wrong, judge
scores 0, no per-figure metric value; judge agreement leaves them out.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.evaluation.agreement import ALL_DIMENSIONS, JUDGE_SCALE, judge_agreement, krippendorff_alpha
from core.evaluation.stats import (
    DEFAULT_SEED,
    QUIZ_METRICS,
    UNTYPED_IMAGE_TYPE,
    aggregate_figures,
    build_figure_table,
    cluster_bootstrap,
    figure_metrics,
)
from core.metrics import Aggregate

ALPHA_RESAMPLES = 1000
MISSING_IMAGE = "missing_image"
UNBLIND_NAMES = {"rinv": "rinv_unblind", "quiz_acc": "quiz_acc_unblind"}
OPEN_QUESTION_METRIC = "mmq_correct"
"""The per-figure verdict on the open multimodal question (1/0, or 100/0 once scaled)."""
COUNTED_ERROR_CLASSES = frozenset({"bad_image", "unparsable", "no_option"})
"""Answers with these error classes had an image and a reply (or an image the answerer could not
use) and count as wrong under the published rule; any other error class is a failed call, dropped."""


@dataclasses.dataclass(frozen=True)
class EvaluationRows:
    """What an evaluation run stored, as evaluators aggregate it (one row per figure in ``figures``).

    ``flagged_quizzes`` holds the (problem uid, quiz index) pairs a blind audit found answerable
    without the image; None when none of the evaluated quizzes was audited.
    """

    figures: pd.DataFrame
    quiz_answers: pd.DataFrame
    judge_scores: pd.DataFrame
    metric_values: pd.DataFrame
    flagged_quizzes: frozenset[tuple[str, int]] | None = None

    def with_values(self, metric_values: pd.DataFrame) -> EvaluationRows:
        return dataclasses.replace(self, metric_values=metric_values)

    def without_metrics(self, names: Iterable[str]) -> EvaluationRows:
        """The same rows without the per-figure values of ``names`` (e.g. values aggregated another way)."""
        return self.with_values(self.metric_values[~self.metric_values["metric"].isin(list(names))])


def numeric_values(values: pd.DataFrame) -> pd.DataFrame:
    """Per-figure values with a float ``value`` column; non-finite values become missing."""
    values = values.copy()
    numbers = pd.to_numeric(values["value"], errors="coerce").astype("float64")
    values["value"] = numbers.where(np.isfinite(numbers))
    return values


def scaled_values(values: pd.DataFrame, metric: str, factor: float) -> pd.DataFrame:
    """``metric``'s per-figure values times ``factor`` (a 1/0 share declared in percent: 100)."""
    values = values.copy()
    numbers = pd.to_numeric(values["value"], errors="coerce").astype("float64")
    values["value"] = numbers.where(values["metric"] != metric, numbers * factor)
    return values


def capped_values(values: pd.DataFrame, metric: str, cap: float) -> pd.DataFrame:
    """``metric``'s +inf per-figure values counted as ``cap`` (a pixel-identical pair's PSNR)."""
    values = values.copy()
    numbers = pd.to_numeric(values["value"], errors="coerce").astype("float64")
    values["value"] = numbers.where(~((values["metric"] == metric) & np.isposinf(numbers)), cap)
    return values


def figure_table(rows: EvaluationRows) -> pd.DataFrame:
    """One row per figure with its quiz outcome, judge scores and metric values (see
    :func:`core.evaluation.stats.build_figure_table`)."""
    return build_figure_table(rows.figures, rows.quiz_answers, rows.judge_scores, numeric_values(rows.metric_values))


def figure_aggregates(rows: EvaluationRows) -> list[Aggregate]:
    """Every per-figure metric of ``rows`` aggregated per scope (see the module docstring)."""
    if rows.figures.empty:
        return []
    table = figure_table(rows)
    answered = not rows.quiz_answers.empty
    metrics = [m for m in figure_metrics(table) if m not in QUIZ_METRICS or answered]
    aggregates = aggregate_figures(table, metrics=metrics) if metrics else []
    if answered and rows.flagged_quizzes is not None:
        aggregates += unblind_aggregates(rows)
    if answered:
        aggregates += paper_rule_aggregates(rows)
    return aggregates


def paper_rule_aggregates(rows: EvaluationRows) -> list[Aggregate]:
    """``perfect_image_rate`` and ``question_accuracy`` as the published SciGenBench summary
    computes them, per scope, with intervals clustered by problem.

    Per image, its questions are its quiz answers plus, when the rows hold an ``mmq_correct``
    value for it, the open multimodal question (a value > 0 is right). Images with no figure are
    left out; answers that errored at the API (an error class other than
    :data:`COUNTED_ERROR_CLASSES`) are dropped, as is an open question without a value; an image
    is perfect when it has questions and all are right. Abstentions are answers, and wrong.
    """
    figures, answers = rows.figures, rows.quiz_answers
    if figures.empty or answers.empty:
        return []
    rendered = set(figures.loc[figures["status"] == "ok", "problem_uid"])
    errors = answers["error_class"] if "error_class" in answers else pd.Series(None, index=answers.index)
    abstained = (
        answers["abstained"].fillna(False).astype(bool) if "abstained" in answers
        else pd.Series(False, index=answers.index)
    )
    dropped = errors.notna() & ~abstained & ~errors.isin(COUNTED_ERROR_CLASSES)
    kept = answers[~dropped & answers["problem_uid"].isin(rendered)]
    right = kept["correct"].fillna(False).astype(bool) & ~abstained[kept.index]
    questions = kept.groupby("problem_uid").size()
    correct = right.groupby(kept["problem_uid"]).sum()
    values = rows.metric_values
    if not values.empty:
        numbers = pd.to_numeric(values["value"], errors="coerce")
        open_rows = (values["metric"] == OPEN_QUESTION_METRIC) & numbers.notna() & values["problem_uid"].isin(rendered)
        uids = values.loc[open_rows, "problem_uid"]
        questions = questions.add(uids.value_counts(), fill_value=0)
        correct = correct.add((numbers[open_rows] > 0).groupby(uids).sum(), fill_value=0)
    order = figures["problem_uid"]
    n_questions = questions.reindex(order).fillna(0).to_numpy(dtype=float)
    n_right = correct.reindex(order).fillna(0).to_numpy(dtype=float)
    has_questions = (n_questions > 0).astype(float)
    perfect = ((n_questions > 0) & (n_right == n_questions)).astype(float)
    return pooled_rate(figures, "perfect_image_rate", perfect, has_questions) + pooled_rate(
        figures, "question_accuracy", n_right, n_questions
    )


def unblind_aggregates(rows: EvaluationRows) -> list[Aggregate]:
    """rinv / quiz_acc over the quizzes a blind audit did not flag, renumbered per figure."""
    flagged = rows.flagged_quizzes or frozenset()
    figures, answers = rows.figures, rows.quiz_answers
    kept_index: dict[tuple[str, int], int] = {}
    counts: dict[str, int] = {}
    for uid, n_quizzes in zip(figures["problem_uid"], figures["n_quizzes"], strict=True):
        kept = [index for index in range(int(n_quizzes)) if (uid, index) not in flagged]
        counts[uid] = len(kept)
        kept_index.update({(uid, index): position for position, index in enumerate(kept)})
    keys = list(zip(answers["problem_uid"], answers["quiz_index"].astype(int), strict=True))
    mask = [key in kept_index for key in keys]
    remaining = answers[mask].copy()
    remaining["quiz_index"] = [kept_index[key] for key, keep in zip(keys, mask, strict=True) if keep]
    reduced = figures.assign(n_quizzes=figures["problem_uid"].map(counts).astype("int64"))
    table = build_figure_table(reduced, remaining)
    if not (table["n_quizzes"] > 0).any():
        return []
    return [
        aggregate.model_copy(update={"metric": UNBLIND_NAMES[aggregate.metric]})
        for aggregate in aggregate_figures(table, metrics=list(UNBLIND_NAMES))
        if aggregate.metric in UNBLIND_NAMES
    ]


def scope_masks(figures: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(scope, scope_value, row mask) over ``figures`` as :mod:`core.evaluation.stats` scopes them."""
    parts = [("overall", "", np.ones(len(figures), dtype=bool))]
    for value in sorted(figures["subject"].unique()):
        parts.append(("subject", str(value), (figures["subject"] == value).to_numpy()))
    types = figures["image_type"].where(figures["image_type"].notna(), UNTYPED_IMAGE_TYPE)
    for value in sorted(types.unique(), key=lambda v: (v == UNTYPED_IMAGE_TYPE, v)):
        parts.append(("image_type", str(value), (types == value).to_numpy()))
    return parts


def pooled_rate(
    figures: pd.DataFrame, metric: str, numerators: np.ndarray, denominators: np.ndarray, scale: float = 100.0
) -> list[Aggregate]:
    """sum(numerators) / sum(denominators) per scope (one entry per figure row), in ``scale``
    units, with a 95% interval from resampling figures; scopes with no denominator are left out."""
    aggregates = []
    for scope, scope_value, mask in scope_masks(figures):
        if denominators[mask].sum() <= 0:
            continue
        interval = cluster_bootstrap(numerators[mask], denominators[mask], seed=DEFAULT_SEED)
        aggregates.append(
            Aggregate(
                metric=metric, scope=scope, scope_value=scope_value, value=interval.value * scale,
                ci_low=interval.ci_low * scale, ci_high=interval.ci_high * scale, n=int(denominators[mask].sum()),
            )
        )
    return aggregates


# ---- agreement between judges ----------------------------------------------------------------------


def agreement_scores(scores: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Judge scores that agreement counts: figures that rendered, no score given for a missing image."""
    rendered = set(figures.loc[figures["status"] == "ok", "problem_uid"])
    kept = scores[scores["problem_uid"].isin(rendered)]
    if "error_class" in kept:
        kept = kept[kept["error_class"].fillna("") != MISSING_IMAGE]
    return kept


def _alpha_interval(scores: pd.DataFrame, dimension: str | None, seed: int) -> tuple[float, float] | None:
    """95% interval of alpha from resampling problems (all of a problem's units together)."""
    part = scores if dimension is None else scores[scores["dimension"] == dimension]
    part = part.dropna(subset=["score"])
    if part.empty:
        return None
    wide = part.pivot_table(index="judge", columns=["problem_uid", "dimension"], values="score", aggfunc="first")
    matrix = wide.to_numpy(dtype=float)
    problems = wide.columns.get_level_values(0).to_numpy()
    unique = np.unique(problems)
    columns = [np.flatnonzero(problems == uid) for uid in unique]
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(ALPHA_RESAMPLES):
        picked = rng.integers(0, len(unique), size=len(unique))
        alpha = krippendorff_alpha(matrix[:, np.concatenate([columns[i] for i in picked])], "ordinal",
                                   values=JUDGE_SCALE).alpha
        if not math.isnan(alpha):
            samples.append(alpha)
    if len(samples) < ALPHA_RESAMPLES // 2:
        return None
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high)


def judge_alpha_aggregates(rows: EvaluationRows) -> list[Aggregate]:
    """``judge_alpha`` over every (figure, dimension) and ``judge_alpha_<dim>`` per dimension, with
    95% intervals from resampling problems; [] with fewer than two judges."""
    kept = agreement_scores(rows.judge_scores, rows.figures)
    if kept.empty or kept["judge"].nunique() < 2:
        return []
    aggregates = []
    for key, result in judge_agreement(kept).items():
        if math.isnan(result.alpha):
            continue
        metric = "judge_alpha" if key == ALL_DIMENSIONS else f"judge_alpha_{key.removeprefix('judge_')}"
        interval = _alpha_interval(kept, None if key == ALL_DIMENSIONS else key, seed=0)
        aggregates.append(
            Aggregate(
                metric=metric, value=result.alpha, n=result.n_units,
                ci_low=interval[0] if interval else None, ci_high=interval[1] if interval else None,
            )
        )
    return aggregates
