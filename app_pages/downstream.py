"""Downstream: does training on generated figures help, and how does it scale with data size?"""

import streamlit as st

from dashboard.charts.downstream import accuracy_column_config, fits_column_config, scaling_chart
from dashboard.components.filters import choice_filter, multi_choice_pills
from dashboard.components.tables import data_table
from dashboard.data import outcomes as data
from dashboard.data import table_csv

st.header("Downstream utility")
everything = data.downstream_view()
controls = st.columns([1, 3])
with controls[0]:
    benchmark = choice_filter("Benchmark", everything.benchmarks, key="benchmark")
with controls[1]:
    sources = multi_choice_pills("Source", everything.sources, key="source", help="None selected shows all")
view = data.downstream_view(benchmark, sources)

st.subheader("Accuracy against training-set size")
if view.points.empty:
    st.info(data.EMPTY_SCALING)
else:
    st.plotly_chart(scaling_chart(view.points, view.fits, benchmark), key="scaling_chart")
    st.caption("Fit per source: accuracy = a + b·log10(samples); b is the gain per tenfold more data.")
    data_table(view.fits_table, hide_index=True, column_config=fits_column_config(), key="scaling_fits")
    st.download_button("Download fits CSV", table_csv(view.fits_table), "scaling_fits.csv", "text/csv",
                       key="fits_csv")
    st.download_button("Download points CSV", table_csv(view.points), "scaling_points.csv", "text/csv",
                       key="points_csv")

st.subheader("Reported: Qwen3-VL-8B fine-tuned on each source's images (accuracy %)")
if view.reported.empty:
    st.info("No reported downstream table: run `scigen init` to load the paper's results.")
else:
    data_table(view.reported, hide_index=True, column_config=accuracy_column_config(view.reported),
               key="reported_table")
    st.download_button("Download CSV", table_csv(view.reported), "downstream_reported.csv", "text/csv",
                       key="reported_csv")

st.subheader("Import training outcomes")
upload = st.file_uploader(
    "CSV with columns source, train_samples, benchmark, accuracy (%)", type=["csv"], key="outcomes_upload"
)
if upload is not None:
    check = data.check_upload(upload.name, upload.getvalue())
    if not check.ok:
        st.error("Nothing imported — this file is not a valid training-outcomes CSV:\n\n"
                 + "\n".join(f"- {error}" for error in check.errors))
    else:
        data_table(check.preview, hide_index=True, column_config=accuracy_column_config(check.preview),
                   key="upload_preview")
        if st.button(f"Import {len(check.outcomes)} rows as '{check.provenance}'", key="import_upload"):
            counts = data.import_upload(check)
            st.success(f"Stored {counts.rows} rows as '{counts.provenance}'"
                       + ("" if counts.changed else " (already stored, nothing changed)"))
