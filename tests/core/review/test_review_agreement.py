"""Judge-human agreement statistics against reference implementations (the `krippendorff` package,
scikit-learn's cohen_kappa_score), on fixtures with missing ratings."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from core.review.agreement import (
    agreement_note,
    bootstrap_by_item,
    confusion_table,
    judge_human_agreement,
    largest_disagreements,
    quiz_verdict_agreement,
    reviewer_agreement,
    weighted_kappa,
)

DIMENSIONS = ("judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er")


def simulated_ratings(seed: int = 3, n_items: int = 40, missing: float = 0.15):
    """A judge and two reviewers who mostly agree with a hidden truth; some ratings missing."""
    rng = np.random.default_rng(seed)
    judge_rows, human_rows = [], []
    for item in range(n_items):
        for dimension in DIMENSIONS:
            truth = int(rng.integers(0, 3))
            noisy = lambda truth=truth: int(np.clip(truth + rng.choice([-1, 0, 0, 0, 1]), 0, 2))  # noqa: E731
            judge_rows.append({"item": f"run/p{item}", "rater": "judge-a", "dimension": dimension, "score": noisy()})
            for reviewer in ("ana", "ben"):
                score = None if rng.random() < missing else noisy()
                human_rows.append({"item": f"run/p{item}", "rater": reviewer, "dimension": dimension, "score": score})
    return pd.DataFrame(judge_rows), pd.DataFrame(human_rows)


def reference_alpha(judge: pd.DataFrame, human: pd.DataFrame, dimension: str) -> float:
    both = pd.concat([judge, human])
    part = both[both["dimension"] == dimension]
    reviewed = set(human.dropna(subset=["score"])["item"])
    part = part[part["item"].isin(reviewed)]
    wide = part.pivot_table(index="rater", columns="item", values="score", aggfunc="first", dropna=False)
    return krippendorff.alpha(reliability_data=wide.to_numpy(dtype=float), level_of_measurement="ordinal",
                              value_domain=[0, 1, 2])


@pytest.mark.parametrize("weights", ["quadratic", "linear", None])
def test_weighted_kappa_equals_scikit_learn_with_missing_pairs_dropped(weights):
    rng = np.random.default_rng(7)
    first = rng.integers(0, 3, size=60).astype(float)
    second = np.clip(first + rng.choice([-1, 0, 0, 1], size=60), 0, 2)
    first[[3, 9]] = np.nan
    second[[4, 20]] = np.nan
    keep = ~(np.isnan(first) | np.isnan(second))
    expected = cohen_kappa_score(first[keep].astype(int), second[keep].astype(int), weights=weights)
    assert weighted_kappa(first, second, weights=weights) == pytest.approx(expected, abs=1e-12)


def test_per_dimension_alpha_and_kappa_equal_the_reference_packages():
    judge, human = simulated_ratings()
    table = judge_human_agreement(judge, human, n_resamples=200).set_index("dimension")
    assert list(table.index) == [*DIMENSIONS, "all"]
    for dimension in DIMENSIONS:
        assert table.loc[dimension, "alpha"] == pytest.approx(reference_alpha(judge, human, dimension), abs=1e-9)
        pairs = human[human["dimension"] == dimension].merge(
            judge[judge["dimension"] == dimension], on=["item", "dimension"], suffixes=("_h", "_j")
        ).dropna(subset=["score_h"])
        expected = cohen_kappa_score(pairs["score_j"].astype(int), pairs["score_h"].astype(int), weights="quadratic")
        assert table.loc[dimension, "kappa"] == pytest.approx(expected, abs=1e-12)
        assert table.loc[dimension, "alpha_low"] <= table.loc[dimension, "alpha"] <= table.loc[dimension, "alpha_high"]
        assert table.loc[dimension, "kappa_low"] <= table.loc[dimension, "kappa"] <= table.loc[dimension, "kappa_high"]
        assert table.loc[dimension, "n_reviewers"] == 2
    assert (table["alpha"] > 0.3).all()  # the simulated raters share a truth


def test_agreement_counts_only_items_a_reviewer_rated():
    judge, human = simulated_ratings(n_items=30)
    human = human[human["item"].isin([f"run/p{i}" for i in range(12)])]
    table = judge_human_agreement(judge, human, n_resamples=100).set_index("dimension")
    assert table.loc["all", "n_items"] == 12
    assert table.loc["judge_cf", "alpha"] == pytest.approx(reference_alpha(judge, human, "judge_cf"), abs=1e-9)


def test_bootstrap_resamples_whole_items():
    # Two rows per item that always move together: a row-level bootstrap would mix them.
    items = np.array(["a", "a", "b", "b", "c", "c"])
    values = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 1.0])
    seen = []

    def statistic(index: np.ndarray) -> float:
        seen.append(index)
        return float(values[index].mean())

    low, high = bootstrap_by_item(items, statistic, n_resamples=50, seed=1)
    assert all(len(index) == 6 for index in seen)
    assert all(np.array_equal(np.sort(items[index])[::2], np.sort(items[index])[1::2]) for index in seen)
    assert 0.0 <= low <= 2 / 3 <= high <= 1.0


def test_reviewer_agreement_uses_items_rated_by_two_or_more():
    _, human = simulated_ratings(missing=0.0)
    human.loc[(human["rater"] == "ben") & (human["item"] == "run/p0"), "score"] = None
    table = reviewer_agreement(human, n_resamples=100).set_index("dimension")
    wide = human[human["dimension"] == "judge_sp"].pivot_table(
        index="rater", columns="item", values="score", aggfunc="first", dropna=False)
    expected = krippendorff.alpha(reliability_data=wide.to_numpy(dtype=float), level_of_measurement="ordinal",
                                  value_domain=[0, 1, 2])
    assert table.loc["judge_sp", "alpha"] == pytest.approx(expected, abs=1e-9)
    assert table.loc["judge_cf", "n_items"] == 39  # ben rated nothing of p0: one reviewer there
    assert table.loc["judge_sp", "n_reviewers"] == 2


def test_quiz_verdicts_against_the_answerer():
    answers = pd.DataFrame({
        "item": ["r/a", "r/a", "r/b", "r/b", "r/c", "r/c"],
        "quiz_index": [0, 1, 0, 1, 0, 1],
        "correct": [True, False, True, True, None, False],
    })
    verdicts = pd.DataFrame({
        "item": ["r/a", "r/a", "r/b", "r/b", "r/c", "r/c"],
        "quiz_index": [0, 1, 0, 1, 0, 1],
        "rater": ["ana"] * 6,
        "verdict": ["readable", "not_readable", "not_readable", "bad_quiz", "readable", "not_readable"],
    })
    result = quiz_verdict_agreement(answers, verdicts, n_resamples=100)
    # Pairs: (T, readable) agree, (F, not) agree, (T, not) disagree, (F, not) agree; c/0 has no answer.
    assert result["n_pairs"] == 4 and result["n_bad_quiz"] == 1 and result["n_items"] == 3
    assert result["accuracy"] == pytest.approx(0.75)
    expected = cohen_kappa_score([1, 0, 1, 0], [1, 0, 0, 0])
    assert result["kappa"] == pytest.approx(expected)


def test_confusion_table_and_largest_disagreements():
    judge = pd.DataFrame({"item": ["r/a", "r/a", "r/b", "r/b"], "rater": ["j"] * 4,
                          "dimension": ["judge_cf", "judge_lp"] * 2, "score": [2, 2, 1, 0]})
    human = pd.DataFrame({"item": ["r/a", "r/a", "r/b", "r/b", "r/b"], "rater": ["ana", "ana", "ana", "ana", "ben"],
                          "dimension": ["judge_cf", "judge_lp", "judge_cf", "judge_lp", "judge_cf"],
                          "score": [0, 2, 1, 0, None]})
    table = confusion_table(judge, human, "judge_cf")
    assert table.shape == (3, 3) and table.loc[2, 0] == 1 and table.loc[1, 1] == 1 and table.to_numpy().sum() == 2
    worst = largest_disagreements(judge, human)
    assert list(worst["item"]) == ["r/a"]
    assert worst.loc[0, "gap"] == 2 and worst.loc[0, "worst_dimension"] == "judge_cf"
    assert "C&F: judge 2 vs people 0.0" in worst.loc[0, "detail"]


def test_agreement_note_reads_like_the_leaderboard_line():
    judge, human = simulated_ratings(n_items=20)
    note = agreement_note(judge_human_agreement(judge, human, n_resamples=100))
    assert note.startswith("judge vs 2 reviewers on 20 items: alpha C&F ")
    assert "[" in note and "]" in note


def test_no_shared_rating_gives_nan_not_a_number():
    judge = pd.DataFrame({"item": ["r/a"], "rater": ["j"], "dimension": ["judge_cf"], "score": [2]})
    human = pd.DataFrame({"item": ["r/a"], "rater": ["ana"], "dimension": ["judge_cf"], "score": [2]})
    row = judge_human_agreement(judge, human, n_resamples=20).set_index("dimension").loc["judge_cf"]
    assert math.isnan(row["alpha"]) and math.isnan(row["kappa"])


def test_the_fast_bootstraps_equal_resampling_items_one_by_one():
    """Alpha and kappa intervals come from summed per-item coincidence / confusion matrices; they
    equal recomputing the statistic on each resample's rows (same draws)."""
    from core.evaluation.agreement import krippendorff_alpha
    from core.review.agreement import _alpha_with_interval, _kappa_interval, _paired, _ratings

    judge, human = simulated_ratings(n_items=25)
    both = _ratings(pd.concat([judge, human], ignore_index=True))
    both = both[both["dimension"] == "judge_cf"]
    wide = both.pivot_table(index="rater", columns=["item", "dimension"], values="score", aggfunc="first",
                            dropna=False)
    matrix, items = wide.to_numpy(dtype=float), wide.columns.get_level_values(0).to_numpy()
    slow = bootstrap_by_item(items, lambda cols: krippendorff_alpha(matrix[:, cols], "ordinal", values=[0, 1, 2]).alpha,
                             n_resamples=200, seed=4)
    _, low, high, _ = _alpha_with_interval(both, 4, 200)
    assert (low, high) == pytest.approx(slow, abs=1e-9)
    pairs = _paired(_ratings(judge[judge["dimension"] == "judge_cf"]), _ratings(human[human["dimension"] == "judge_cf"]))
    first, second = pairs["score_judge"].to_numpy(), pairs["score_human"].to_numpy()
    slow = bootstrap_by_item(pairs["item"].to_numpy(), lambda rows: weighted_kappa(first[rows], second[rows]),
                             n_resamples=200, seed=4)
    assert _kappa_interval(pairs, "quadratic", 4, 200) == pytest.approx(slow, abs=1e-9)
