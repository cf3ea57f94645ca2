"""Domains: a metric by subject (or image type) x run; click a cell to open its items in the Explorer.

URL: ?metric=R_inv&by=Subject|Image type. The Explorer link carries run, subject and type.
"""

import streamlit as st

from dashboard.charts import results as draw
from dashboard.components.filters import named_choice, segmented_choice
from dashboard.components.results import csv_download, protocol_picker
from dashboard.components.tables import data_table
from dashboard.data import results as data

st.header("Domains")

controls = st.columns([1, 2, 3])
with controls[0]:
    by = segmented_choice("Break down by", list(data.SCOPE_LABELS.values()), key="by")
scope = next(name for name, label in data.SCOPE_LABELS.items() if label == by)
with controls[2]:
    protocol = protocol_picker(data.domain_protocols(scope))
with controls[1]:
    metric = named_choice("Metric", data.domains(None, scope, protocol).metrics, key="metric", default="rinv")
grid = data.domains(metric, scope, protocol)

if grid.empty:
    st.info(
        "No per-subject numbers yet: they come from evaluated runs of this workspace (the paper reports "
        f"overall numbers only). Run {data.GENERATE_HINT}, then {data.EVALUATE_HINT}."
    )
    st.stop()

event = st.plotly_chart(
    draw.domain_heatmap(grid), key="domains_grid", on_select="rerun", selection_mode=("points", "box")
)
cell = data.selected_cell(event, grid)
if cell is None:
    st.caption(
        "Click a cell to open its items in the Explorer. Measured runs only: the paper has no breakdowns."
    )
else:
    st.page_link(
        "app_pages/explorer.py",
        label=f"Open {cell.n or ''} items of {cell.run_label} · {cell.scope_value} in the Explorer",
        icon=":material/open_in_new:",
        query_params=cell.query_params,
    )

data_table(grid.cells, hide_index=True, column_config=draw.domain_column_config(grid), key="domains_table")
csv_download(
    grid.cells.drop(columns=["Explorer"]), f"domains_{grid.metric}_{grid.scope}.csv", key="domains_csv"
)
