"""Judge radar: the five judge dimensions of up to six runs, reported and measured.

URL: ?runs=A&runs=B (run labels; a name that is both reported and measured gets "(reported)").
"""

import streamlit as st

from dashboard.charts import results as draw
from dashboard.components.filters import multi_select
from dashboard.components.results import csv_download, protocol_picker
from dashboard.components.tables import data_table
from dashboard.data import results as data

st.header("Judge radar")

protocol = protocol_picker(data.judge_protocols())
everything = data.judge_radar(protocol=protocol)
if not everything.options:
    st.info(
        "No run has judge scores yet. Run `scigen init` for the paper's reported scores, or score your "
        f"own run with {data.JUDGE_HINT}."
    )
    st.stop()

chosen = multi_select(
    f"Runs (up to {data.MAX_RADAR_RUNS})",
    everything.options,
    key="runs",
    default=everything.default,
    max_selections=data.MAX_RADAR_RUNS,
    help="Best mean judge score first",
)
radar = data.judge_radar(chosen, protocol)
if radar.table.empty:
    st.info(f"Pick at least one run (up to {data.MAX_RADAR_RUNS}) to draw its judge scores.")
    st.stop()

st.plotly_chart(draw.judge_radar(radar), key="judge_radar")
st.caption(
    "C&F Correctness & Fidelity · L&P Layout & Precision · R&O Readability & Occlusion · "
    "SP Scientific Plausibility · E&R Expressiveness & Richness; 0 (fails) to 2 (fully meets)."
)
data_table(radar.table, hide_index=True, key="judge_table")
csv_download(radar.table, "judge_radar.csv", key="judge_csv")
