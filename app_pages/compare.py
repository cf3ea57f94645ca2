"""Compare: one problem, two or more generation runs side by side (e.g. pixel vs code): figures,
quiz results and judge scores; step through the problems where the runs disagree."""

import streamlit as st

from dashboard.components.compare_view import problem_stepper, show_compare_item, show_comparison
from dashboard.components.filters import multi_select
from dashboard.data import figures

st.header("Compare")

runs = list(figures.generation_runs())
if len(runs) < 2:
    st.info(
        f"Compare needs two generation runs over the same problems; this workspace has {len(runs)}. "
        "Make two offline: `scigen generate --model reference --run gold` and "
        "`scigen generate --model text-card --run card`, then score both with "
        "`scigen evaluate --run gold --vqa ocr` (and `--run card`)."
    )
    st.stop()

picked, toggle = st.columns([3, 1], vertical_alignment="bottom")
with picked:
    chosen = multi_select(
        "Runs", runs, key="runs", default=figures.default_compare_runs(),
        help="Two or more generation runs, newest first; it opens on the pair sharing the most problems",
    )
with toggle:
    only_disagreements = st.toggle(
        "Only disagreements", key="only_disagreements", bind="query-params",
        help="Problems where one run rendered and another failed, or one passed every quiz and another did not",
    )
if backends := figures.drawn_in(chosen):
    st.caption(backends)
if len(chosen) < 2:
    st.info("Pick two or more runs to compare.")
    st.stop()

comparison = figures.comparison(chosen, only_disagreements=only_disagreements)
show_comparison(comparison, only_disagreements=only_disagreements)
uid = problem_stepper(comparison.uids, key="uid")
if uid is not None:
    show_compare_item(figures.compare_item(chosen, uid))
