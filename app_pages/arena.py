"""Arena: pairwise judgements between runs (a judge picks the more correct of two figures of the same
problem) as Bradley-Terry ratings with intervals, a win-rate matrix and the judge's position bias."""

import streamlit as st

from dashboard.components.tables import data_table
from dashboard.data import review as data

st.header("Arena")
judges = st.segmented_control("Judgements by", list(data.ARENA_JUDGES), format_func=data.ARENA_JUDGES.get,
                              default="models", required=True, key="arena_judges")
runs = data.arena_runs(judges)
if not runs:
    st.info("No arena comparison yet. Judge two or more runs pairwise from the command line: "
            "`scigen arena --run A --run B --judge MODEL`, or pick the better of two figures yourself on the "
            "Review page (plan: two runs side by side).")
    st.stop()

chosen = st.multiselect("Runs", runs, default=runs, key="arena_runs")
if len(chosen) < 2:
    st.info("Pick two or more runs.")
    st.stop()
standings = data.arena_standings(chosen, judges)
st.caption(f"{standings.n_comparisons} judgements; ratings on the Elo scale (1000 = the geometric mean), "
           "95% intervals from resampling problems.")
data_table(data.ratings_table(standings), hide_index=True, key="arena_ratings")
st.markdown("**Win rate of the row run against the column run** (ties count half)")
data_table(standings.win_rates.style.format("{:.0%}", na_rep="—"), key="arena_matrix")
st.caption(data.bias_line(standings))
