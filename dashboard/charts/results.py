"""Figures and styled tables of the results pages (Leaderboard, Domains, Judge radar, Correlations).

Pure functions: they take the views of ``dashboard.data.results`` and return Plotly figures or
pandas Stylers; pages draw them. Directions, bounds and labels come from the metric declarations.
Plotly's modebar offers each figure as PNG; pages add a CSV of the plotted data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from core.evaluation.stats import TIE_RULE
from core.metrics import METRICS, MetricSpec
from dashboard.charts import MEASURED_ROW_BACKGROUND, kind_colour, leaderboard_column_config
from dashboard.data import MEASURED_LABEL, REPORTED_LABEL, metric_header
from dashboard.data.results import (
    EVALUATED_BY_COLUMN,
    N_COLUMN,
    PAPER_COLUMN,
    PROTOCOL_COLUMN,
    RANK_COLUMN,
    TIE_COLUMN,
    CorrelationView,
    DomainGrid,
    JudgeRadar,
    ResultsLeaderboard,
)

TIE_BACKGROUND = "background-color: #d8f3dc; font-weight: 600"
SEQUENTIAL_SCALE = "Viridis"
# Viridis is light (yellow) at the top: dark text there, white text below.
LIGHT_CELL_FROM = 0.6
CELL_PX = 44
RESULTS_MARKERS = {REPORTED_LABEL: "circle", MEASURED_LABEL: "diamond"}
RESULTS_DASH = {REPORTED_LABEL: "dot", MEASURED_LABEL: "solid"}


def format_number(value: object) -> str:
    """Two decimals; three significant digits for small non-zero values (KID ~ 0.01); "—" for none."""
    if value is None or pd.isna(value):
        return "—"
    number = float(value)
    if number != 0 and abs(number) < 0.1:
        return f"{number:.3g}"
    return f"{number:.2f}"


def _unit(spec: MetricSpec) -> str:
    return f" {spec.unit}" if spec.unit else ""


# --------------------------------------------------------------------------- leaderboard


def results_leaderboard_styler(board: ResultsLeaderboard) -> Styler:
    """Measured rows shaded apart from reported ones; the tie group's ranking cells in green."""
    table = board.table
    metric_columns = [h for h in board.view.metric_headers.values() if h in table.columns]
    rank_column = board.view.metric_headers.get(board.view.sort_metric or "")

    def shade(row: pd.Series) -> list[str]:
        base = MEASURED_ROW_BACKGROUND if row["Results"] == MEASURED_LABEL else ""
        tied = TIE_COLUMN in row.index and bool(row[TIE_COLUMN])
        return [
            TIE_BACKGROUND if tied and column in (rank_column, TIE_COLUMN) else base for column in row.index
        ]

    counts = [N_COLUMN] if N_COLUMN in table.columns else []
    return (
        table.style.format(format_number, subset=metric_columns, na_rep="—")
        .format(lambda n: f"{int(n)}", subset=counts, na_rep="—")
        .apply(shade, axis=1)
    )


def results_column_config(board: ResultsLeaderboard) -> dict[str, object]:
    """Header tooltips: group and meaning of each metric, the tie rule, n and evaluations."""
    config = leaderboard_column_config(board.view)
    for name, header in board.view.metric_headers.items():
        spec = METRICS[name]
        direction = "higher is better" if spec.higher_is_better else "lower is better"
        config[header] = st.column_config.NumberColumn(
            help=f"{board.group_of.get(header, spec.group)} · {spec.label}: {spec.description} "
            f"{direction.capitalize()}{f' ({spec.unit})' if spec.unit else ''}."
        )
        config[f"{header} CI"] = st.column_config.TextColumn(
            help="95% bootstrap interval clustered by problem (measured runs; the paper gives none)"
        )
    config[TIE_COLUMN] = st.column_config.TextColumn(
        help=f"Runs of this protocol not separable from the best on the ranking metric. {TIE_RULE} "
        "Here: by the stored 95% intervals; a published number has none and is read as exact (two "
        "published numbers are never judged against each other)."
    )
    config[N_COLUMN] = st.column_config.NumberColumn(
        help="Items behind the ranking metric: images (R_inv), quizzes (accuracy) or figures with a value"
    )
    config[EVALUATED_BY_COLUMN] = st.column_config.TextColumn(
        help="The evaluation runs whose numbers a measured row shows"
    )
    config["Access"] = st.column_config.TextColumn(help="open or closed model weights, when known")
    config[RANK_COLUMN] = st.column_config.NumberColumn(
        help="Place on the ranking metric among the rows of the chosen protocol only (equal values share a place)"
    )
    config[PAPER_COLUMN] = st.column_config.TextColumn(
        help="A measured run whose protocol (problem set, quiz set, answerer, judges, missing-image rule) "
        "is the paper's, so its numbers compare with the reported rows"
    )
    return config


def apart_column_config(table: pd.DataFrame) -> dict[str, object]:
    """Tooltips of the other protocols' table: the metrics' meaning, and why it is not ranked."""
    config: dict[str, object] = {
        PROTOCOL_COLUMN: st.column_config.TextColumn(
            help="What these numbers were measured under; rows of different protocols are not comparable"
        )
    }
    for spec in METRICS.values():
        header = metric_header(spec)
        if header in table.columns:
            config[header] = st.column_config.NumberColumn(help=f"{spec.label}: {spec.description}")
    return config


def apart_styler(table: pd.DataFrame) -> Styler:
    """Numbers formatted like the leaderboard's, with no shading and no ranking."""
    metrics = [metric_header(spec) for spec in METRICS.values() if metric_header(spec) in table.columns]
    return table.style.format(format_number, subset=metrics, na_rep="—")


# --------------------------------------------------------------------------- domains


MAX_LABELLED_RUNS = 12


def domain_heatmap(grid: DomainGrid) -> go.Figure:
    """The metric per subject (or image type) x run, values and n written in the cells.

    Plotly heatmaps send Streamlit no selection events, so a transparent square marker sits on
    every filled cell: clicking (or box-selecting) it selects the cell.
    """
    spec = grid.spec
    figure = go.Figure()
    if spec is None or grid.empty:
        return figure
    rows, columns = list(grid.values.index), list(grid.values.columns)
    z = grid.values.to_numpy(dtype=float)
    finite = z[np.isfinite(z)]
    low = spec.lower if spec.lower is not None and spec.upper is not None else float(finite.min())
    high = spec.upper if spec.lower is not None and spec.upper is not None else float(finite.max())
    scope_label = grid.values.index.name or "Scope"
    figure.add_trace(
        go.Heatmap(
            z=z,
            x=columns,
            y=rows,
            zmin=low,
            zmax=high,
            colorscale=SEQUENTIAL_SCALE,
            # Lower-is-better metrics reversed, so the bright end is always "better".
            reversescale=not spec.higher_is_better,
            hoverinfo="skip",
            colorbar={"title": {"text": f"{spec.short}{_unit(spec)}"}},
        )
    )
    xs, ys, texts, colours, custom = [], [], [], [], []
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            value = z[i, j]
            if not math.isfinite(value):
                continue
            count = grid.counts.iat[i, j]
            n = None if pd.isna(count) else int(count)
            share = (value - low) / (high - low) if high > low else 0.5
            bright = share >= LIGHT_CELL_FROM if spec.higher_is_better else share <= 1 - LIGHT_CELL_FROM
            xs.append(column)
            ys.append(row)
            texts.append(f"{format_number(value)}<br>n={n if n is not None else '?'}")
            colours.append("#111111" if bright else "#ffffff")
            custom.append([value, n if n is not None else "?"])
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            # Cell labels only while they fit; beyond that the hover and the cell table carry them.
            mode="markers+text" if len(columns) <= MAX_LABELLED_RUNS else "markers",
            text=texts,
            textfont={"color": colours, "size": 11},
            marker={"symbol": "square", "size": CELL_PX - 6, "opacity": 0, "color": "#000000"},
            customdata=custom,
            # Markers stay invisible when (un)selected; unselected cells' text dims as feedback.
            selected={"marker": {"opacity": 0}},
            unselected={"marker": {"opacity": 0}},
            hovertemplate=(
                f"%{{x}}<br>{scope_label}: %{{y}}<br>{spec.label}: %{{customdata[0]:.2f}}{_unit(spec)}"
                "<br>n = %{customdata[1]}<extra>click to open in the Explorer</extra>"
            ),
            showlegend=False,
        )
    )
    direction = "higher is better" if spec.higher_is_better else "lower is better"
    figure.update_layout(
        title={
            "text": f"{spec.label} by {scope_label.lower()} and run ({direction}; n = items behind each cell)",
            "y": 0.99,
            "yanchor": "top",
        },
        xaxis={"categoryorder": "array", "categoryarray": columns, "side": "top", "title": None},
        yaxis={"categoryorder": "array", "categoryarray": rows, "autorange": "reversed", "title": None},
        height=max(320, CELL_PX * len(rows) + 180),
        # Many runs slant their labels on the top axis: leave them room below the title.
        margin={"l": 10, "r": 10, "t": 90 if len(columns) <= MAX_LABELLED_RUNS else 170, "b": 20},
        # No clickmode/dragmode here: st.plotly_chart(on_select=...) sets its own, and overriding
        # them stops clicks from selecting (checked in Chromium).
    )
    return figure


# --------------------------------------------------------------------------- judge radar


def judge_radar(radar: JudgeRadar) -> go.Figure:
    """One closed polygon per chosen run over the five judge dimensions (0-2 from the declarations).

    Reported runs are dotted, measured runs solid; colours follow the run order.
    """
    figure = go.Figure()
    names = list(radar.dimensions)
    shorts = [radar.dimensions[m] for m in names]
    full = [METRICS[m].label for m in names]
    for row in radar.table.to_dict("records"):
        values = [row[s] for s in shorts]
        figure.add_trace(
            go.Scatterpolar(
                r=[*values, values[0]],
                theta=[*shorts, shorts[0]],
                customdata=[*full, full[0]],
                name=f"{row['Run']} ({row['Results']})" if row["Results"] == REPORTED_LABEL else row["Run"],
                mode="lines+markers",
                fill="toself",
                opacity=0.75,
                line={"dash": RESULTS_DASH.get(row["Results"], "solid"), "width": 2},
                hovertemplate="%{customdata}: %{r:.2f}<extra>%{fullData.name}</extra>",
            )
        )
    spec = METRICS[names[0]]
    figure.update_layout(
        title="Judge scores, 0 (fails) to 2 (fully meets); dotted = reported",
        polar={"radialaxis": {"range": [spec.lower, spec.upper], "tickvals": [0, 0.5, 1, 1.5, 2]}},
        legend={"orientation": "h", "y": -0.1},
        height=560,
        margin={"l": 40, "r": 40, "t": 60, "b": 40},
    )
    return figure


# --------------------------------------------------------------------------- correlations


def correlation_scatter(view: CorrelationView) -> go.Figure:
    """Runs as labelled points (colour = generator kind, shape = reported/measured) and the
    least-squares line, axes titled with each metric's direction."""
    x_spec, y_spec = METRICS[view.x], METRICS[view.y]
    points = view.points
    figure = go.Figure()
    for (results, kind), part in points.groupby(["Results", "Kind"], sort=False):
        figure.add_trace(
            go.Scatter(
                x=part[view.x_header],
                y=part[view.y_header],
                text=part["Run"],
                mode="markers+text",
                textposition="top center",
                name=f"{kind} ({results})",
                marker={
                    "size": 11,
                    "color": kind_colour(str(kind)),
                    "symbol": RESULTS_MARKERS.get(results, "circle"),
                },
                hovertemplate=(
                    f"%{{text}}<br>{x_spec.label}: %{{x:.2f}}<br>{y_spec.label}: %{{y:.2f}}<extra>{kind}</extra>"
                ),
            )
        )
    if view.fit is not None and len(points) > 1:
        slope, intercept = view.fit
        xs = np.linspace(points[view.x_header].min(), points[view.x_header].max(), 50)
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=slope * xs + intercept,
                mode="lines",
                name="least-squares fit",
                line={"dash": "dash", "color": "#6c757d"},
                hoverinfo="skip",
            )
        )
    title = f"{y_spec.label} vs {x_spec.label}"
    if view.correlation is not None:
        c = view.correlation
        title += f" · Pearson r = {c.pearson_r:.2f} (p = {c.pearson_p:.2f}), n = {c.n}"
    figure.update_layout(
        title=title,
        xaxis={"title": view.x_header},
        yaxis={"title": view.y_header},
        legend_title_text="Kind (results)",
        height=520,
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
    )
    return figure


def domain_column_config(grid: DomainGrid) -> dict[str, object]:
    """The cell table: the metric's meaning, n, and a link per cell to its items in the Explorer."""
    config: dict[str, object] = {
        "Explorer": st.column_config.LinkColumn(
            help="Open the run's items of this subject or image type in the Explorer", display_text="Open"
        ),
        N_COLUMN: st.column_config.NumberColumn(help="Items behind the value (images, quizzes or figures)"),
    }
    if grid.spec is not None:
        header = metric_header(grid.spec)
        config[header] = st.column_config.NumberColumn(help=grid.spec.description, format="%.2f")
        config[f"{header} CI"] = st.column_config.TextColumn(
            help="95% bootstrap interval clustered by problem"
        )
    return config
