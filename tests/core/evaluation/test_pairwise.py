"""Bradley-Terry ratings, the win-rate matrix and position bias on simulated judgements."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from core.evaluation.pairwise import bradley_terry_ratings, position_bias, win_rate_matrix

TRUE_STRENGTH = {"gold": 2.0, "coder": 1.0, "pixel": 0.0, "cards": -1.0}


def simulate(n_problems: int = 60, *, seed: int = 0, first_bias: float = 0.0, tie_rate: float = 0.1) -> pd.DataFrame:
    """Every pair meets on every problem; a judge follows Bradley-Terry, plus an optional pull
    towards the figure shown first (first_bias: extra probability of picking it)."""
    rng = np.random.default_rng(seed)
    rows = []
    for problem in range(n_problems):
        for a, b in itertools.combinations(TRUE_STRENGTH, 2):
            first = "a" if rng.random() < 0.5 else "b"
            if rng.random() < tie_rate:
                rows.append((f"p{problem}", a, b, 0.5, first, "tie"))
                continue
            p_a = 1 / (1 + np.exp(TRUE_STRENGTH[b] - TRUE_STRENGTH[a]))
            p_first = p_a if first == "a" else 1 - p_a
            p_first = min(1.0, p_first + first_bias * (1 - p_first))
            picked = "first" if rng.random() < p_first else "second"
            a_won = (picked == "first") == (first == "a")
            rows.append((f"p{problem}", a, b, 1.0 if a_won else 0.0, first, picked))
    return pd.DataFrame(rows, columns=["problem_uid", "run_a", "run_b", "outcome", "first_shown", "picked"])


def test_bradley_terry_recovers_the_known_ordering_with_intervals():
    ratings = bradley_terry_ratings(simulate(), n_resamples=200)
    assert list(ratings["run"]) == ["gold", "coder", "pixel", "cards"]
    assert (ratings["ci_low"] < ratings["rating"]).all() and (ratings["rating"] < ratings["ci_high"]).all()
    # Neighbours one logit apart are separated: intervals of gold and cards do not overlap.
    table = ratings.set_index("run")
    assert table.loc["gold", "ci_low"] > table.loc["cards", "ci_high"]
    # A logit of 1 is about 174 Elo points; the fit is near it.
    gap = (table.loc["gold", "rating"] - table.loc["cards", "rating"]) / 3
    assert 120 < gap < 230
    assert table["comparisons"].eq(180).all()


def test_a_run_that_never_wins_keeps_a_finite_rating():
    frame = pd.DataFrame({"problem_uid": ["p1", "p2", "p3"], "run_a": ["x"] * 3, "run_b": ["y"] * 3,
                          "outcome": [1.0, 1.0, 1.0]})
    ratings = bradley_terry_ratings(frame, n_resamples=50).set_index("run")
    assert np.isfinite(ratings["rating"]).all() and ratings.loc["x", "rating"] > ratings.loc["y", "rating"]


def test_win_rate_matrix_counts_ties_as_half():
    frame = pd.DataFrame({"problem_uid": ["p1", "p2", "p3", "p4"], "run_a": ["x", "x", "y", "x"],
                          "run_b": ["y", "y", "x", "z"], "outcome": [1.0, 0.5, 1.0, 0.0]})
    matrix = win_rate_matrix(frame)
    assert matrix.loc["x", "y"] == pytest.approx(0.5) and matrix.loc["y", "x"] == pytest.approx(0.5)
    assert matrix.loc["z", "x"] == 1.0 and np.isnan(matrix.loc["y", "z"])


def test_position_bias_is_detected_on_a_biased_judge_only():
    fair = position_bias(simulate(seed=1))
    assert fair["biased"] == 0 and fair["ci_low"] < 0.5 < fair["ci_high"]
    biased = position_bias(simulate(seed=1, first_bias=0.6))
    assert biased["biased"] == 1 and biased["first_picked"] > 0.7 and biased["ci_low"] > 0.5


def test_bad_outcomes_are_refused():
    with pytest.raises(ValueError, match="outcome must be 0, 0.5 or 1"):
        bradley_terry_ratings(pd.DataFrame({"problem_uid": ["p"], "run_a": ["x"], "run_b": ["y"], "outcome": [2.0]}))
