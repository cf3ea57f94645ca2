"""Datasets: an engine dataset (``scigen engine run``) read in place, at any size: its leaderboard
row, domains, a paged list of items with filters, and one item.

URL: ?dataset=DIR&by=Subject&subject=Physics&passed=Passed&q=pulley&page=3&item=KEY
"""

import json

import streamlit as st

from core.problems.taxonomy import SUBJECTS
from dashboard.components.filters import choice_filter, paginator, search_box, segmented_choice
from dashboard.components.tables import data_table
from dashboard.data import datasets as data

st.header("Datasets")

folder = st.text_input("Dataset folder", key="dataset", bind="query-params",
                       placeholder="the --out folder of scigen engine run").strip()
if not folder:
    st.info(f"Open the folder of an engine run; make one with {data.ENGINE_HINT}.")
    st.stop()
if data.open_dataset(folder) is None:
    st.warning(f"{folder} holds no committed shard (shards/part-*.parquet): not an engine dataset yet.")
    st.stop()
version = data.dataset_version(folder)

summary = data.summary(folder, version)
columns = st.columns(5)
columns[0].metric("Items", f"{summary['items']:,}")
columns[1].metric("Figures ok", f"{summary['figures_ok']:,}")
columns[2].metric("R_inv", "—" if summary["rinv"] is None else f"{summary['rinv'] * 100:.1f}%")
columns[3].metric("Passed filter", f"{summary['passed']:,}")
columns[4].metric("Cost", f"${summary['cost_usd'] or 0:.2f}")

by = segmented_choice("Domains by", ["Subject", "Image type"], key="by")
data_table(data.domains(folder, version, "subject" if by == "Subject" else "image_type"),
           hide_index=True, key="domains_table")

st.subheader("Items")
filters = st.columns(3)
with filters[0]:
    subject = choice_filter("Subject", SUBJECTS, key="subject", resets=("page",))
with filters[1]:
    verdict = choice_filter("Filter verdict", ["Passed", "Rejected"], key="passed", resets=("page",))
with filters[2]:
    search = search_box("Search questions", key="q", resets=("page",))
passed = None if verdict is None else verdict == "Passed"
page = paginator(data.page_count(folder, version, subject, passed, search), key="page")
items = data.items_page(folder, version, page, subject, passed, search)
data_table(items, hide_index=True, key="items_table")

keys = items["Key"].tolist()
if keys:
    chosen = st.selectbox("Item", keys, key="item", bind="query-params")
    detail = data.item(folder, version, chosen)
    if detail is not None:
        left, right = st.columns(2)
        with left:
            if detail.get("image_path"):
                st.image(detail["image_path"], caption=detail["key"])
            st.markdown(detail.get("question") or "")
            if detail.get("reasons"):
                st.caption("Rejected: " + "; ".join(detail["reasons"]))
        with right:
            if detail.get("code"):
                st.code(detail["code"], language="python")
            answers = json.loads(detail.get("quiz_answers") or "[]")
            if answers:
                data_table([{"Quiz": a["quiz_index"], "Answer": a["parsed_key"], "Correct": a["correct"]}
                            for a in answers], hide_index=True, key="answers_table")
