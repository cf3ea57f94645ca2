"""Jobs: generation and evaluation over a selection, run in the background; progress, cancel, resume, history."""

import streamlit as st

from dashboard.charts import jobs as charts
from dashboard.components.filters import choice_filter
from dashboard.components.job_panel import evaluation_job_form, generation_job_form, live_jobs
from dashboard.components.tables import data_table
from dashboard.data import jobs as data
from dashboard.data import table_csv

st.header("Jobs")
st.caption(
    "A job runs `scigen generate` or `scigen evaluate` as a background process on this workspace: it keeps "
    "going when you leave the page, stores results as they finish, and resumes where it stopped."
)

generation_tab, evaluation_tab = st.tabs(["Generate figures", "Evaluate a run"])
with generation_tab:
    generation_job_form()
with evaluation_tab:
    evaluation_job_form()

st.subheader("Recent jobs")
live_jobs()

st.subheader("Run history")
kind = choice_filter("Kind", ["generation", "evaluation"], key="kind")
history = data.run_history(kind)
if history.empty:
    st.info("No runs yet. Start a generation job above (the offline `reference` generator needs no model).")
    st.stop()
data_table(history, hide_index=True, column_config=charts.history_column_config())
st.download_button(
    "Download run history (CSV)",
    table_csv(history),
    file_name="runs.csv",
    mime="text/csv",
    key="history_csv",
    on_click="ignore",
)
cost = charts.cost_bar(history)
if cost is not None:
    st.plotly_chart(cost, key="cost_chart")
