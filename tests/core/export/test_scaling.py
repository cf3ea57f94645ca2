"""Log-linear scaling fits, checked against scipy's least-squares regression."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.export.scaling import fit_log_linear, fit_scaling, fits_table, scaling_points


def _frame(rows: list[tuple[str, str, int | None, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["source", "benchmark", "train_samples", "accuracy"])
    frame["train_samples"] = frame["train_samples"].astype("Int64")
    frame["provenance"] = "csv:test.csv"
    return frame


def test_exact_log_linear_data_gives_its_slope_per_decade():
    sizes = np.array([100, 1000, 10_000, 100_000])
    intercept, slope, r2 = fit_log_linear(sizes, 50 + 2.5 * np.log10(sizes))
    assert slope == pytest.approx(2.5) and intercept == pytest.approx(50) and r2 == pytest.approx(1.0)


def test_noisy_fit_matches_scipy_linregress():
    rng = np.random.default_rng(7)
    sizes = np.array([500, 1000, 2000, 5000, 10_000, 50_000, 50_000])
    accuracy = 40 + 3.1 * np.log10(sizes) + rng.normal(0, 0.8, len(sizes))
    intercept, slope, r2 = fit_log_linear(sizes, accuracy)
    reference = stats.linregress(np.log10(sizes), accuracy)
    assert slope == pytest.approx(reference.slope)
    assert intercept == pytest.approx(reference.intercept)
    assert r2 == pytest.approx(reference.rvalue**2)


def test_one_fit_per_source_and_benchmark_and_too_few_sizes_say_so():
    frame = _frame([
        ("A", "GEO3K", 1000, 60.0), ("A", "GEO3K", 10_000, 63.0), ("A", "GEO3K", 100_000, 66.0),
        ("A", "MathVision", 1000, 40.0), ("A", "MathVision", 10_000, 41.0),
        ("B", "GEO3K", 1000, 58.0), ("B", "GEO3K", 1000, 59.0),  # two runs, one size
        ("C", "GEO3K", None, 70.0),  # published row without a size: not a point
    ])
    fits = {(fit.source, fit.benchmark): fit for fit in fit_scaling(frame)}
    assert set(fits) == {("A", "GEO3K"), ("A", "MathVision"), ("B", "GEO3K")}
    assert fits[("A", "GEO3K")].slope_per_decade == pytest.approx(3.0)
    assert fits[("A", "GEO3K")].n_points == 3 and fits[("A", "GEO3K")].r2 == pytest.approx(1.0)
    assert fits[("A", "MathVision")].slope_per_decade == pytest.approx(1.0)
    unfit = fits[("B", "GEO3K")]
    assert not unfit.fitted and unfit.n_points == 2 and unfit.n_sizes == 1
    assert unfit.reason == "needs at least 2 training-set sizes; has 1 (1,000 samples)"
    with pytest.raises(ValueError, match="has no fit"):
        unfit.predict(5000)
    assert fits[("A", "GEO3K")].predict(math.sqrt(1000 * 10_000)) == pytest.approx(61.5)
    table = fits_table(fit_scaling(frame))  # by benchmark, then source
    assert list(zip(table["Benchmark"], table["Source"], strict=True)) == [
        ("GEO3K", "A"), ("GEO3K", "B"), ("MathVision", "A")
    ]
    assert list(table["Note"]) == ["", unfit.reason, ""]
    assert pd.isna(table.loc[1, "Slope per decade"]) and table.loc[0, "Samples"] == "1,000–100,000"


def test_constant_accuracy_fits_a_flat_line_without_r2():
    fit = fit_scaling(_frame([("A", "X", 100, 50.0), ("A", "X", 1000, 50.0)]))[0]
    assert fit.slope_per_decade == pytest.approx(0.0) and fit.r2 is None


def test_points_skip_unsized_rows_and_an_empty_frame_has_no_fits():
    frame = _frame([("A", "X", None, 50.0), ("A", "X", 100, 51.0)])
    assert list(scaling_points(frame)["train_samples"]) == [100]
    empty = _frame([])
    assert scaling_points(empty).empty and fit_scaling(empty) == []
    assert fits_table([]).empty
