"""Leaderboard: the runs of one protocol ranked, reported (paper) and measured rows marked apart;
runs of other protocols listed below, never ranked with them.

URL: ?protocol=&results=&kind=&groups=&subject=&type=&source=&sort= (see dashboard/components/results.py).
"""

import streamlit as st

from dashboard import charts
from dashboard.charts import results as draw
from dashboard.components.results import csv_download, leaderboard_filters
from dashboard.components.tables import data_table
from dashboard.data import results as data
from dashboard.data import review

st.header("Leaderboard")

options = data.leaderboard_options()
query = leaderboard_filters(options)
board = data.leaderboard(query)

if board.protocol_label:
    by = board.view.specs[board.view.sort_metric].label if board.view.sort_metric else "—"
    st.caption(f"Ranked by {by} within one protocol: **{board.protocol_label}**")
for note in board.notes:
    st.caption(f"ⓘ {note}")
if board.table.empty:
    st.info(board.empty_message)
    st.stop()

data_table(
    draw.results_leaderboard_styler(board), column_config=draw.results_column_config(board), hide_index=True
)
provenance = (
    f"*Reported* rows are the published results of {'; '.join(board.view.provenance)}. "
    if board.view.provenance
    else ""
)
ties = (
    f" Green: the tie group on {board.tie.metric and board.view.specs[board.tie.metric].label} "
    "(runs of this protocol not separable from the best)."
    if board.tie is not None
    else ""
)
st.caption(
    f"↑ higher is better, ↓ lower is better; click a header to sort. {provenance}"
    f"*Measured* rows (shaded) come from runs in this workspace.{ties}"
)
csv_download(board.table, "leaderboard.csv", key="leaderboard_csv")
for run, note in review.judge_check_notes().items():
    st.caption(f"Judge checked for **{run}**: {note} (Review page)")

rank_by = board.view.sort_metric
if rank_by:
    header = board.view.metric_headers[rank_by]
    st.plotly_chart(charts.metric_bar(board.table, header, board.view.specs[rank_by]), key="leaderboard_bar")
    csv_download(
        board.table[["Model", "Results", "Kind", header]],
        f"leaderboard_{rank_by}.csv",
        key="bar_csv",
        label="Download chart data (CSV)",
    )

if not board.apart.empty:
    st.subheader("Other protocols (not ranked with the above)")
    data_table(draw.apart_styler(board.apart), column_config=draw.apart_column_config(board.apart),
               hide_index=True, key="leaderboard_apart")
