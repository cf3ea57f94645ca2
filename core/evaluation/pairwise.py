"""Ratings from pairwise comparisons: Bradley-Terry strengths with bootstrap intervals, a win-rate
matrix and the judge's position bias.

A comparison frame has one row per (problem, pair of runs): ``problem_uid``, ``run_a``, ``run_b``,
``outcome`` (1 = run_a's figure was judged better, 0.5 = tie, 0 = run_b's), and for position bias
``first_shown`` ('a' or 'b': whose figure the judge saw first) and ``picked`` ('first', 'second',
'tie', or None when no model was asked, e.g. one figure had no image).

Bradley-Terry: P(i beats j) = p_i / (p_i + p_j), fitted by Hunter's (2004) MM iteration with a
tie counted as half a win each way, and a small prior (``prior`` virtual ties between every pair
that met) so a run that never won keeps a finite rating. Ratings are shown on the Elo scale
(400 * log10 p, centred on 1000 by the geometric mean). Intervals: 95% percentiles over
resamples of problems (all comparisons of a problem move together).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "COMPARISON_COLUMNS",
    "bradley_terry",
    "bradley_terry_ratings",
    "position_bias",
    "win_rate_matrix",
]

COMPARISON_COLUMNS = ("problem_uid", "run_a", "run_b", "outcome", "first_shown", "picked")
ELO_SCALE = 400.0 / math.log(10.0)
ELO_CENTRE = 1000.0
DEFAULT_PRIOR = 0.5
BOOTSTRAP_RESAMPLES = 500


def _check(comparisons: pd.DataFrame) -> pd.DataFrame:
    missing = [name for name in ("problem_uid", "run_a", "run_b", "outcome") if name not in comparisons]
    if missing:
        raise ValueError(f"comparisons lack the column(s) {missing}")
    kept = comparisons.dropna(subset=["outcome"])
    bad = ~kept["outcome"].isin([0.0, 0.5, 1.0])
    if bad.any():
        raise ValueError(f"outcome must be 0, 0.5 or 1; got {sorted(set(kept.loc[bad, 'outcome']))[:3]}")
    return kept


def bradley_terry(
    runs: Sequence[str], a: np.ndarray, b: np.ndarray, outcome: np.ndarray, *,
    prior: float = DEFAULT_PRIOR, iterations: int = 500, tolerance: float = 1e-10,
) -> np.ndarray:
    """Log-strengths (mean 0) of ``runs`` from comparisons given as run indexes ``a``, ``b`` and
    ``outcome`` (1 a wins, 0.5 tie, 0 b wins)."""
    size = len(runs)
    wins = np.zeros((size, size))
    np.add.at(wins, (a, b), outcome)
    np.add.at(wins, (b, a), 1.0 - outcome)
    met = (wins + wins.T) > 0
    wins = wins + prior / 2.0 * met  # virtual ties: half a win each way
    games = wins + wins.T
    total_wins = wins.sum(axis=1)
    strength = np.ones(size)
    for _ in range(iterations):
        with np.errstate(divide="ignore", invalid="ignore"):
            denominator = np.where(games > 0, games / (strength[:, None] + strength[None, :]), 0.0).sum(axis=1)
            updated = np.where(denominator > 0, total_wins / denominator, strength)
        updated /= np.exp(np.mean(np.log(updated)))
        if np.max(np.abs(updated - strength)) < tolerance:
            strength = updated
            break
        strength = updated
    return np.log(strength) - np.mean(np.log(strength))


def bradley_terry_ratings(
    comparisons: pd.DataFrame, *, prior: float = DEFAULT_PRIOR, n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0, confidence: float = 0.95,
) -> pd.DataFrame:
    """Per run: ``run``, ``rating`` (Elo scale), ``ci_low``, ``ci_high``, ``comparisons``, ``wins``
    (ties as half), best first."""
    kept = _check(comparisons)
    columns = ["run", "rating", "ci_low", "ci_high", "comparisons", "wins"]
    if kept.empty:
        return pd.DataFrame(columns=columns)
    runs = sorted(set(kept["run_a"]) | set(kept["run_b"]))
    index = {run: position for position, run in enumerate(runs)}
    a = kept["run_a"].map(index).to_numpy()
    b = kept["run_b"].map(index).to_numpy()
    outcome = kept["outcome"].to_numpy(dtype=float)
    theta = bradley_terry(runs, a, b, outcome, prior=prior)
    problems, inverse = np.unique(kept["problem_uid"].to_numpy(), return_inverse=True)
    rows_of = [np.flatnonzero(inverse == position) for position in range(len(problems))]
    rng = np.random.default_rng(seed)
    samples = np.empty((n_resamples, len(runs)))
    for draw in range(n_resamples):
        rows = np.concatenate([rows_of[i] for i in rng.integers(0, len(problems), size=len(problems))])
        samples[draw] = bradley_terry(runs, a[rows], b[rows], outcome[rows], prior=prior)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail], axis=0)
    played = np.bincount(a, minlength=len(runs)) + np.bincount(b, minlength=len(runs))
    won = np.bincount(a, weights=outcome, minlength=len(runs)) + np.bincount(b, weights=1 - outcome, minlength=len(runs))
    table = pd.DataFrame({
        "run": runs, "rating": ELO_CENTRE + ELO_SCALE * theta, "ci_low": ELO_CENTRE + ELO_SCALE * low,
        "ci_high": ELO_CENTRE + ELO_SCALE * high, "comparisons": played.astype(int), "wins": won,
    })
    return table.sort_values(["rating", "run"], ascending=[False, True], kind="stable").reset_index(drop=True)


def win_rate_matrix(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Row run's share of wins (ties as half) against the column run; NaN where they never met."""
    kept = _check(comparisons)
    runs = sorted(set(kept["run_a"]) | set(kept["run_b"]))
    both = pd.concat([
        pd.DataFrame({"row": kept["run_a"], "column": kept["run_b"], "won": kept["outcome"]}),
        pd.DataFrame({"row": kept["run_b"], "column": kept["run_a"], "won": 1.0 - kept["outcome"]}),
    ])
    matrix = both.pivot_table(index="row", columns="column", values="won", aggfunc="mean")
    return matrix.reindex(index=runs, columns=runs).rename_axis(index="run", columns="against")


def position_bias(comparisons: pd.DataFrame, *, n_resamples: int = 2000, seed: int = 0) -> dict[str, float | int]:
    """Share of decisive judgements (no tie, a model asked) that picked the figure shown first, with
    a 95% interval over resampled problems; 0.5 is no bias. ``biased`` is 1 when the interval
    excludes 0.5."""
    if "picked" not in comparisons:
        raise ValueError("position bias needs the 'picked' column")
    decisive = comparisons[comparisons["picked"].isin(["first", "second"])]
    if decisive.empty:
        return {"first_picked": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0, "biased": 0}
    first = (decisive["picked"] == "first").to_numpy(dtype=float)
    problems, inverse = np.unique(decisive["problem_uid"].to_numpy(), return_inverse=True)
    sums = np.bincount(inverse, weights=first, minlength=len(problems))
    counts = np.bincount(inverse, minlength=len(problems)).astype(float)
    draws = np.random.default_rng(seed).integers(0, len(problems), size=(n_resamples, len(problems)))
    shares = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = np.percentile(shares, [2.5, 97.5])
    return {"first_picked": float(first.mean()), "ci_low": float(low), "ci_high": float(high), "n": int(len(first)),
            "biased": int(low > 0.5 or high < 0.5)}
