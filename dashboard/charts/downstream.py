"""Charts of the Downstream page (the scaling plot is shared with the static report)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.export.report_charts import scaling_figure


def scaling_chart(points, fits, benchmark: str | None = None) -> go.Figure:
    """Accuracy against training samples on a log axis, with the log-linear fit per source."""
    title = f"{benchmark}: accuracy against training-set size" if benchmark else None
    return scaling_figure(points, fits, title=title)


def accuracy_column_config(table) -> dict[str, object]:
    """Every fractional column of an accuracy table with one decimal (58.0, not 58); counts stay whole."""
    return {
        column: st.column_config.NumberColumn(format="%.1f")
        for column in table.columns
        if pd.api.types.is_float_dtype(table[column])
    }


def fits_column_config() -> dict[str, object]:
    """Slope in accuracy points per tenfold data, R² with two decimals."""
    return {
        "Slope per decade": st.column_config.NumberColumn(
            format="%+.2f", help="Accuracy points gained per tenfold more training samples"
        ),
        "R²": st.column_config.NumberColumn(format="%.2f"),
    }
