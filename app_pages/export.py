"""Export: a run's verified figures as a training set (verl, ShareGPT, HF image folder)."""

import streamlit as st

from core.export import FORMATS
from dashboard.charts import export as charts
from dashboard.components.tables import data_table
from dashboard.data import export as data

st.header("Export a training set")
st.caption("Figures whose quizzes were read correctly from the image (and that meet the judge thresholds), "
           "with prompts that make the model read the given values from the figure.")

runs = data.generation_runs()
if not runs:
    st.info("No generation run yet. Make one with `scigen generate --model reference --run gold --limit 10`, "
            "then score it with `scigen evaluate --run gold --vqa ocr`.")
    st.stop()

left, middle, right = st.columns([2, 2, 2])
with left:
    run = st.selectbox("Generation run", runs, key="run", bind="query-params")
with middle:
    min_rinv = st.slider("Minimum R_inv per image", 0.0, 1.0, 1.0, 0.05, key="min_rinv", bind="query-params",
                         help="Share of the image's quizzes answered correctly; 0 turns the quiz filter off")
with right:
    judge = st.text_input("Judge thresholds", key="judge", bind="query-params", placeholder="C&F=2,SP=2",
                          help="Minimum 0-2 scores: C&F, L&P, R&O, SP, E&R")
blind = st.toggle("Leave blind-solvable quizzes out of R_inv", key="blind", bind="query-params")

preview = data.export_preview(run, min_rinv, judge, blind)
if preview.error:
    st.warning(preview.error)
    st.stop()

counts = st.columns(3)
counts[0].metric("Figures rendered", preview.figures_ok)
counts[1].metric("Pass the filters", preview.passed)
counts[2].metric("Rejected", preview.figures_ok - preview.passed)
if preview.rejected:
    st.caption("Rejected: " + "; ".join(f"{reason} ({n})" for reason, n in preview.rejected.items()))
if preview.counts.empty:
    st.info("No figure passes these filters: lower the minimum R_inv or the judge thresholds.")
    st.stop()
st.plotly_chart(charts.counts_bar(preview.counts), key="export_counts")
data_table(preview.counts, hide_index=True)
st.download_button("Download counts CSV", data.table_csv(preview.counts), file_name=f"{run}-export-counts.csv",
                   mime="text/csv", key="export_counts_csv")

st.subheader("Export")
options = st.columns([2, 2, 3])
with options[0]:
    fmt = st.segmented_control("Format", list(FORMATS), key="format", bind="query-params", default="verl")
with options[1]:
    dedup = st.toggle("Remove near-duplicate images", value=True, key="dedup")
with options[2]:
    split = st.text_input("Evaluation split for the contamination check", key="split",
                          placeholder="a .jsonl/.json/.parquet file, or a source such as scigen")

if st.button("Export", type="primary", disabled=not fmt, key="export_button"):
    with st.status(f"Exporting {run} as {fmt}…", expanded=True) as status:
        bar = st.progress(0.0)
        try:
            summary = data.run_export(run, fmt, min_rinv=min_rinv, judge_text=judge, exclude_blind=blind,
                                      dedup=dedup, eval_split=split, progress=lambda step, f: bar.progress(f, step))
        except ValueError as exc:
            status.update(label=f"Export failed: {exc}", state="error")
            st.stop()
        status.update(label=f"Exported {summary.exported} items to {summary.out_dir}", state="complete")
    st.session_state["export_result"] = summary

result = st.session_state.get("export_result")
if result is not None:
    data_table(data.summary_table(result), hide_index=True)
    st.download_button("Download export (zip)", data.zip_folder(result.out_dir), mime="application/zip",
                       file_name=f"{result.run}-{result.format}.zip", key="export_zip")
