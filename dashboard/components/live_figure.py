"""The figure made on the Generate page (image, plan, code, attempts, downloads) and its checks."""

from __future__ import annotations

import streamlit as st

from core.problems.models import Problem
from dashboard.charts import generate as generate_charts
from dashboard.components.generate_inputs import remember_quizzes
from dashboard.components.tables import data_table
from dashboard.data import generate as data
from dashboard.data import table_csv

CHECKS_KEY = "live_checks"
"""session_state key: {(problem uid, choice key, check): result table}."""
OCR = "ocr"


def show_live_figure(live: data.LiveFigure) -> None:
    figure, plan = st.columns([3, 2], gap="large")
    with figure:
        if live.png is not None:
            st.image(live.png, caption=live.choice.label)
            st.download_button(
                "Download PNG",
                live.png,
                file_name=f"{live.file_stem}.png",
                mime="image/png",
                key="download_png",
                on_click="ignore",
            )
        else:
            st.error(f"No figure: {live.error}")
        if live.code:
            tex = live.code_extension == ".tex"
            st.download_button(
                f"Download {'TikZ' if tex else 'script'} ({live.code_extension})",
                live.code,
                file_name=f"{live.file_stem}{live.code_extension}",
                mime="text/x-tex" if tex else "text/x-python",
                key="download_code",
                on_click="ignore",
            )
    with plan:
        st.markdown("**Plan**")
        st.markdown(generate_charts.plan_markdown(live.plan))
        cost = f" · ${live.cost_usd:.4f}" if live.cost_usd is not None else ""
        st.caption(f"{len(live.attempts)} attempt(s) · {live.seconds:.1f} s{cost}")
    if live.code:
        with st.expander("Code", expanded=live.png is None):
            st.code(live.code, language="python", line_numbers=True)
    with st.expander(f"Attempts ({len(live.attempts)})", expanded=live.status != "ok"):
        data_table(live.attempts, hide_index=True, column_config=generate_charts.attempts_column_config())
        st.download_button(
            "Download attempts (CSV)",
            table_csv(live.attempts),
            file_name=f"{live.file_stem}-attempts.csv",
            mime="text/csv",
            key="download_attempts",
            on_click="ignore",
        )
        for note in live.notes:
            st.caption(note)


def _remember(live: data.LiveFigure, check: str, table) -> None:
    st.session_state.setdefault(CHECKS_KEY, {})[(live.problem_uid, live.choice.key, check)] = table


def _shown(live: data.LiveFigure, check: str):
    return st.session_state.get(CHECKS_KEY, {}).get((live.problem_uid, live.choice.key, check))


def _run(action, *args):
    try:
        return action(*args)
    except data.WorkbenchError as exc:
        st.error(str(exc))
        return None


def evaluation_panel(problem: Problem, live: data.LiveFigure, models: list[str]) -> None:
    """Write quizzes (model), answer them from the image (OCR offline, or a vision model), judge it."""
    st.subheader("Check the figure")
    if not problem.quizzes:
        st.caption(
            "This problem has no quizzes yet"
            + (
                ": write them with a model below."
                if models
                else ". Writing quizzes needs a model; stored problems come with theirs."
            )
        )
    write, answer, judge = st.columns(3)
    with write:
        if models:
            writer = st.selectbox("Quiz writer", models, key="quiz_writer")
            if st.button("Write quizzes", key="write_quizzes"):
                with st.spinner(f"{writer} is writing quizzes …"):
                    updated = _run(data.quizzes_for, problem, writer)
                if updated is not None:
                    remember_quizzes(updated)
                    st.rerun()
    with answer:
        answerer = st.selectbox(
            "Answer the quizzes with",
            [OCR, *models],
            key="answerer",
            format_func=lambda m: "OCR (offline)" if m == OCR else m,
        )
        if st.button("Answer the quizzes", key="answer_quizzes", disabled=not problem.quizzes):
            with st.spinner("Answering from the image alone …"):
                table = _run(data.answer_quizzes, problem, live, answerer)
            if table is not None:
                _remember(live, f"answers:{answerer}", table)
    with judge:
        if models:
            judge_model = st.selectbox("Judge", models, key="judge_model")
            if st.button("Judge (5 dimensions)", key="judge"):
                with st.spinner(f"{judge_model} is judging …"):
                    table = _run(data.judge_figure, problem, live, judge_model)
                if table is not None:
                    _remember(live, f"judge:{judge_model}", table)
        else:
            st.caption("The judge needs a model (see above).")
    answers = _shown(live, f"answers:{answerer}")
    if answers is not None:
        st.markdown(
            f"**Quiz answers** ({'OCR' if answerer == OCR else answerer}): "
            f"{generate_charts.quiz_summary(answers)}"
        )
        data_table(answers, hide_index=True, column_config=generate_charts.answers_column_config())
        st.download_button(
            "Download answers (CSV)",
            table_csv(answers),
            file_name=f"{live.file_stem}-answers.csv",
            mime="text/csv",
            key="download_answers",
            on_click="ignore",
        )
    scores = _shown(live, f"judge:{st.session_state.get('judge_model')}") if models else None
    if scores is not None:
        st.markdown("**Judge scores** (0-2 per dimension)")
        data_table(scores, hide_index=True, column_config=generate_charts.judge_column_config())
        st.download_button(
            "Download judge scores (CSV)",
            table_csv(scores),
            file_name=f"{live.file_stem}-judge.csv",
            mime="text/csv",
            key="download_judge",
            on_click="ignore",
        )
