"""Compare: the runs' verdicts side by side, a prev/next stepper over problems, and one problem's
figures, quiz results and judge scores run by run."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.charts.figures import judge_bars, marks_styler, text_column_config
from dashboard.components.tables import data_table
from dashboard.data import table_csv
from dashboard.data.figures import CompareItem, Comparison

MAX_SIDE_BY_SIDE = 4
"""Runs per row of figures; more wrap onto the next row."""


def show_comparison(comparison: Comparison, *, only_disagreements: bool) -> None:
    """Counts, the verdict table (✓/✗ shaded) and its CSV download."""
    st.caption(
        f"{comparison.n_common} problems drawn by all {len(comparison.runs)} runs · "
        f"{comparison.n_disagree} where they disagree (render ok vs failed, or all quizzes right vs not)"
    )
    if comparison.table.empty:
        st.info(
            "No disagreements between these runs." if only_disagreements and comparison.n_common
            else "These runs drew no problem in common. Generate them over the same selection "
            "(e.g. `--ids` or `--subject`), then compare again."
        )
        return
    with st.expander(f"Verdicts per problem ({len(comparison.table)})", expanded=False):
        data_table(marks_styler(comparison.table, comparison.runs), hide_index=True)
        st.download_button(
            "Download the comparison (CSV)", table_csv(comparison.table), file_name="comparison.csv",
            mime="text/csv", on_click="ignore",
        )


def _step(key: str, uids: Sequence[str], offset: int) -> None:
    current = st.session_state.get(key)
    position = uids.index(current) if current in uids else 0
    st.session_state[key] = uids[(position + offset) % len(uids)]


def problem_stepper(uids: Sequence[str], *, key: str = "uid") -> str | None:
    """Prev / Next buttons around a problem picker bound to the URL (``?uid=``); wraps around."""
    if not uids:
        return None
    previous, picker, following = st.columns([1, 6, 1], vertical_alignment="bottom")
    with picker:
        uid = st.selectbox(f"Problem ({len(uids)} to step through)", list(uids), key=key, bind="query-params")
    options = list(uids)
    with previous:
        st.button("← Prev", key=f"{key}-prev", on_click=_step, args=(key, options, -1), width="stretch")
    with following:
        st.button("Next →", key=f"{key}-next", on_click=_step, args=(key, options, 1), width="stretch")
    st.caption(f"Problem {options.index(uid) + 1} of {len(options)}")
    return uid


def show_compare_item(item: CompareItem) -> None:
    st.subheader(item.uid)
    if item.problem is not None:
        st.caption(f"{item.problem.subject} · {item.problem.image_type}")
        with st.expander("Problem", expanded=False):
            st.markdown(item.problem.question_md)
    for start in range(0, len(item.sides), MAX_SIDE_BY_SIDE):
        row = item.sides[start : start + MAX_SIDE_BY_SIDE]
        for column, side in zip(st.columns(len(row)), row, strict=True):
            with column.container(border=True):
                st.markdown(f"**{side.run}** · {side.backend}" if side.backend else f"**{side.run}**")
                if side.image:
                    st.image(side.image)
                else:
                    st.warning(side.image_note or "No image.")
                st.markdown(side.verdict)
                if side.error:
                    st.caption(side.error)
                sources = [f"quizzes: {side.quiz_source}" if side.quiz_source else "",
                           f"judge: {side.judge_source}" if side.judge_source else ""]
                if any(sources):
                    st.caption(" · ".join(s for s in sources if s))
    runs = [side.run for side in item.sides]
    st.markdown("**Quiz results** (✓ right, ✗ wrong, – no answer; the letter is the option chosen)")
    if item.quizzes.empty:
        st.caption("This problem has no quizzes.")
    else:
        data_table(marks_styler(item.quizzes, runs), hide_index=True, column_config=text_column_config("Question"))
        st.download_button("Download quiz results (CSV)", table_csv(item.quizzes), file_name="quiz-results.csv",
                           mime="text/csv", on_click="ignore")
    st.markdown("**Judge scores**")
    if item.judge.empty:
        st.caption("No judge scores for these runs yet: `scigen evaluate --run RUN --judge PROFILE`.")
    else:
        st.plotly_chart(judge_bars(item.judge))
        st.download_button("Download judge scores (CSV)", table_csv(item.judge), file_name="judge-scores.csv",
                           mime="text/csv", on_click="ignore")
    if not item.metrics.empty:
        with st.expander("Other per-figure metrics"):
            data_table(item.metrics, hide_index=True)
            st.download_button("Download metrics (CSV)", table_csv(item.metrics), file_name="metrics.csv",
                               mime="text/csv", on_click="ignore")
