"""Charts of the Downstream page (the scaling plot is shared with the static report)."""

from __future__ import annotations

import plotly.graph_objects as go

from core.export.report_charts import scaling_figure


def scaling_chart(points, fits, benchmark: str | None = None) -> go.Figure:
    """Accuracy against training samples on a log axis, with the log-linear fit per source."""
    title = f"{benchmark}: accuracy against training-set size" if benchmark else None
    return scaling_figure(points, fits, title=title)
