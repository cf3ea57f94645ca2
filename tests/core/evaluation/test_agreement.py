"""Krippendorff's alpha against the textbook example and an independent pairwise implementation;
judge agreement and the disagreement list."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from core.evaluation.agreement import (
    coincidence_matrix,
    disagreements,
    judge_agreement,
    krippendorff_alpha,
)
from core.evaluation.base import JudgeScore
from core.evaluation.judge import DIMENSIONS

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with missing
# values: 4 observers x 12 units. Published: nominal .743, ordinal .815, interval .849, ratio .797.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_textbook_example(level: str, published: float) -> None:
    result = krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert round(result.alpha, 3) == published
    assert result.n_units == 11  # unit 12 has one value: not pairable
    assert result.n_values == 40 and result.n_coders == 4


def test_textbook_coincidence_matrix() -> None:
    scale, o = coincidence_matrix(KRIPPENDORFF_2011)
    assert scale.tolist() == [1, 2, 3, 4, 5]
    # Row "1" by hand: units 1 (1,1,1), 8 (1,1,2,1) and 11 (1,1) give o11 = 3 + 2 + 2; unit 6
    # (1,2,3,4) adds 1/3 to each of o12, o13, o14 and unit 8 adds 1 to o12.
    np.testing.assert_allclose(o[0], [7, 4 / 3, 1 / 3, 1 / 3, 0])
    # Marginals are the counts of each value among the 40 pairable values.
    np.testing.assert_allclose(o.sum(axis=1), [9, 13, 10, 5, 3])
    np.testing.assert_allclose(o, o.T)


def brute_force_alpha(data: list[list[float]], level: str) -> float:
    """alpha = 1 - D_o / D_e from explicit pairs of values (no coincidence matrix):
    D_o averages the distance over ordered pairs within units (each weighted 1/(m_u - 1)),
    D_e over all ordered pairs of pairable values."""
    units = [[row[u] for row in data if not math.isnan(row[u])] for u in range(len(data[0]))]
    units = [values for values in units if len(values) >= 2]
    pooled = [value for values in units for value in values]
    n = len(pooled)
    frequency = {value: pooled.count(value) for value in set(pooled)}
    ordered = sorted(frequency)

    def distance(a: float, b: float) -> float:
        if level == "nominal":
            return float(a != b)
        if level == "interval":
            return (a - b) ** 2
        low, high = sorted((ordered.index(a), ordered.index(b)))
        between = sum(frequency[ordered[g]] for g in range(low, high + 1))
        return (between - (frequency[a] + frequency[b]) / 2) ** 2

    observed = (
        sum(
            distance(values[i], values[j]) / (len(values) - 1)
            for values in units
            for i, j in itertools.permutations(range(len(values)), 2)
        )
        / n
    )
    expected = sum(distance(pooled[i], pooled[j]) for i, j in itertools.permutations(range(n), 2)) / (
        n * (n - 1)
    )
    return 1 - observed / expected


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_an_independent_pairwise_implementation(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=25)
    data = np.stack(
        [np.clip(truth + rng.integers(-1, 2, size=25) * (rng.random(25) < 0.4), 0, 2) for _ in range(3)]
    )
    data = data.astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan  # missing values anywhere
    expected = brute_force_alpha(data.tolist(), level)
    assert krippendorff_alpha(data, level).alpha == pytest.approx(expected, abs=1e-12)


def test_ordinal_counts_far_disagreements_more_than_near_ones() -> None:
    near = [[0, 1, 2, 1, 0, 2], [1, 1, 2, 1, 0, 2]]
    far = [[0, 1, 2, 1, 0, 2], [2, 1, 2, 1, 0, 2]]
    assert krippendorff_alpha(near).alpha > krippendorff_alpha(far).alpha
    # Nominal cannot tell the two apart as clearly: both are one mismatch.
    assert krippendorff_alpha(near, "nominal").alpha == pytest.approx(
        krippendorff_alpha([[0, 1, 2, 1, 0, 2], [1, 1, 2, 1, 0, 2]], "nominal").alpha
    )


def test_edge_cases() -> None:
    assert krippendorff_alpha([[0, 1, 2], [0, 1, 2]]).alpha == 1.0
    assert math.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]).alpha)  # no variation: undefined
    assert math.isnan(krippendorff_alpha([[1, NAN], [NAN, 2]]).alpha)  # no pairable unit
    assert krippendorff_alpha([[0, None, 2], [0, 1, 2]]).n_units == 2  # None is missing
    with pytest.raises(ValueError, match="not on the scale"):
        krippendorff_alpha([[0, 3], [0, 1]], values=(0, 1, 2))
    with pytest.raises(ValueError, match="2-D"):
        krippendorff_alpha(np.zeros(3))
    with pytest.raises(ValueError, match="unknown level"):
        krippendorff_alpha([[0, 1], [0, 1]], "cosine")  # type: ignore[arg-type]


def rows(judge: str, uid: str, scores: dict[str, int | None]) -> list[JudgeScore]:
    return [JudgeScore(problem_uid=uid, judge=judge, dimension=d, score=s) for d, s in scores.items()]


def test_judge_agreement_per_dimension_and_overall() -> None:
    records: list[JudgeScore] = []
    a_scores = [[2, 2, 1, 2, 1], [0, 1, 0, 1, 0], [2, 1, 2, 2, 2], [1, 1, 1, 0, 1]]
    b_scores = [[2, 2, 1, 2, 1], [0, 1, 0, 1, 0], [2, 1, 2, 2, 2], [1, 1, 1, 0, 1]]
    b_scores[3][0] = None  # judge b could not score one item on one dimension
    for item, (a, b) in enumerate(zip(a_scores, b_scores, strict=True)):
        records += rows("a", f"custom:{item}", dict(zip(DIMENSIONS, a, strict=True)))
        records += rows("b", f"custom:{item}", dict(zip(DIMENSIONS, b, strict=True)))
    result = judge_agreement(records)
    assert set(result) == {*DIMENSIONS, "all"}
    assert result["judge_cf"].alpha == 1.0 and result["judge_cf"].n_units == 3  # None is missing
    assert result["all"].alpha == 1.0 and result["all"].n_units == 19 and result["all"].n_coders == 2

    records[0] = JudgeScore(problem_uid="custom:0", judge="a", dimension="judge_cf", score=0)
    changed = judge_agreement(records)
    assert changed["judge_cf"].alpha < 1.0 and changed["judge_lp"].alpha == 1.0
    cf = [[0, 0, 2, 1], [2, 0, 2, NAN]]
    assert changed["judge_cf"].alpha == pytest.approx(krippendorff_alpha(cf, values=(0, 1, 2)).alpha)


def test_one_score_per_judge_and_item() -> None:
    records = rows("a", "u", {"judge_cf": 1}) * 2 + rows("b", "u", {"judge_cf": 1})
    with pytest.raises(ValueError, match="more than one score"):
        judge_agreement(records)


def test_disagreements_lists_the_worst_items_first() -> None:
    records = (
        rows("a", "custom:calm", {"judge_cf": 2, "judge_lp": 2})
        + rows("b", "custom:calm", {"judge_cf": 2, "judge_lp": 2})
        + rows("a", "custom:mild", {"judge_cf": 2, "judge_lp": 1})
        + rows("b", "custom:mild", {"judge_cf": 1, "judge_lp": 1})
        + rows("a", "custom:wild", {"judge_cf": 2, "judge_lp": 0, "judge_ro": None})
        + rows("b", "custom:wild", {"judge_cf": 0, "judge_lp": 1, "judge_ro": 2})
        + rows("a", "custom:alone", {"judge_cf": 0})
    )
    table = disagreements(records)
    assert list(table["problem_uid"]) == ["custom:wild", "custom:mild"]  # calm agrees, alone has one judge
    wild = table.iloc[0]
    assert (wild["total_spread"], wild["max_spread"], wild["worst_dimension"]) == (3.0, 2.0, "judge_cf")
    assert wild["detail"] == "judge_cf: a=2 b=0; judge_lp: a=0 b=1"
    assert list(disagreements(records, top=1)["problem_uid"]) == ["custom:wild"]
    only_lp = disagreements(records, dimension="judge_lp")
    assert list(only_lp["problem_uid"]) == ["custom:wild"]
    assert disagreements(rows("a", "u", {"judge_cf": 1})).empty
