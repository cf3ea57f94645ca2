"""Data of the Downstream page (named ``outcomes``: ``dashboard.data.downstream`` is the leaderboard's
accessor of the same name): stored downstream results reshaped for the scaling plot and the
reported table, and checking / importing an uploaded CSV of training outcomes (through core)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.export.scaling import ScalingFit, fit_scaling, fits_table, scaling_points
from core.store.downstream import (
    DownstreamCsvError,
    DownstreamImportCounts,
    DownstreamOutcome,
    default_provenance,
    parse_downstream_csv,
)
from dashboard.data import downstream_table
from dashboard.data.access import cache_key, open_store

EMPTY_SCALING = (
    "No training outcomes with a training-set size yet: import a CSV of training outcomes with "
    "`scigen downstream import FILE` (columns source, train_samples, benchmark, accuracy) or upload one below."
)


@dataclass(frozen=True)
class DownstreamView:
    points: pd.DataFrame
    """Sized rows shown on the plot: source, benchmark, train_samples, accuracy, provenance."""
    fits: list[ScalingFit]
    fits_table: pd.DataFrame
    reported: pd.DataFrame
    """Rows without a size (the paper's table) as source x benchmark accuracy."""
    benchmarks: list[str]
    """Benchmarks with sized rows (filter options, before filtering)."""
    sources: list[str]
    """Sources with sized rows (filter options, before filtering)."""


def downstream_view_from(
    frame: pd.DataFrame, benchmark: str | None = None, sources: Sequence[str] = ()
) -> DownstreamView:
    """Reshape ``Store.downstream_results()``; ``benchmark``/``sources`` empty means all."""
    points = scaling_points(frame)
    benchmarks, all_sources = sorted(set(points["benchmark"])), sorted(set(points["source"]))
    if benchmark:
        points = points[points["benchmark"] == benchmark]
    if sources:
        points = points[points["source"].isin(list(sources))]
    fits = fit_scaling(points)
    unsized = frame[frame["train_samples"].isna()] if not frame.empty else frame
    return DownstreamView(
        points.reset_index(drop=True),
        fits,
        fits_table(fits),
        downstream_table(unsized),
        benchmarks,
        all_sources,
    )


@dataclass(frozen=True)
class UploadCheck:
    provenance: str
    outcomes: list[DownstreamOutcome]
    errors: list[str]
    preview: pd.DataFrame

    @property
    def ok(self) -> bool:
        return not self.errors


def check_upload(name: str, content: bytes) -> UploadCheck:
    """Validate an uploaded file with the same rules as ``scigen downstream import``."""
    try:
        outcomes = parse_downstream_csv(content, name)
    except DownstreamCsvError as exc:
        return UploadCheck(default_provenance(name), [], exc.errors, pd.DataFrame())
    preview = pd.DataFrame([o.model_dump() for o in outcomes])
    preview["train_samples"] = preview["train_samples"].astype("Int64")
    return UploadCheck(default_provenance(name), outcomes, [], preview)


# ------------------------------------------------------------------------------ cached access


@st.cache_data(show_spinner=False)
def _results(key: tuple[str, str]) -> pd.DataFrame:
    return open_store(key[0]).downstream_results()


def downstream_view(benchmark: str | None = None, sources: Sequence[str] = ()) -> DownstreamView:
    return downstream_view_from(_results(cache_key()), benchmark, tuple(sources))


def import_upload(check: UploadCheck) -> DownstreamImportCounts:
    """Store a checked upload under its provenance (replacing an earlier upload of that file)."""
    return open_store(cache_key()[0]).import_downstream(check.provenance, check.outcomes)
