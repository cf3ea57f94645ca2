"""Charts for the Export page (pure functions of data frames)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.problems.taxonomy import short_name


def counts_bar(counts: pd.DataFrame) -> go.Figure:
    """Figures passing the filters per subject, stacked by image type. ``counts``: subject, image_type, figures."""
    frame = counts.assign(type=[short_name(str(t)) for t in counts["image_type"]])
    figure = px.bar(
        frame, x="subject", y="figures", color="type", text="figures",
        labels={"subject": "Subject", "figures": "Figures", "type": "Image type"},
    )
    figure.update_layout(barmode="stack", height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         title="Figures passing the filters")
    return figure
