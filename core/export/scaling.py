"""Scaling analysis: downstream accuracy against training-set size, a log-linear fit per source.

The paper reports gains growing log-linearly in data size, so each (source, benchmark) series is
fitted by ordinary least squares as ``accuracy = a + b * log10(train_samples)``: ``b`` is the gain
per tenfold more data ("per decade"). A series needs at least ``MIN_SIZES`` distinct sizes; with
fewer there is no line to fit and the fit says so (``slope_per_decade`` None, ``reason`` set).
Rows without a size (e.g. the paper's table) are not points on the scaling plot.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

MIN_SIZES = 2
POINT_COLUMNS: tuple[str, ...] = ("source", "benchmark", "train_samples", "accuracy", "provenance")


class ScalingFit(BaseModel):
    """The log-linear fit of one source's accuracy on one benchmark."""

    model_config = ConfigDict(frozen=True)

    source: str
    benchmark: str
    n_points: int = Field(description="Sized rows of this series.")
    n_sizes: int = Field(description="Distinct training-set sizes among them.")
    min_samples: int
    max_samples: int
    intercept: float | None = Field(default=None, description="a: accuracy at one sample (log10 n = 0).")
    slope_per_decade: float | None = Field(
        default=None, description="b: accuracy points gained per tenfold training samples."
    )
    r2: float | None = Field(
        default=None, description="Coefficient of determination; None when accuracy does not vary."
    )
    reason: str | None = Field(default=None, description="Why there is no fit, when there is none.")

    @property
    def fitted(self) -> bool:
        return self.slope_per_decade is not None

    def predict(self, train_samples: float) -> float:
        """Fitted accuracy at ``train_samples`` (only for a fitted series)."""
        if self.intercept is None or self.slope_per_decade is None:
            raise ValueError(f"{self.source} on {self.benchmark} has no fit: {self.reason}")
        return self.intercept + self.slope_per_decade * math.log10(train_samples)


def fit_log_linear(train_samples: np.ndarray, accuracy: np.ndarray) -> tuple[float, float, float | None]:
    """(intercept, slope per decade, r²) of accuracy on log10(train_samples); needs 2+ distinct sizes."""
    x = np.log10(np.asarray(train_samples, dtype=float))
    y = np.asarray(accuracy, dtype=float)
    if len(np.unique(x)) < MIN_SIZES:
        raise ValueError(f"a fit needs at least {MIN_SIZES} distinct training-set sizes")
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.sum((y - (intercept + slope * x)) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = None if total == 0 else 1.0 - residual / total
    return float(intercept), float(slope), r2


def scaling_points(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``Store.downstream_results()`` that have a size and an accuracy (plot points)."""
    if frame.empty or "train_samples" not in frame.columns:
        return pd.DataFrame(columns=list(POINT_COLUMNS))
    sized = frame.dropna(subset=["train_samples", "accuracy"])
    sized = sized[sized["train_samples"].astype("float") > 0]
    points = sized.reindex(columns=list(POINT_COLUMNS)).copy()
    points["train_samples"] = points["train_samples"].astype("int64")
    points["accuracy"] = points["accuracy"].astype(float)
    return points.sort_values(["benchmark", "source", "train_samples"], kind="stable").reset_index(drop=True)


def fit_scaling(frame: pd.DataFrame) -> list[ScalingFit]:
    """One fit per (source, benchmark) series of sized rows in ``frame`` (sorted by benchmark, source)."""
    points = scaling_points(frame)
    fits: list[ScalingFit] = []
    for (benchmark, source), series in points.groupby(["benchmark", "source"], sort=True):
        sizes = series["train_samples"].to_numpy()
        n_sizes = int(len(np.unique(sizes)))
        common = {
            "source": str(source), "benchmark": str(benchmark), "n_points": len(series), "n_sizes": n_sizes,
            "min_samples": int(sizes.min()), "max_samples": int(sizes.max()),
        }
        if n_sizes < MIN_SIZES:
            fits.append(ScalingFit(
                **common,
                reason=f"needs at least {MIN_SIZES} training-set sizes; has {n_sizes} ({int(sizes[0]):,} samples)",
            ))
            continue
        intercept, slope, r2 = fit_log_linear(sizes, series["accuracy"].to_numpy())
        fits.append(ScalingFit(**common, intercept=intercept, slope_per_decade=slope, r2=r2))
    return fits


def fits_table(fits: list[ScalingFit]) -> pd.DataFrame:
    """Fits as a table: Source, Benchmark, Points, Sizes, Samples (range), Slope per decade, R², Note."""
    return pd.DataFrame(
        [
            {
                "Source": fit.source,
                "Benchmark": fit.benchmark,
                "Points": fit.n_points,
                "Sizes": fit.n_sizes,
                "Samples": f"{fit.min_samples:,}–{fit.max_samples:,}",
                "Slope per decade": fit.slope_per_decade,
                "R²": fit.r2,
                "Note": fit.reason or "",
            }
            for fit in fits
        ],
        columns=["Source", "Benchmark", "Points", "Sizes", "Samples", "Slope per decade", "R²", "Note"],
    )
