"""Plotly figures of the static report (and the downstream scaling plot the dashboard reuses).

Pure functions: frames in, ``go.Figure`` out; no store, no Streamlit. Axes and "better" marks read
the metric declarations in ``core.metrics``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.evaluation.correlation import Correlation
from core.export.scaling import ScalingFit
from core.metrics import METRICS

REPORTED_COLOR = "#8c8c8c"
MEASURED_COLOR = "#1f77b4"
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def _axis_title(metric: str) -> str:
    spec = METRICS[metric]
    unit = f" ({spec.unit})" if spec.unit else ""
    return f"{spec.label}{unit} {'↑ higher is better' if spec.higher_is_better else '↓ lower is better'}"


def metric_bar(frame: pd.DataFrame, metric: str) -> go.Figure:
    """One bar per run (``frame``: name, results ('reported'|'measured'), ``metric`` and optional
    ``<metric>_ci_low``/``_ci_high``), best first, measured and reported in different colours."""
    spec = METRICS[metric]
    rows = frame.dropna(subset=[metric]).sort_values(metric, ascending=spec.higher_is_better)
    figure = go.Figure()
    for label, color in (("reported", REPORTED_COLOR), ("measured", MEASURED_COLOR)):
        part = rows[rows["results"] == label]
        if part.empty:
            continue
        low, high = f"{metric}_ci_low", f"{metric}_ci_high"
        error = None
        if low in part.columns and high in part.columns and part[low].notna().any():
            error = {
                "type": "data", "symmetric": False,
                "array": (part[high] - part[metric]).fillna(0).tolist(),
                "arrayminus": (part[metric] - part[low]).fillna(0).tolist(),
            }
        figure.add_trace(go.Bar(
            x=part[metric].tolist(), y=part["name"].astype(str).tolist(), orientation="h", name=label,
            marker_color=color, error_x=error,
        ))
    figure.update_layout(
        title=f"{spec.label} per run (95% interval where measured)", xaxis_title=_axis_title(metric),
        yaxis={"categoryorder": "array", "categoryarray": rows["name"].astype(str).tolist()},
        height=max(260, 28 * len(rows) + 120), **_LAYOUT,
    )
    return figure


def domain_heatmap(frame: pd.DataFrame, metric: str) -> go.Figure:
    """``metric`` by subject (rows) x run (columns); ``frame`` is ``Store.scoped_metrics`` long form."""
    spec = METRICS[metric]
    rows = frame[frame["metric"] == metric]
    wide = rows.pivot_table(index="scope_value", columns="name", values="value", aggfunc="first")
    z = wide.to_numpy(dtype=float)
    figure = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in wide.columns], y=[str(i) for i in wide.index],
        colorscale="Viridis" if spec.higher_is_better else "Viridis_r",
        zmin=spec.lower, zmax=spec.upper, colorbar={"title": spec.label},
        text=[["" if math.isnan(v) else f"{v:.1f}" for v in row] for row in z], texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>",
    ))
    figure.update_layout(
        title=f"{spec.label} by subject and run", height=max(260, 48 * len(wide.index) + 140), **_LAYOUT
    )
    return figure


def judge_radar(frame: pd.DataFrame, dimensions: list[str]) -> go.Figure:
    """One closed polygon per run (``frame``: name + judge dimension columns, 0-2)."""
    labels = [METRICS[d].label for d in dimensions]
    figure = go.Figure()
    for _, row in frame.iterrows():
        values = [float(row[d]) if pd.notna(row[d]) else 0.0 for d in dimensions]
        figure.add_trace(go.Scatterpolar(
            r=[*values, values[0]], theta=[*labels, labels[0]], name=str(row["name"]), fill="toself", opacity=0.55,
        ))
    figure.update_layout(
        title="LMM judge scores (0 fails – 2 fully meets)",
        polar={"radialaxis": {"range": [0, 2]}}, height=480, **_LAYOUT,
    )
    return figure


def correlation_scatter(frame: pd.DataFrame, x: str, y: str, correlation: Correlation) -> go.Figure:
    """Runs as points of metric ``x`` against ``y`` with a least-squares line and r / rho in the title."""
    both = frame.dropna(subset=[x, y])
    figure = go.Figure()
    for label, color in (("reported", REPORTED_COLOR), ("measured", MEASURED_COLOR)):
        part = both[both["results"] == label]
        if not part.empty:
            figure.add_trace(go.Scatter(
                x=part[x].tolist(), y=part[y].tolist(), mode="markers+text", name=label,
                text=part["name"].astype(str).tolist(), textposition="top center", marker={"color": color, "size": 10},
            ))
    slope, intercept = np.polyfit(both[x].to_numpy(float), both[y].to_numpy(float), 1)
    xs = np.linspace(both[x].min(), both[x].max(), 2)
    figure.add_trace(go.Scatter(x=xs.tolist(), y=(intercept + slope * xs).tolist(), mode="lines",
                                name="least squares", line={"dash": "dot", "color": "#444"}))
    figure.update_layout(
        title=(f"{METRICS[x].label} vs {METRICS[y].label}: Pearson r = {correlation.pearson_r:.2f} "
               f"(p = {correlation.pearson_p:.2g}), Spearman ρ = {correlation.spearman_r:.2f} "
               f"(p = {correlation.spearman_p:.2g}), n = {correlation.n}"),
        xaxis_title=_axis_title(x), yaxis_title=_axis_title(y), height=460, **_LAYOUT,
    )
    return figure


def scaling_figure(points: pd.DataFrame, fits: list[ScalingFit], *, title: str | None = None) -> go.Figure:
    """Accuracy against training samples (log x axis): points and the fitted line per source;
    ``points`` from ``core.export.scaling.scaling_points`` (one benchmark, or several: one series each)."""
    figure = go.Figure()
    several = points["benchmark"].nunique() > 1
    by_key = {(fit.source, fit.benchmark): fit for fit in fits}
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for index, ((benchmark, source), series) in enumerate(points.groupby(["benchmark", "source"], sort=True)):
        name = f"{source} · {benchmark}" if several else str(source)
        color = palette[index % len(palette)]
        figure.add_trace(go.Scatter(
            x=series["train_samples"].tolist(), y=series["accuracy"].tolist(), mode="markers", name=name,
            legendgroup=name, marker={"color": color, "size": 9},
            hovertemplate=f"{name}<br>%{{x:,}} samples: %{{y:.1f}}%<extra></extra>",
        ))
        fit = by_key.get((source, benchmark))
        if fit is not None and fit.fitted:
            xs = np.logspace(math.log10(fit.min_samples), math.log10(fit.max_samples), 20)
            r2 = "" if fit.r2 is None else f", R² {fit.r2:.2f}"
            figure.add_trace(go.Scatter(
                x=xs.tolist(), y=[fit.predict(v) for v in xs], mode="lines", legendgroup=name,
                name=f"{name} fit: {fit.slope_per_decade:+.2f} / decade{r2}", line={"color": color},
            ))
    figure.update_xaxes(type="log", title="training samples (log scale)")
    figure.update_yaxes(title="accuracy (%)")
    figure.update_layout(title=title or "Downstream accuracy against training-set size", height=460, **_LAYOUT)
    return figure
