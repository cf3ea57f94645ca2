"""Leaderboard: every run with its metrics, reported (paper) and measured runs marked apart."""

import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import multi_choice_pills, named_choice

st.header("Leaderboard")

everything = data.leaderboard()
controls = st.columns([2, 3])
with controls[0]:
    kinds = multi_choice_pills("Generator kind", everything.kinds, key="kind", help="None selected shows all")
with controls[1]:
    rank_by = named_choice("Rank by", everything.metric_labels, key="sort", default="rinv")

view = data.leaderboard(kinds, rank_by)
if view.table.empty:
    st.info(
        "No runs to show yet. Run `scigen init` to load the paper's reported results, or clear the filter."
    )
    st.stop()

st.dataframe(
    charts.leaderboard_styler(view),
    column_config=charts.leaderboard_column_config(view),
    hide_index=True,
)
provenance = (
    f"*Reported* rows are the published results of {'; '.join(view.provenance)}. " if view.provenance else ""
)
st.caption(
    f"↑ higher is better, ↓ lower is better; click a header to sort. {provenance}"
    "*Measured* rows (shaded) come from runs in this workspace."
)
st.download_button(
    "Download CSV",
    data.table_csv(view.table),
    file_name="leaderboard.csv",
    mime="text/csv",
    key="leaderboard_csv",
)

if rank_by:
    bar = charts.metric_bar(view.table, view.metric_headers[rank_by], view.specs[rank_by])
    st.plotly_chart(bar, key="leaderboard_bar")

downstream = data.downstream()
if not downstream.empty:
    with st.expander("Downstream utility: Qwen3-VL-8B fine-tuned on each source's images (accuracy %)"):
        st.dataframe(downstream, hide_index=True)
        st.download_button(
            "Download CSV",
            data.table_csv(downstream),
            file_name="downstream.csv",
            mime="text/csv",
            key="downstream_csv",
        )
