"""Correlations across runs equal scipy's; the paper's table: FID does not predict correctness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.evaluation.correlation import MIN_RUNS, CorrelationError, correlate, correlate_metrics
from core.store import load_reported_results


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_scipy(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=12)
    y = 0.5 * x + rng.normal(size=12)
    result = correlate(x, y, x_name="a", y_name="b")
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert result.pearson_r == pytest.approx(pearson.statistic, abs=1e-12)
    assert result.pearson_p == pytest.approx(pearson.pvalue, abs=1e-12)
    assert result.spearman_r == pytest.approx(spearman.statistic, abs=1e-12)
    assert result.spearman_p == pytest.approx(spearman.pvalue, abs=1e-12)
    assert (result.x, result.y, result.n, result.runs[:2]) == ("a", "b", 12, ["0", "1"])


def test_refuses_fewer_than_three_runs_and_constant_metrics():
    assert MIN_RUNS == 3
    with pytest.raises(CorrelationError, match="needs at least 3 runs with both; found 2 \\(r1, r2\\)"):
        correlate([1, 2], [3, 4], x_name="rinv", y_name="fid", runs=["r1", "r2"])
    with pytest.raises(CorrelationError, match="fid is the same \\(5\\) for all 4 runs"):
        correlate([1, 2, 3, 4], [5, 5, 5, 5], x_name="rinv", y_name="fid")
    with pytest.raises(CorrelationError, match="finite"):
        correlate([1, 2, np.nan], [1, 2, 3])


def test_correlate_metrics_uses_runs_that_have_both():
    frame = pd.DataFrame(
        {"name": ["a", "b", "c", "d", "e"], "rinv": [10, 20, 30, 40, None], "fid": [50, 40, None, 20, 10]}
    )
    result = correlate_metrics(frame, "rinv", "fid")
    assert result.runs == ["a", "b", "d"] and result.n == 3
    assert result.pearson_r == pytest.approx(stats.pearsonr([10, 20, 40], [50, 40, 20]).statistic)
    with pytest.raises(CorrelationError, match="no column 'kid'"):
        correlate_metrics(frame, "rinv", "kid")


def test_reported_table_fid_does_not_predict_correctness():
    runs = load_reported_results().runs
    rinv = [run.metrics["perfect_image_rate"] for run in runs]  # the paper's R_inv
    fid = [run.metrics["fid"] for run in runs]
    result = correlate(rinv, fid, x_name="rinv", y_name="fid", runs=[run.name for run in runs])
    # computed on the paper's 11 runs (arXiv 2601.17027, bundled in data/reported)
    assert result.n == 11
    assert result.pearson_r == pytest.approx(0.2281, abs=1e-4)
    assert result.pearson_p == pytest.approx(0.4999, abs=1e-4)
    assert result.spearman_r == pytest.approx(0.1636, abs=1e-4)  # = 1 - 6*184/(11*120)
    assert result.spearman_p == pytest.approx(0.6307, abs=1e-4)
    # weak, not significant, and if anything the wrong sign (higher FID = worse realism goes with
    # higher R_inv): FID says nothing about scientific correctness
    assert result.pearson_p > 0.05 and result.spearman_p > 0.05 and result.pearson_r > 0
