"""Correlations: any two metrics across runs, with Pearson and Spearman r and a fitted line.

URL: ?results=reported|measured|all&x=FID&y=R_inv (metric labels).
"""

import streamlit as st

from dashboard.charts import results as draw
from dashboard.components.filters import named_choice, segmented_choice
from dashboard.components.results import csv_download, protocol_picker
from dashboard.components.tables import data_table
from dashboard.data import results as data

st.header("Correlations")

protocol = protocol_picker(data.correlation_protocols())
controls = st.columns([1, 1, 1])
with controls[0]:
    results = segmented_choice(
        "Runs", data.CORRELATION_RESULTS, key="results", help="Never mixed silently: pick one, or all"
    )
metrics = data.correlation_choices(results, protocol)
if not metrics:
    st.info(
        "No runs with numbers here. Run `scigen init` for the paper's reported table, or evaluate your "
        f"own runs: {data.EVALUATE_HINT}."
    )
    st.stop()
with controls[1]:
    x = named_choice("X axis", metrics, key="x", default="fid")
with controls[2]:
    y = named_choice("Y axis", metrics, key="y", default=data.correctness_default(metrics))
view = data.correlation(x, y, results, protocol)

if view.correlation is None:
    st.info(view.caption)
else:
    st.plotly_chart(draw.correlation_scatter(view), key="correlation_chart")
    st.caption(view.caption)
data_table(view.points, hide_index=True, key="correlation_points")
csv_download(view.points, f"correlation_{x}_{y}_{results}.csv", key="correlation_csv")
