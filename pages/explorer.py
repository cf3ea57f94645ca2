"""Explorer: browse the problems by subject, image type and source; open one to see it in full."""

import streamlit as st

from dashboard import charts, data
from dashboard.components.filters import choice_filter, paginator, search_box
from dashboard.components.problem_view import problem_picker, show_problem

st.header("Explorer")

facets = data.problem_facets()
columns = st.columns(4)
with columns[0]:
    subject = choice_filter("Subject", facets.get("subject", []), key="subject", resets=["page"])
with columns[1]:
    image_type = choice_filter(
        "Image type",
        data.image_types_for(subject, facets.get("image_type", [])),
        key="type",
        resets=["page"],
        help="Untyped problems (SeePhys) appear under Physics with no image type chosen",
    )
with columns[2]:
    source = choice_filter("Source", facets.get("source", []), key="source", resets=["page"])
with columns[3]:
    search = search_box(key="q", placeholder="text in the question, or an id", resets=["page"])

filters = {"subject": subject, "image_type": image_type, "source": source, "search": search}
results = st.container()
page = paginator(data.problem_page_count(**filters), key="page")
listing = data.problem_page(**filters, page=page)

with results:
    if listing.total == 0:
        empty_store = not facets.get("source")
        st.info(
            "No problems in this workspace yet. Run `scigen init` for the bundled sample, or `scigen import PATH`."
            if empty_store
            else "No problem matches these filters. Widen them or clear the search."
        )
        st.stop()
    st.caption(f"{listing.total} problems match · page {listing.page} of {listing.num_pages}")
    st.dataframe(listing.rows, column_config=charts.problem_column_config(), hide_index=True)
    st.download_button(
        "Download this page (CSV)", data.table_csv(listing.rows), file_name="problems.csv", mime="text/csv"
    )

st.divider()
uid = problem_picker(listing.rows, key="uid")
detail = data.problem_detail(uid) if uid else None
if detail is not None:
    show_problem(detail)
