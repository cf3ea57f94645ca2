"""Honest statistics over per-figure outcomes: aggregates with intervals, paired comparison, ties.

Everything here is a pure function of pandas/numpy inputs and a seed: same input, same seed,
same numbers.

The figure table
================
All statistics start from a *figure table* (:func:`build_figure_table`): one row per figure,
i.e. per problem of a run, with

* ``problem_uid``, ``subject``, ``image_type`` (None for untyped SeePhys items);
* ``rendered`` (the figure exists), ``n_quizzes`` (quizzes of the problem), ``n_answered``,
  ``n_correct``, ``all_correct`` and ``missing`` (see below);
* one float column per per-figure metric: each judge dimension (averaged over the run's judges
  for that figure), and each metric value (psnr, ssim, clip, figure facts, ...). NaN = no value.

Definitions (issue 5, "Inverse validation")
===========================================
* An answer counts when it was had: a row with ``error_class`` set and not ``abstained`` (the
  model failed, the image was missing) is *no answer*. Abstentions (OCR found no single option)
  are answers, and wrong. A figure that failed to render has no answers, whatever was recorded.
* ``quiz_acc`` = correct answers / all quizzes of the figures, in %. Unanswered quizzes count
  as wrong, so the denominator is the same for every run over the same problems.
* ``rinv`` = share of images whose quizzes are *all* answered correctly, in %. An image that
  failed to render, or got no answer at all, counts as failed.
* ``n_missing`` = images that failed to render or got no answer at all;
  ``rinv_excluding_missing`` = R_inv over the other images (the reference code's convention:
  it skips images it cannot find). Always ``rinv <= rinv_excluding_missing``.
* Problems without quizzes take no part in the quiz metrics (neither numerator nor n).
* Per-figure metrics are means, in the unit the values are stored in, over the figures that have a
  (non-null) value, whatever its status: the evaluator decides whether a failed figure gets a
  value (e.g. 0) or none.
* ``n`` of an aggregate counts the units behind the value: images for rinv / n_missing /
  rinv_excluding_missing, quizzes for quiz_acc, figures with a value for per-figure metrics.

Intervals: a 95% percentile bootstrap clustered by problem
==========================================================
Quizzes of one image are not independent (a wrong figure fails several at once), so resampling
quizzes would pretend to more information than there is. Every interval here resamples
*problems* (figures) with replacement, keeping all of a figure's quizzes together, recomputes the
statistic as a ratio of sums (sum of per-figure numerators / sum of per-figure denominators;
e.g. correct quizzes / quizzes), ``DEFAULT_RESAMPLES`` times, and takes the 2.5th and 97.5th
percentiles. Resamples whose denominator is 0 (possible only for sparse metrics) are dropped.
The random generator is ``numpy.random.default_rng(seed)``, fresh per scope, over figures sorted
by problem uid, so results do not depend on input order. One figure gives a zero-width interval.

Scopes: ``overall`` (scope_value ''), ``subject`` and ``image_type``. Untyped SeePhys items count
in overall and in their subject, and in the image_type scope under ``UNTYPED_IMAGE_TYPE``
('(untyped)') so a SeePhys-only run still has a per-type row; pass ``untyped_label=None`` to skip
them there instead. Aggregates with nothing behind them (n = 0) are not emitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core.metrics import METRICS, Aggregate

UNTYPED_IMAGE_TYPE = "(untyped)"
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0
DEFAULT_CONFIDENCE = 0.95

# Quiz-based metrics computed from the answer columns, in the order they are emitted.
QUIZ_METRICS: tuple[str, ...] = ("rinv", "quiz_acc", "rinv_excluding_missing")
COUNT_METRICS: tuple[str, ...] = ("n_missing",)
_PERCENT = 100.0
FIGURE_COLUMNS: tuple[str, ...] = (
    "problem_uid",
    "subject",
    "image_type",
    "rendered",
    "n_quizzes",
    "n_answered",
    "n_correct",
    "all_correct",
    "missing",
)
_SCOPE_COLUMN = {"subject": "subject", "image_type": "image_type"}


class BootstrapInterval(BaseModel):
    """A point estimate with its cluster-bootstrap percentile interval."""

    model_config = ConfigDict(frozen=True)

    value: float = Field(description="The statistic on the data as given.")
    ci_low: float = Field(description="Lower percentile of the bootstrap distribution.")
    ci_high: float = Field(description="Upper percentile of the bootstrap distribution.")
    n_clusters: int = Field(description="Clusters (problems) resampled.")


class PairedComparison(BaseModel):
    """Run A minus run B on the problems both have, with a paired cluster-bootstrap interval."""

    model_config = ConfigDict(frozen=True)

    metric: str
    run_a: str
    run_b: str
    value_a: float = Field(description="Metric of run A over the shared problems.")
    value_b: float = Field(description="Metric of run B over the shared problems.")
    difference: float = Field(description="value_a - value_b.")
    ci_low: float
    ci_high: float
    n_shared: int = Field(description="Problems both runs have (with a value, for per-figure metrics).")
    n_resamples: int
    confidence: float
    seed: int

    @property
    def separable(self) -> bool:
        """The interval excludes 0: the runs differ on this metric."""
        return self.ci_low > 0 or self.ci_high < 0


TieStatus = Literal["best", "tied", "separable", "undecided"]
TieMethod = Literal["paired_bootstrap", "interval_overlap"]

TIE_RULE = (
    "A run is tied with the best run when they cannot be separated: with per-figure data for both, "
    "the paired cluster-bootstrap 95% interval of (best - run) over shared problems includes 0; "
    "else, when both have stored 95% intervals, the intervals overlap; else it is undecided "
    "(reported runs have no intervals, so a table of them has no tie group)."
)


class TieEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: str
    value: float
    status: TieStatus = Field(description="best, tied (not separable from best), separable, or undecided.")
    method: TieMethod | None = Field(
        default=None, description="How the status was decided; None for best/undecided."
    )
    ci_low: float | None = Field(
        default=None, description="Paired interval of best - run, when bootstrapped."
    )
    ci_high: float | None = None
    n_shared: int | None = None


class TieGroup(BaseModel):
    """Who cannot be separated from the best run on one metric (rule: ``TIE_RULE``)."""

    model_config = ConfigDict(frozen=True)

    metric: str
    higher_is_better: bool
    best: str | None = Field(description="The run with the best value; None when no run has one.")
    members: list[str] = Field(
        description="best plus the runs tied with it; empty when no comparison could be decided."
    )
    entries: list[TieEntry] = Field(description="Every run with a value, best first, in rank order.")
    rule: str = TIE_RULE

    def status_of(self, run: str) -> TieStatus | None:
        for entry in self.entries:
            if entry.run == run:
                return entry.status
        return None


# ------------------------------------------------------------------------------------------------
# building the figure table


def _require(frame: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} table lacks column(s) {missing}; it has {list(frame.columns)}")


def _check_known(frame: pd.DataFrame, name: str, known: set[str]) -> None:
    unknown = sorted(set(frame["problem_uid"]) - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise ValueError(f"{name} table names {len(unknown)} problem(s) not among the run's figures: {shown}")


def _null(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def build_figure_table(
    figures: pd.DataFrame,
    quiz_answers: pd.DataFrame | None = None,
    judge_scores: pd.DataFrame | None = None,
    metric_values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per figure with its quiz outcome and per-figure metrics (see the module docstring).

    * ``figures``: problem_uid, subject, image_type (None/NaN = untyped), n_quizzes, status
      ('ok' = rendered; anything else = failed). One row per problem of the run.
    * ``quiz_answers``: problem_uid, quiz_index, correct; optional abstained, error_class.
    * ``judge_scores``: problem_uid, dimension, score (NaN = unparsable); optional judge. Several
      judges are averaged per figure and dimension.
    * ``metric_values``: problem_uid, metric, value. Every non-null value counts, whatever its
      status: an evaluator that wants a failed figure to count as 0 stores 0 with status 'failed'
      (vqa does, for mmq_correct); one that has no value stores None.

    Raises ValueError naming the table and the offending problems/fields for rows about unknown
    problems, duplicate answers, quiz indexes outside the problem's quizzes, or name clashes.
    """
    _require(figures, "figures", ("problem_uid", "subject", "image_type", "n_quizzes", "status"))
    duplicated = figures["problem_uid"][figures["problem_uid"].duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(f"figures table lists problem(s) more than once: {sorted(duplicated)[:5]}")
    no_subject = figures.loc[figures["subject"].map(_null), "problem_uid"].tolist()
    if no_subject:
        raise ValueError(
            f"figures table: field 'subject' is empty for {sorted(no_subject)[:5]} (problem not stored?)"
        )
    table = pd.DataFrame(
        {
            "problem_uid": figures["problem_uid"].astype(str).to_numpy(),
            "subject": figures["subject"].astype(str).to_numpy(),
            "image_type": [None if _null(v) else str(v) for v in figures["image_type"]],
            "rendered": (figures["status"] == "ok").to_numpy(dtype=bool),
            "n_quizzes": figures["n_quizzes"].fillna(0).astype("int64").to_numpy(),
        }
    )
    if (table["n_quizzes"] < 0).any():
        raise ValueError("figures table: field 'n_quizzes' must not be negative")
    known = set(table["problem_uid"])
    table = table.set_index("problem_uid", drop=False)

    n_answered = pd.Series(0, index=table.index, dtype="int64")
    n_correct = pd.Series(0, index=table.index, dtype="int64")
    if quiz_answers is not None and len(quiz_answers):
        _require(quiz_answers, "quiz_answers", ("problem_uid", "quiz_index", "correct"))
        _check_known(quiz_answers, "quiz_answers", known)
        keys = quiz_answers[["problem_uid", "quiz_index"]]
        if keys.duplicated().any():
            first = keys[keys.duplicated()].iloc[0]
            raise ValueError(
                f"quiz_answers table answers quiz {int(first['quiz_index'])} of {first['problem_uid']} more than once"
            )
        limits = table["n_quizzes"].reindex(quiz_answers["problem_uid"]).to_numpy()
        indexes = quiz_answers["quiz_index"].to_numpy(dtype="int64")
        outside = (indexes < 0) | (indexes >= limits)
        if outside.any():
            row = quiz_answers[outside].iloc[0]
            raise ValueError(
                f"quiz_answers table: field 'quiz_index' {int(row['quiz_index'])} of {row['problem_uid']} is outside "
                f"its {int(table.at[row['problem_uid'], 'n_quizzes'])} quizzes"
            )
        abstained = (
            quiz_answers["abstained"].fillna(False).astype(bool)
            if "abstained" in quiz_answers
            else pd.Series(False, index=quiz_answers.index)
        )
        errored = (
            quiz_answers["error_class"].notna()
            if "error_class" in quiz_answers
            else pd.Series(False, index=quiz_answers.index)
        )
        correct_known = quiz_answers["correct"].notna()
        answered = (abstained | ~errored) & correct_known
        # A failed render has no answers, whatever was recorded for it.
        answered &= table["rendered"].reindex(quiz_answers["problem_uid"]).to_numpy()
        correct = answered & quiz_answers["correct"].fillna(False).astype(bool) & ~abstained
        grouped = pd.DataFrame({"uid": quiz_answers["problem_uid"], "a": answered, "c": correct}).groupby(
            "uid"
        )
        n_answered = grouped["a"].sum().reindex(table.index, fill_value=0).astype("int64")
        n_correct = grouped["c"].sum().reindex(table.index, fill_value=0).astype("int64")
    table["n_answered"] = n_answered
    table["n_correct"] = n_correct
    has_quizzes = table["n_quizzes"] > 0
    table["all_correct"] = has_quizzes & table["rendered"] & (table["n_correct"] == table["n_quizzes"])
    table["missing"] = has_quizzes & (~table["rendered"] | (table["n_answered"] == 0))

    reserved = set(FIGURE_COLUMNS) | set(QUIZ_METRICS) | set(COUNT_METRICS)
    if judge_scores is not None and len(judge_scores):
        _require(judge_scores, "judge_scores", ("problem_uid", "dimension", "score"))
        _check_known(judge_scores, "judge_scores", known)
        clash = sorted(set(judge_scores["dimension"]) & reserved)
        if clash:
            raise ValueError(f"judge_scores table: field 'dimension' uses reserved name(s) {clash}")
        scores = judge_scores.assign(score=pd.to_numeric(judge_scores["score"], errors="coerce"))
        means = scores.pivot_table(index="problem_uid", columns="dimension", values="score", aggfunc="mean")
        for dimension in _ordered(means.columns):
            table[dimension] = means[dimension].reindex(table.index).astype("float64")
    if metric_values is not None and len(metric_values):
        _require(metric_values, "metric_values", ("problem_uid", "metric", "value"))
        _check_known(metric_values, "metric_values", known)
        keys = metric_values[["problem_uid", "metric"]]
        if keys.duplicated().any():
            first = keys[keys.duplicated()].iloc[0]
            raise ValueError(
                f"metric_values table has metric {first['metric']!r} of {first['problem_uid']} twice"
            )
        clash = sorted(set(metric_values["metric"]) & (reserved | set(table.columns)))
        if clash:
            raise ValueError(f"metric_values table: field 'metric' uses reserved or judge name(s) {clash}")
        values = metric_values.assign(value=pd.to_numeric(metric_values["value"], errors="coerce"))
        wide = values.pivot_table(
            index="problem_uid", columns="metric", values="value", aggfunc="first", dropna=False
        )
        for name in _ordered(wide.columns):
            table[name] = wide[name].reindex(table.index).astype("float64")
    return table.sort_index().reset_index(drop=True)


def _ordered(names: Iterable[str]) -> list[str]:
    """Declared metrics in METRICS order, then the others alphabetically."""
    names = set(names)
    return [m for m in METRICS if m in names] + sorted(names - set(METRICS))


def figure_metrics(table: pd.DataFrame) -> list[str]:
    """Metric names computable from a figure table (quiz metrics only when there are quizzes)."""
    names = [c for c in table.columns if c not in FIGURE_COLUMNS]
    quiz = list(QUIZ_METRICS) if (table["n_quizzes"] > 0).any() else []
    return quiz + _ordered(names)


def _estimand(table: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-figure numerator and denominator of ``metric`` (a ratio of sums), and its scale."""
    has_quizzes = (table["n_quizzes"] > 0).to_numpy()
    if metric == "rinv":
        return table["all_correct"].to_numpy(dtype=float), has_quizzes.astype(float), _PERCENT
    if metric == "quiz_acc":
        return table["n_correct"].to_numpy(dtype=float), table["n_quizzes"].to_numpy(dtype=float), _PERCENT
    if metric == "rinv_excluding_missing":
        kept = has_quizzes & ~table["missing"].to_numpy(dtype=bool)
        return table["all_correct"].to_numpy(dtype=float), kept.astype(float), _PERCENT
    if metric not in table.columns or metric in FIGURE_COLUMNS:
        known = ", ".join(figure_metrics(table))
        raise KeyError(f"metric {metric!r} is not computable from this figure table; known: {known}")
    values = table[metric].to_numpy(dtype=float)
    present = ~np.isnan(values)
    return np.where(present, values, 0.0), present.astype(float), 1.0


# ------------------------------------------------------------------------------------------------
# the cluster bootstrap


def resample_indexes(
    n_clusters: int, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """(n_resamples, n_clusters) cluster indexes drawn with replacement; reuse it to pair statistics."""
    if n_clusters < 1:
        raise ValueError("the bootstrap needs at least one cluster")
    if n_resamples < 1:
        raise ValueError("n_resamples must be positive")
    return np.random.default_rng(seed).integers(0, n_clusters, size=(n_resamples, n_clusters))


def _ratio(numerators: np.ndarray, denominators: np.ndarray, indexes: np.ndarray) -> np.ndarray:
    num = numerators[indexes].sum(axis=1)
    den = denominators[indexes].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _percentiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    kept = samples[~np.isnan(samples)]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(kept, [tail, 100 - tail])
    return float(low), float(high)


def cluster_bootstrap(
    numerators: Sequence[float] | np.ndarray,
    denominators: Sequence[float] | np.ndarray | None = None,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> BootstrapInterval:
    """Percentile interval of sum(numerators)/sum(denominators), resampling clusters (entries).

    Each entry is one cluster (a problem): e.g. numerator = its correct quizzes and denominator =
    its quizzes. Without denominators every cluster weighs 1 (a plain mean). Passing one entry per
    quiz instead gives the naive iid bootstrap, which ignores that quizzes of an image move together.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.ones_like(num) if denominators is None else np.asarray(denominators, dtype=float)
    if num.shape != den.shape or num.ndim != 1:
        raise ValueError("numerators and denominators must be 1-d and of the same length")
    if den.sum() <= 0:
        raise ValueError("the denominators sum to 0: nothing to estimate")
    indexes = resample_indexes(len(num), n_resamples, seed)
    low, high = _percentiles(_ratio(num, den, indexes), confidence)
    return BootstrapInterval(
        value=float(num.sum() / den.sum()), ci_low=low, ci_high=high, n_clusters=len(num)
    )


# ------------------------------------------------------------------------------------------------
# aggregates


def _scope_groups(
    table: pd.DataFrame, scopes: Sequence[str], untyped_label: str | None
) -> list[tuple[str, str, pd.DataFrame]]:
    groups: list[tuple[str, str, pd.DataFrame]] = []
    for scope in scopes:
        if scope == "overall":
            groups.append(("overall", "", table))
            continue
        if scope not in _SCOPE_COLUMN:
            raise ValueError(f"unknown scope {scope!r}; expected overall, subject or image_type")
        keys = table[_SCOPE_COLUMN[scope]]
        if scope == "image_type":
            if untyped_label is None:
                keys = keys.where(keys.notna())
            else:
                keys = keys.where(keys.notna(), untyped_label)
        for value in sorted(keys.dropna().unique(), key=lambda v: (v == untyped_label, v)):
            groups.append((scope, str(value), table[keys == value]))
    return groups


def aggregate_figures(
    table: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    scopes: Sequence[str] = ("overall", "subject", "image_type"),
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    untyped_label: str | None = UNTYPED_IMAGE_TYPE,
) -> list[Aggregate]:
    """Aggregates of a figure table per scope, each with a problem-clustered bootstrap interval.

    ``metrics`` defaults to :func:`figure_metrics` (rinv, quiz_acc, rinv_excluding_missing when
    there are quizzes, then every per-figure metric). ``n_missing`` is emitted with rinv (a count:
    no interval). The records are ready for ``Store.upsert_aggregates(run_id, ...)``.
    """
    table = table.sort_values("problem_uid", kind="stable").reset_index(drop=True)
    wanted = list(figure_metrics(table) if metrics is None else metrics)
    aggregates: list[Aggregate] = []
    for scope, scope_value, part in _scope_groups(table, scopes, untyped_label):
        if part.empty:
            continue
        indexes = resample_indexes(len(part), n_resamples, seed)
        for metric in wanted:
            num, den, scale = _estimand(part, metric)
            n = int(den.sum())
            if n == 0:
                continue
            low, high = _percentiles(_ratio(num, den, indexes), confidence)
            aggregates.append(
                Aggregate(
                    metric=metric,
                    scope=scope,
                    scope_value=scope_value,
                    value=float(num.sum() / n) * scale,
                    ci_low=low * scale,
                    ci_high=high * scale,
                    n=n,
                )
            )
            if metric == "rinv":
                aggregates.append(
                    Aggregate(
                        metric="n_missing",
                        scope=scope,
                        scope_value=scope_value,
                        value=float(part["missing"].sum()),
                        n=n,
                    )
                )
    return aggregates


def aggregates_frame(aggregates: Iterable[Aggregate]) -> pd.DataFrame:
    """Aggregate records as a long DataFrame (columns as ``Store.aggregates`` without run/time)."""
    columns = ["metric", "scope", "scope_value", "value", "ci_low", "ci_high", "n"]
    return pd.DataFrame([a.model_dump() for a in aggregates], columns=columns)


# ------------------------------------------------------------------------------------------------
# paired comparison


def _shared_arrays(
    table_a: pd.DataFrame, table_b: pd.DataFrame, metric: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    a = table_a.set_index("problem_uid")
    b = table_b.set_index("problem_uid")
    shared = sorted(set(a.index) & set(b.index))
    a = a.loc[shared].reset_index()
    b = b.loc[shared].reset_index()
    num_a, den_a, scale = _estimand(a, metric)
    num_b, den_b, _ = _estimand(b, metric)
    if metric in QUIZ_METRICS:
        keep = (a["n_quizzes"].to_numpy() > 0) & (b["n_quizzes"].to_numpy() > 0)
    else:  # per-figure metrics: only problems where both runs have a value
        keep = (den_a > 0) & (den_b > 0)
    return num_a[keep], den_a[keep], num_b[keep], den_b[keep], scale


def paired_difference(
    table_a: pd.DataFrame,
    table_b: pd.DataFrame,
    metric: str,
    *,
    run_a: str = "A",
    run_b: str = "B",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> PairedComparison:
    """Metric of run A minus run B over their shared problems, with a paired bootstrap interval.

    Shared problems: in both figure tables (with quizzes in both, for quiz metrics; with a value in
    both, for per-figure metrics). Each resample draws shared problems with replacement and applies
    the same draw to both runs, so what the runs have in common (hard problems) cancels out.
    """
    num_a, den_a, num_b, den_b, scale = _shared_arrays(table_a, table_b, metric)
    if len(num_a) == 0 or den_a.sum() == 0 or den_b.sum() == 0:
        raise ValueError(f"runs {run_a!r} and {run_b!r} share no problems with a value for {metric!r}")
    indexes = resample_indexes(len(num_a), n_resamples, seed)
    samples = _ratio(num_a, den_a, indexes) - _ratio(num_b, den_b, indexes)
    low, high = _percentiles(samples, confidence)
    value_a = float(num_a.sum() / den_a.sum()) * scale
    value_b = float(num_b.sum() / den_b.sum()) * scale
    return PairedComparison(
        metric=metric,
        run_a=run_a,
        run_b=run_b,
        value_a=value_a,
        value_b=value_b,
        difference=value_a - value_b,
        ci_low=low * scale,
        ci_high=high * scale,
        n_shared=len(num_a),
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
    )


# ------------------------------------------------------------------------------------------------
# tie groups


def _interval(row: Mapping[str, object]) -> tuple[float, float] | None:
    low, high = row.get("ci_low"), row.get("ci_high")
    if _null(low) or _null(high):
        return None
    return float(low), float(high)  # type: ignore[arg-type]


def tie_group(
    runs: pd.DataFrame,
    metric: str,
    *,
    higher_is_better: bool | None = None,
    figure_tables: Mapping[str, pd.DataFrame] | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> TieGroup:
    """The runs not separable from the best on ``metric`` (the rule is ``TIE_RULE``).

    ``runs`` has columns run (a unique label), value, and optionally ci_low/ci_high (stored
    intervals). ``figure_tables`` maps run labels to figure tables, for a paired bootstrap when the
    metric is computable from both the best run's and the other run's table. The direction comes
    from the metric's declaration unless ``higher_is_better`` is given.
    """
    _require(runs, "runs", ("run", "value"))
    if higher_is_better is None:
        if metric not in METRICS:
            raise KeyError(f"metric {metric!r} is not declared; pass higher_is_better")
        higher_is_better = METRICS[metric].higher_is_better
    if runs["run"].duplicated().any():
        raise ValueError(f"runs table lists run(s) twice: {sorted(runs['run'][runs['run'].duplicated()])}")
    rows = [row for row in runs.to_dict("records") if not _null(row["value"])]
    # A stable sort: among equal values, input order decides.
    rows.sort(key=lambda row: float(row["value"]), reverse=higher_is_better)
    if not rows:
        return TieGroup(metric=metric, higher_is_better=higher_is_better, best=None, members=[], entries=[])
    tables = figure_tables or {}
    best = rows[0]
    best_table = tables.get(best["run"])
    entries = [TieEntry(run=best["run"], value=float(best["value"]), status="best")]
    for row in rows[1:]:
        entries.append(
            _compare_with_best(
                best,
                best_table,
                row,
                tables.get(row["run"]),
                metric,
                n_resamples=n_resamples,
                seed=seed,
                confidence=confidence,
            )
        )
    decided = any(entry.method is not None for entry in entries)
    members = [e.run for e in entries if e.status in ("best", "tied")] if decided else []
    return TieGroup(
        metric=metric, higher_is_better=higher_is_better, best=best["run"], members=members, entries=entries
    )


def _compare_with_best(
    best: Mapping[str, object],
    best_table: pd.DataFrame | None,
    row: Mapping[str, object],
    table: pd.DataFrame | None,
    metric: str,
    *,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> TieEntry:
    value = float(row["value"])  # type: ignore[arg-type]
    if best_table is not None and table is not None:
        try:
            paired = paired_difference(
                best_table,
                table,
                metric,
                run_a=str(best["run"]),
                run_b=str(row["run"]),
                n_resamples=n_resamples,
                seed=seed,
                confidence=confidence,
            )
        except (KeyError, ValueError):
            paired = None  # not computable per figure, or nothing shared: fall back to intervals
        if paired is not None:
            return TieEntry(
                run=str(row["run"]),
                value=value,
                status="separable" if paired.separable else "tied",
                method="paired_bootstrap",
                ci_low=paired.ci_low,
                ci_high=paired.ci_high,
                n_shared=paired.n_shared,
            )
    best_interval, interval = _interval(best), _interval(row)
    if best_interval is not None and interval is not None:
        overlap = best_interval[0] <= interval[1] and interval[0] <= best_interval[1]
        return TieEntry(
            run=str(row["run"]),
            value=value,
            status="tied" if overlap else "separable",
            method="interval_overlap",
        )
    return TieEntry(run=str(row["run"]), value=value, status="undecided")
