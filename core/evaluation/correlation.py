"""Correlation of two metrics across runs: Pearson and Spearman with p-values (scipy.stats).

One point per run that has both metrics. With fewer than ``MIN_RUNS`` runs, or a metric that is
constant across them, there is nothing to correlate and :class:`CorrelationError` says so
(scipy would answer NaN). p-values are scipy's two-sided defaults (exact t-based for Pearson,
t-approximation for Spearman).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

MIN_RUNS = 3


class CorrelationError(ValueError):
    """Two metrics that cannot be correlated over the given runs; the message says why."""


class Correlation(BaseModel):
    """How two metrics move together across runs."""

    model_config = ConfigDict(frozen=True)

    x: str = Field(description="Name of the first metric.")
    y: str = Field(description="Name of the second metric.")
    n: int = Field(description="Runs with both metrics.")
    pearson_r: float
    pearson_p: float = Field(description="Two-sided p-value of Pearson's r.")
    spearman_r: float
    spearman_p: float = Field(description="Two-sided p-value of Spearman's rho.")
    runs: list[str] = Field(description="The runs used, in input order.")


def correlate(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    x_name: str = "x",
    y_name: str = "y",
    runs: Sequence[str] | None = None,
) -> Correlation:
    """Pearson and Spearman correlation of paired values (one pair per run; no missing values)."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise CorrelationError(f"{x_name} and {y_name} need one value each per run")
    labels = [str(r) for r in runs] if runs is not None else [str(i) for i in range(len(xs))]
    if len(labels) != len(xs):
        raise CorrelationError("one run label per value pair is needed")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise CorrelationError(f"{x_name} and {y_name} must be finite numbers for every run")
    if len(xs) < MIN_RUNS:
        raise CorrelationError(
            f"correlating {x_name} with {y_name} needs at least {MIN_RUNS} runs with both; found {len(xs)}"
            + (f" ({', '.join(labels)})" if labels else "")
        )
    for name, values in ((x_name, xs), (y_name, ys)):
        if np.ptp(values) == 0:
            raise CorrelationError(
                f"{name} is the same ({values[0]:g}) for all {len(values)} runs: no correlation"
            )
    # Imported here: scipy.stats costs ~0.7 s, which every dashboard page importing this module
    # (through the leaderboard data) would otherwise pay at the server's first request.
    from scipy import stats

    pearson = stats.pearsonr(xs, ys)
    spearman = stats.spearmanr(xs, ys)
    return Correlation(
        x=x_name,
        y=y_name,
        n=len(xs),
        pearson_r=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        spearman_r=float(spearman.statistic),
        spearman_p=float(spearman.pvalue),
        runs=labels,
    )


def correlate_metrics(frame: pd.DataFrame, x: str, y: str, *, label: str = "name") -> Correlation:
    """Correlate columns ``x`` and ``y`` of a one-row-per-run frame (e.g. ``Store.leaderboard()``)
    over the runs that have both; ``label`` names the column identifying runs."""
    for column in (x, y, label):
        if column not in frame.columns:
            raise CorrelationError(f"no column {column!r}; columns: {', '.join(map(str, frame.columns))}")
    both = frame[[label, x, y]].dropna(subset=[x, y])
    return correlate(
        both[x].to_numpy(dtype=float),
        both[y].to_numpy(dtype=float),
        x_name=x,
        y_name=y,
        runs=both[label].astype(str).tolist(),
    )
