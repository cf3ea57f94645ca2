"""Explorer: browse the problems, or a generation run's figures, by subject, image type and source;
open one to see it in full (the figure with its attempts, quiz answers, judge scores and facts)."""

import dataclasses

import streamlit as st

from core.problems.selection import ProblemSelection
from dashboard import data
from dashboard.components.figure_view import figure_gallery, figure_picker, show_figure
from dashboard.components.filters import choice_filter, paginator, search_box
from dashboard.components.problem_view import problem_listing, problem_picker, show_problem
from dashboard.data import figures

st.header("Explorer")

facets = data.problem_facets()
runs = figures.generation_runs()
columns = st.columns(4)
with columns[0]:
    run = choice_filter(
        "Run", list(runs), key="run", resets=["page"], all_label="Problems (no run)",
        help="Pick a generation run to see its figures; without one the problems are listed",
    )
with columns[1]:
    subject = choice_filter("Subject", facets.get("subject", []), key="subject", resets=["page"])
with columns[2]:
    image_type = choice_filter(
        "Image type",
        data.image_types_for(subject, facets.get("image_type", [])),
        key="type",
        resets=["page"],
        help="Untyped problems (SeePhys) appear under Physics with no image type chosen",
    )
with columns[3]:
    source = choice_filter("Source", facets.get("source", []), key="source", resets=["page"])
problems = ProblemSelection(subject=subject, image_type=image_type, source=source)
if run is not None and (backend := figures.drawn_in([run])):
    st.caption(backend)

if run is None:
    search = search_box(key="q", placeholder="text in the question, or an id", resets=["page"])
    if not runs and facets.get("source"):
        st.caption(f"No generated figures yet: {figures.NO_RUN_HINT}.")
    results = st.container()
    searched = dataclasses.replace(problems, search=search)
    page = paginator(data.problem_page_count(searched), key="page")
    listing = data.problem_page(searched, page=page)
    with results:
        problem_listing(listing, empty_store=not facets.get("source"))
    st.divider()
    uid = problem_picker(listing.rows, key="uid")
    detail = data.problem_detail(uid) if uid else None
    if detail is not None:
        show_problem(detail)
    st.stop()

outcome_column, error_column = st.columns(2)
with outcome_column:
    outcome = choice_filter("Outcome", figures.OUTCOMES, key="status", resets=["page"],
                            help="Rendered or failed; quizzes all right, some wrong, or not answered yet")
with error_column:
    error = choice_filter("Error class", figures.error_classes(run), key="error", resets=["page"],
                          help="Figures whose final outcome or any attempt met this error")
figure_filters = {"run": run, "problems": problems, "outcome": outcome, "error": error}
results = st.container()
page = paginator(figures.gallery_page_count(**figure_filters), key="page")
gallery = figures.gallery_page(**figure_filters, page=page)
with results:
    figure_gallery(gallery, key="uid")
st.divider()
uid = figure_picker(gallery, key="uid")
item = figures.figure_item(run, uid) if uid else None
if item is not None:
    show_figure(item)
