"""The detail view of one problem: question, answer, elements, quizzes, reference figure."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.components.tables import data_table
from dashboard.data import ProblemDetail, ProblemPage, QuizView, table_csv


def problem_listing(listing: ProblemPage, *, empty_store: bool) -> None:
    """The page of problems as a table with its count and a CSV download; an empty result says
    what to do next."""
    if listing.total == 0:
        st.info(
            "No problems in this workspace yet. Run `scigen init` for the bundled sample, or `scigen import PATH`."
            if empty_store
            else "No problem matches these filters. Widen them or clear the search."
        )
        return
    st.caption(f"{listing.total} problems match · page {listing.page} of {listing.num_pages}")
    data_table(listing.rows, column_config=charts.problem_column_config(), hide_index=True)
    st.download_button(
        "Download this page (CSV)", table_csv(listing.rows), file_name="problems.csv", mime="text/csv"
    )


def problem_picker(rows: pd.DataFrame, *, key: str = "uid") -> str | None:
    """Choose one problem of the listed rows by uid.

    Bound to the URL, so a link opens the same problem; the options are bare uids because the
    URL holds the shown text (the question is in the table just above).
    """
    if rows.empty:
        return None
    return st.selectbox("Open a problem (uid)", list(rows["UID"]), key=key, bind="query-params")


def quiz_markdown(number: int, quiz: QuizView) -> str:
    lines = [f"**Q{number}.** {quiz.question_md}", ""]
    for option in quiz.options:
        mark = "✅ " if option.correct else "◻️ "
        suffix = " — *correct*" if option.correct else ""
        lines.append(f"- {mark}**{option.key}.** {option.text_md}{suffix}")
    return "\n".join(lines)


def show_problem(detail: ProblemDetail) -> None:
    st.subheader(detail.uid)
    st.caption(f"{detail.subject} · {detail.image_type} · source: {detail.source}")
    text, figure = st.columns([3, 2], gap="large")
    with text:
        st.markdown("**Question**")
        st.markdown(detail.question_md)
        if detail.multimodal_question_md:
            with st.expander("Multimodal question (values read from the figure)"):
                st.markdown(detail.multimodal_question_md)
        st.markdown("**Answer**")
        st.markdown(detail.answer_md or "*none given*")
        st.markdown("**Elements** (visual facts a correct figure shows)")
        st.markdown("\n".join(f"- {e}" for e in detail.elements_md) or "*none listed*")
    with figure:
        _reference(detail)
    st.markdown(f"**Quizzes** ({len(detail.quizzes)})")
    if not detail.quizzes:
        st.caption("No quizzes for this problem.")
    for number, quiz in enumerate(detail.quizzes, start=1):
        with st.container(border=True):
            st.markdown(quiz_markdown(number, quiz))
            if quiz.evidence:
                st.caption(f"Evidence: {quiz.evidence}")


def _reference(detail: ProblemDetail) -> None:
    st.markdown("**Reference figure**")
    if detail.reference_image:
        st.image(detail.reference_image, caption="Ground-truth figure")
    elif detail.gold_figure:
        st.image(detail.gold_figure, caption="Gold figure rendered from the reference script")
    elif detail.reference_image_missing:
        st.caption(f"Reference image `{detail.reference_image_missing}` is declared but not found on disk.")
    elif detail.reference_code:
        st.caption("No rendered gold figure in this workspace yet; the script that draws it is below.")
    else:
        st.caption("This problem has no reference figure.")
    if detail.reference_code:
        with st.expander("Reference script (Matplotlib)"):
            st.code(detail.reference_code, language="python")
