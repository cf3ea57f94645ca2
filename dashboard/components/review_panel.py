"""The Review page's widgets: who reviews, what to review, and the rating panels driven by keys.

Keyboard (Streamlit's button shortcuts, so every key is also a button to click):
``0`` ``1`` ``2`` score the highlighted dimension and move to the next; ``Y`` / ``N`` / ``B`` mark
the highlighted quiz readable / not readable / bad; ``Backspace`` takes back the last mark;
``→`` / ``←`` go to the next / previous figure. Two runs side by side: ``1`` / ``2`` pick the left /
right figure, ``T`` a tie. Every mark is saved at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.review.checks import JudgeCheck
from dashboard.components.tables import data_table
from dashboard.data import review as data
from dashboard.data.review import (
    DIMENSIONS,
    LABELS,
    PLANS,
    RUBRIC,
    SHORT_LABELS,
    VERDICT_LABELS,
    PairItem,
    ReviewItem,
)

SaveMarks = Callable[[dict[str, int], dict[int, str]], None]
SaveVote = Callable[[str | None], None]
PAIR_KEYS = {"1": "first", "2": "second", "T": "tie"}
VERDICT_KEYS = {"Y": "readable", "N": "not_readable", "B": "bad_quiz"}


def reviewer_identity(signed_in: str | None, *, sign_in: bool) -> str:
    """The signed-in email; else (when sign-in is off) a name typed in the sidebar, kept in the
    URL (``?reviewer=``) so a reload resumes the same review."""
    if signed_in:
        st.sidebar.caption(f"Reviewing as **{signed_in}**")
        st.sidebar.button("Sign out", key="review_sign_out", on_click=st.logout)
        return signed_in
    if sign_in:
        st.sidebar.button("Sign in to review", key="review_sign_in", on_click=st.login, type="primary")
        return ""
    if "reviewer" not in st.session_state:
        st.session_state["reviewer"] = st.query_params.get("reviewer", "")
    name = st.sidebar.text_input("Your name", key="reviewer", placeholder="e.g. ana",
                                 help="Ratings are saved under this name; the same name resumes your review").strip()
    if name:
        st.query_params["reviewer"] = name
    return name


def session_picker(runs: dict[str, str]) -> tuple[list[str], str, int, int]:
    """(run ids, plan, size, seed) chosen above the panel."""
    left, middle, right, last = st.columns([3, 3, 1, 1])
    names = left.multiselect("Runs", list(runs), default=list(runs)[:1], key="review_runs")
    plan = middle.selectbox("Sampling plan", list(PLANS), format_func=PLANS.get, key="review_plan")
    size = right.number_input("Figures", min_value=1, max_value=500, value=20, step=5, key="review_size")
    seed = last.number_input("Seed", min_value=0, value=0, step=1, key="review_seed")
    return [runs[name] for name in names], plan, int(size), int(seed)


def _mark(item: ReviewItem, save: SaveMarks, key: str) -> None:
    scores, verdicts = dict(item.scores), dict(item.verdicts)
    if key in ("0", "1", "2") and (dimension := item.next_dimension()) is not None:
        scores[dimension] = int(key)
    elif key in VERDICT_KEYS and (quiz := item.next_quiz()) is not None:
        verdicts[quiz] = VERDICT_KEYS[key]
    elif key == "Backspace":
        if verdicts:
            verdicts.pop(max(verdicts))
        elif scores:
            scores.pop(next(d for d in reversed(DIMENSIONS) if d in scores))
    else:
        return
    save(scores, verdicts)


def _move(state_key: str, to: int) -> None:
    st.session_state[state_key] = to


def navigation(state_key: str, position: int, total: int) -> None:
    """Previous / next figure buttons (← / →) with where the reviewer is."""
    left, middle, right = st.columns([1, 4, 1])
    left.button("← Previous", key="review_prev", shortcut="Left", disabled=position == 0,
                on_click=_move, args=(state_key, position - 1), width="stretch")
    middle.progress(min(position, total) / total, text=f"Figure {min(position + 1, total)} of {total}")
    right.button("Next →", key="review_next", shortcut="Right", disabled=position >= total - 1,
                 on_click=_move, args=(state_key, position + 1), width="stretch")


def rating_panel(item: ReviewItem, save: SaveMarks | None) -> None:
    """The figure, its problem, the rubric with the reviewer's scores, and the key buttons."""
    figure, text = st.columns([3, 2], gap="large")
    with figure:
        st.caption(f"{item.uid} · run {item.run_name}")
        if item.image is not None:
            st.image(str(item.image))
        else:
            st.warning("The figure's image file is missing.")
    with text:
        st.markdown("**Problem**")
        st.markdown(item.question_md)
    current = item.next_dimension()
    st.markdown("**Rate each dimension 0-2 (the judge's rubric)**")
    for dimension in DIMENSIONS:
        score = item.scores.get(dimension)
        marker = "▶ " if dimension == current else ""
        shown = f"**{score}**" if score is not None else "–"
        st.markdown(f"{marker}{shown} · **{LABELS[dimension]}** ({SHORT_LABELS[dimension]}): {RUBRIC[dimension]}")
    quiz = item.next_quiz() if current is None else None
    for index, (question, options) in enumerate(item.quizzes):
        verdict = VERDICT_LABELS.get(item.verdicts.get(index, ""), "–")
        marker = "▶ " if index == quiz else ""
        choices = " · ".join(f"{key}: {value}" for key, value in options.items())
        st.markdown(f"{marker}**{verdict}** · Quiz {index + 1}: {question} ({choices})")
    if save is None:
        return
    keys = st.columns(7)
    for column, (key, label) in zip(keys, [("0", "0"), ("1", "1"), ("2", "2"), ("Y", "Y readable"),
                                           ("N", "N not readable"), ("B", "B quiz is bad"), ("Backspace", "Undo")],
                                    strict=True):
        column.button(label, key=f"review_key_{key}", shortcut=key, on_click=_mark, args=(item, save, key),
                      width="stretch")


def revealed_scores(item: ReviewItem, judge: pd.DataFrame, answers: pd.DataFrame) -> None:
    """The machine scores, only once the reviewer has rated the item."""
    if not item.rated:
        st.caption("Model scores stay hidden until you have rated all five dimensions.")
        return
    with st.container(border=True, key="review_revealed"):
        st.markdown("**What the models said**")
        if judge.empty and answers.empty:
            st.caption("No judge or quiz answerer has scored this figure.")
        if not judge.empty:
            data_table(judge, hide_index=True, key="review_judge_table")
        if not answers.empty:
            data_table(answers.rename_axis("Quiz").reset_index(), hide_index=True, key="review_quiz_table")


def _vote(item: PairItem, save: SaveVote, key: str) -> None:
    save(None if key == "Backspace" else PAIR_KEYS[key])


def pair_panel(item: PairItem, save: SaveVote | None) -> None:
    """Two runs' figures of one problem side by side (order drawn per problem); ``1`` / ``2`` pick
    the left / right figure, ``T`` a tie; which run drew which shows once picked."""
    st.caption(item.uid)
    st.markdown(item.question_md)
    for column, image, label, name, side in zip(st.columns(2), item.images, ("Figure 1", "Figure 2"), item.names,
                                                ("first", "second"), strict=True):
        with column.container(border=True):
            chosen = " ✓ picked" if item.picked in (side, "tie") else ""
            st.markdown(f"**{label}**{chosen}" + (f" · run {name}" if item.rated else ""))
            if image is not None:
                st.image(str(image))
            else:
                st.caption("No image")
    if save is None:
        return
    keys = st.columns(4)
    for column, (key, label) in zip(keys, [("1", "1 left is better"), ("2", "2 right is better"), ("T", "T tie"),
                                           ("Backspace", "Undo")], strict=True):
        column.button(label, key=f"pair_key_{key}", shortcut=key, on_click=_vote, args=(item, save, key),
                      width="stretch")


def agreement_section(check: JudgeCheck, runs: dict[str, str]) -> None:
    """Judge vs people: the agreement table, the quiz answerer, reviewers among themselves, a
    confusion table and the largest disagreements (linked to the Explorer)."""
    if check.table.empty:
        st.caption("Agreement appears once some rated figure also has judge scores.")
        return
    st.caption(check.note)
    data_table(data.agreement_table(check), hide_index=True, key="review_agreement")
    quiz = check.quiz
    if quiz["n_pairs"]:
        st.caption(f"Quiz answerer vs reviewers: {quiz['accuracy']:.0%} agree on {quiz['n_pairs']} quizzes "
                   f"(kappa {quiz['kappa']:.2f}); {quiz['n_bad_quiz']} quiz verdict(s) say the quiz is bad.")
    if not check.reviewers.empty:
        st.caption("Reviewer vs reviewer (items rated by two or more)")
        data_table(check.reviewers, hide_index=True, key="review_reviewers")
    dimension = st.selectbox("Confusion table of", list(LABELS), format_func=LABELS.get, key="review_confusion")
    data_table(data.confusion(check, dimension), key="review_confusion_table")
    st.markdown("**Largest disagreements**")
    data_table(data.disagreement_links(check, runs), hide_index=True, key="review_disagreements",
               column_config={"Figure": st.column_config.LinkColumn("Figure", display_text="open")})
