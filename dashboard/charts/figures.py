"""Pure functions from the figure pages' frames to Plotly figures and styled tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from dashboard.data.figures import FAIL_MARK, PASS_MARK

PASS_STYLE = "background-color: #e6f4ea"
FAIL_STYLE = "background-color: #fdecea"
JUDGE_MAX = 2
RUN_COLOURS = ("#2a9d8f", "#e76f51", "#457b9d", "#e9c46a", "#8d99ae", "#6a4c93")


def mark_style(value: object) -> str:
    """Green for a ✓ cell, red for a ✗ cell, nothing otherwise."""
    text = str(value)
    if text.startswith(PASS_MARK):
        return PASS_STYLE
    if text.startswith(FAIL_MARK):
        return FAIL_STYLE
    return ""


def marks_styler(frame: pd.DataFrame, columns: list[str] | None = None) -> Styler:
    """A table whose ✓/✗ cells (verdicts, quiz results) are shaded green/red."""
    subset = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    return frame.style.map(mark_style, subset=subset)


def judge_bars(frame: pd.DataFrame) -> go.Figure:
    """Grouped bars of judge scores (0-2) per dimension, one colour per run.

    ``frame``: column Dimension, then one column per run (``CompareItem.judge``).
    """
    figure = go.Figure()
    runs = [column for column in frame.columns if column != "Dimension"]
    for position, run in enumerate(runs):
        figure.add_trace(
            go.Bar(
                x=frame["Dimension"],
                y=frame[run],
                name=str(run),
                marker_color=RUN_COLOURS[position % len(RUN_COLOURS)],
                hovertemplate=f"{run}<br>%{{x}}: %{{y:.2f}} of {JUDGE_MAX}<extra></extra>",
            )
        )
    figure.update_layout(
        title="Judge scores (0-2, higher is better)",
        barmode="group",
        yaxis={"range": [0, JUDGE_MAX], "title": "score", "dtick": 1},
        legend_title_text="Run",
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def gallery_column_config() -> dict[str, object]:
    return {
        "UID": st.column_config.TextColumn("UID", width="medium"),
        "Verdict": st.column_config.TextColumn("Verdict", help="Rendered or failed; quizzes right of answered"),
        "Judge mean (0-2)": st.column_config.NumberColumn("Judge mean (0-2)", format="%.2f"),
    }


def text_column_config(*wide: str) -> dict[str, object]:
    """Wide text columns (questions, replies, rationale) for long cells."""
    return {name: st.column_config.TextColumn(name, width="large") for name in wide}
