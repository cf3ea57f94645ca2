"""Pure functions from display frames to Plotly figures and styled tables.

Nothing here draws: pages pass the results to ``st.plotly_chart`` / ``st.dataframe``. Axis
directions and "better" arrows come from the metric declarations, never from literals here.
The only Streamlit use is ``st.column_config`` (plain dicts for header tooltips and widths).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from core.metrics import MetricSpec
from dashboard.data import MEASURED_LABEL, LeaderboardView, metric_help

KIND_COLOURS: dict[str, str] = {"code": "#2a9d8f", "pixel": "#e76f51", "baseline": "#8d99ae"}
OTHER_COLOUR = "#adb5bd"
MEASURED_ROW_BACKGROUND = "background-color: #eef6ff"


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, OTHER_COLOUR)


def metric_bar(
    table: pd.DataFrame,
    column: str,
    spec: MetricSpec,
    *,
    label_column: str = "Model",
    colour_column: str = "Kind",
) -> go.Figure:
    """Horizontal bars of one metric per row, best at the top, one colour per kind.

    The axis spans the metric's declared bounds when it has them, so bars of a bounded score
    (R_inv 0-100 %) are comparable at a glance; the title says which direction is better.
    """
    data = table[[label_column, colour_column, column]].dropna(subset=[column])
    # Plotly draws the first category at the bottom: order worst -> best so the best is on top.
    data = data.sort_values(column, ascending=spec.higher_is_better, kind="stable")
    figure = go.Figure()
    for kind in dict.fromkeys(data[colour_column]):
        part = data[data[colour_column] == kind]
        figure.add_trace(
            go.Bar(
                x=part[column],
                y=part[label_column],
                orientation="h",
                name=str(kind),
                marker_color=kind_colour(str(kind)),
                hovertemplate=f"%{{y}}<br>{spec.label}: %{{x:.2f}}{_unit_suffix(spec)}<extra>{kind}</extra>",
            )
        )
    direction = "higher is better" if spec.higher_is_better else "lower is better"
    axis_range = [spec.lower, spec.upper] if spec.lower is not None and spec.upper is not None else None
    figure.update_layout(
        title=f"{spec.label} by model ({direction})",
        xaxis={"title": f"{spec.label}{_unit_suffix(spec)}", "range": axis_range},
        yaxis={"categoryorder": "array", "categoryarray": list(data[label_column])},
        legend_title_text=colour_column,
        barmode="overlay",
        height=max(280, 28 * len(data) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def _unit_suffix(spec: MetricSpec) -> str:
    return f" {spec.unit}" if spec.unit else ""


def leaderboard_styler(view: LeaderboardView) -> Styler:
    """The leaderboard table with two decimals and measured rows shaded apart from reported ones."""
    table = view.table
    metric_columns = [h for h in view.metric_headers.values() if h in table.columns]

    def shade(row: pd.Series) -> list[str]:
        style = MEASURED_ROW_BACKGROUND if row["Results"] == MEASURED_LABEL else ""
        return [style] * len(row)

    return table.style.format("{:.2f}", subset=metric_columns, na_rep="—").apply(shade, axis=1)


def leaderboard_column_config(view: LeaderboardView) -> dict[str, object]:
    """Header tooltips: each metric's meaning and direction; the run-type column explained."""
    config: dict[str, object] = {
        "Model": st.column_config.TextColumn(pinned=True),
        "Results": st.column_config.TextColumn(
            help="reported: copied from the paper; measured: computed by SciGen Studio on your runs"
        ),
        "Kind": st.column_config.TextColumn(help="How the images are made: code (ImgCoder) or pixel model"),
        "Backend": st.column_config.TextColumn(help="What a code run's figures are drawn in: Matplotlib or TikZ"),
    }
    for name, header in view.metric_headers.items():
        config[header] = st.column_config.NumberColumn(help=metric_help(view.specs[name]))
    return config


def problem_column_config() -> dict[str, object]:
    return {
        "UID": st.column_config.TextColumn(help="source:id, unique across sources"),
        "Question": st.column_config.TextColumn(width="large"),
        "Quizzes": st.column_config.NumberColumn(width="small"),
        "Elements": st.column_config.NumberColumn(width="small"),
        "Reference": st.column_config.TextColumn(
            help="image: a ground-truth figure; code: a gold plotting script"
        ),
    }
