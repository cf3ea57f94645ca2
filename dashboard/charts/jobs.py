"""Display helpers of the Jobs page: state badges, progress text, history columns, a cost chart."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

STATE_ICONS: dict[str, str] = {
    "starting": "⏳",
    "running": "🔄",
    "finished": "✅",
    "cancelled": "⏹️",
    "stopped on budget": "💰",
    "stopped": "⏸️",
    "failed": "❌",
    "ended": "❔",
}


def state_badge(state: str) -> str:
    """``✅ finished``."""
    return f"{STATE_ICONS.get(state, '•')} {state}"


def progress_text(done: int, total: int, cost_usd: float) -> str:
    """The text under a progress bar, e.g. ``3 / 10 problems · $0.0123``."""
    cost = f" · ${cost_usd:.4f}" if cost_usd else ""
    return f"{done} / {total} done{cost}" if total else f"waiting for the job to report{cost}"


def history_column_config() -> dict:
    return {
        "Progress": st.column_config.ProgressColumn(
            "Progress", min_value=0.0, max_value=1.0, format="percent"
        ),
        "pass@1 %": st.column_config.NumberColumn("pass@1 %", format="%.1f", help="First attempt rendered"),
        "pass@k %": st.column_config.NumberColumn(
            "pass@k %", format="%.1f", help="Rendered within the attempt budget"
        ),
        "Cost USD": st.column_config.NumberColumn("Cost USD", format="$%.4f"),
        "Updated": st.column_config.DatetimeColumn("Updated (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        "Message": st.column_config.TextColumn("Message", width="large"),
    }


def cost_bar(history: pd.DataFrame) -> go.Figure | None:
    """Horizontal bars of the model cost of each run that spent something (None when none did)."""
    spent = history.dropna(subset=["Cost USD"])
    spent = spent[spent["Cost USD"] > 0].sort_values("Cost USD")
    if spent.empty:
        return None
    figure = go.Figure(
        go.Bar(
            x=spent["Cost USD"],
            y=spent["Run"],
            orientation="h",
            marker_color="#2a9d8f",
            hovertemplate="%{y}<br>$%{x:.4f}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Model cost by run (USD)",
        xaxis={"title": "USD"},
        yaxis={"title": None},
        height=max(220, 28 * len(spent) + 100),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure
