"""The generated-figure gallery (thumbnails, paginated) and the item view of one figure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.charts.figures import gallery_column_config, marks_styler, text_column_config
from dashboard.components.problem_view import show_problem
from dashboard.components.tables import data_table
from dashboard.data import table_csv
from dashboard.data.figures import AttemptView, FigureItem, GalleryPage

GALLERY_COLUMNS = 4
TILE_TEXT_CHARS = 26
"""Characters a tile's caption line holds on a wide screen; longer text is clipped (full in the tooltip)."""


def clip_line(text: str, chars: int = TILE_TEXT_CHARS, *, keep_end: bool = False) -> str:
    """``text`` cut to ``chars`` characters with an ellipsis; ``keep_end`` keeps the end (uids
    share their source prefix and differ at the end)."""
    if len(text) <= chars:
        return text
    return "…" + text[-(chars - 1):] if keep_end else text[: chars - 1] + "…"


def _open(key: str, uid: str) -> None:
    st.session_state[key] = uid


def figure_gallery(gallery: GalleryPage, *, key: str = "uid", empty_hint: str = "") -> None:
    """Thumbnail tiles of one page with their verdicts; "Open" shows the figure below."""
    if not gallery.tiles:
        st.info(empty_hint or "No figure of this run matches these filters. Widen them.")
        return
    st.caption(f"{gallery.total} figures of run **{gallery.run}** match · page {gallery.page} of {gallery.num_pages}")
    for start in range(0, len(gallery.tiles), GALLERY_COLUMNS):
        for column, tile in zip(st.columns(GALLERY_COLUMNS), gallery.tiles[start : start + GALLERY_COLUMNS], strict=False):
            with column.container(border=True):
                if tile.thumbnail:
                    st.image(tile.thumbnail)
                else:
                    st.caption("No image" if tile.status != "ok" else "Image file missing")
                # One line each, so every tile of a row has the same height.
                st.markdown(f"**{clip_line(tile.verdict)}**")
                st.caption(clip_line(tile.image_type), help=f"{tile.uid} · {tile.image_type}")
                st.caption(clip_line(tile.uid, keep_end=True))
                st.button("Open", key=f"open-{tile.uid}", on_click=_open, args=(key, tile.uid), width="stretch")
    with st.expander("This page as a table"):
        data_table(marks_styler(gallery.rows, ["Verdict"]), column_config=gallery_column_config(), hide_index=True)
        st.download_button(
            "Download this page (CSV)", table_csv(gallery.rows), file_name=f"figures-{gallery.run}.csv",
            mime="text/csv", on_click="ignore",
        )


def figure_picker(gallery: GalleryPage, *, key: str = "uid") -> str | None:
    """Which figure of the page is open; bound to the URL (``?uid=``), the first by default."""
    if not gallery.tiles:
        return None
    return st.selectbox("Open a figure (uid)", gallery.uids, key=key, bind="query-params")


def show_figure(item: FigureItem) -> None:
    st.subheader(item.uid)
    money = f" · ${item.cost_usd:.4f}" if item.cost_usd else ""
    took = f" · {item.latency_s:.1f} s" if item.latency_s else ""
    st.caption(f"run **{item.run}** · {item.verdict} · {len(item.attempts)} attempt(s){money}{took}")
    tabs = st.tabs(
        ["Figure", "Problem", f"Attempts ({len(item.attempts)})", f"Quiz answers ({len(item.quiz_answers)})",
         f"Judge ({len(item.judge_scores)})", "Figure facts"]
    )
    with tabs[0]:
        _figure_and_reference(item)
    with tabs[1]:
        if item.problem is not None:
            show_problem(item.problem)
        else:
            st.warning(f"Problem `{item.uid}` is not in the store (imported figures of another workspace?).")
    with tabs[2]:
        _attempts(item.attempts)
    with tabs[3]:
        _quiz_answers(item)
    with tabs[4]:
        _judge(item)
    with tabs[5]:
        _facts(item)


def _figure_and_reference(item: FigureItem) -> None:
    generated, reference = st.columns(2, gap="large")
    with generated:
        st.markdown("**Generated figure**")
        if item.image:
            st.image(item.image)
            st.download_button(
                "Download PNG", Path(item.image).read_bytes(), file_name=f"{item.uid}.png".replace(":", "_"),
                mime="image/png", on_click="ignore",
            )
        else:
            st.warning(item.image_note or "No image.")
        if item.error_class:
            st.error(f"{item.error_class}: {item.error_message or ''}")
    with reference:
        st.markdown("**Reference**")
        image, caption = item.reference
        if image:
            st.image(image, caption=caption)
        else:
            st.caption(caption)
    if item.plan:
        st.markdown("**Plan**")
        st.markdown(item.plan)
    if item.code:
        st.markdown("**Code**")
        st.code(item.code, language="python", line_numbers=True)
        st.download_button(
            "Download .py", item.code, file_name=f"{item.uid}.py".replace(":", "_"), mime="text/x-python",
            on_click="ignore",
        )
    for note in item.notes:
        st.caption(note)


def _attempts(attempts: list[AttemptView]) -> None:
    if not attempts:
        st.caption("No attempts stored (an offline or imported figure made without a repair loop).")
    for attempt in attempts:
        with st.expander(attempt.title, expanded=attempt.status != "ok"):
            if attempt.error_class:
                st.error(f"{attempt.error_class}: {attempt.error_message or ''}")
            if attempt.traceback:
                st.code(attempt.traceback, language="text")
            if attempt.image:
                st.image(attempt.image, caption=f"Render of attempt {attempt.number}")
            if attempt.plan:
                st.markdown(f"**Plan**\n\n{attempt.plan}")
            if attempt.code:
                st.code(attempt.code, language="python", line_numbers=True)
            if attempt.raw_reply:
                st.markdown("**Raw reply**")
                st.code(attempt.raw_reply, language="markdown", wrap_lines=True)
            for note in attempt.notes:
                st.caption(note)
            if attempt.render_s is not None:
                st.caption(f"Rendered in {attempt.render_s:.2f} s")


def _table(frame: pd.DataFrame, name: str, *, marks: list[str] | None = None, wide: tuple[str, ...] = ()) -> None:
    shown = marks_styler(frame, marks) if marks else frame
    data_table(shown, hide_index=True, column_config=text_column_config(*wide))
    st.download_button(
        f"Download {name} (CSV)", table_csv(frame), file_name=f"{name.replace(' ', '-')}.csv", mime="text/csv",
        key=f"download-{name}", on_click="ignore",
    )


def _quiz_answers(item: FigureItem) -> None:
    if item.quiz_answers.empty:
        st.info(f"No quiz answers yet: `scigen evaluate --run {item.run} --vqa ocr` (offline) or `--vqa PROFILE`.")
        return
    for evaluation, part in item.quiz_answers.groupby("Evaluation", sort=False):
        right = int((part["Result"] == "✓").sum())
        st.markdown(f"**{evaluation}** · answered by `{part['Answerer'].iloc[0]}` · {right}/{len(part)} right")
        _table(part.drop(columns=["Evaluation"]), f"quiz answers {evaluation}", marks=["Result"],
               wide=("Question", "Reply"))


def _judge(item: FigureItem) -> None:
    if item.judge_scores.empty:
        st.info(f"No judge scores yet: `scigen evaluate --run {item.run} --judge PROFILE`.")
        return
    _table(item.judge_scores, "judge scores", wide=("Rationale",))


def _facts(item: FigureItem) -> None:
    if item.figure_facts.empty and item.metrics.empty and item.canvas is None:
        st.info(f"No figure facts yet: `scigen evaluate --run {item.run} --metrics figure-facts,ssim`.")
        return
    if not item.figure_facts.empty:
        st.markdown("**Figure facts** (overlapping texts, texts off the canvas, given values shown, answer leak)")
        _table(item.figure_facts, "figure facts", wide=("Detail",))
    if not item.metrics.empty:
        st.markdown("**Other per-figure metrics**")
        _table(item.metrics, "metrics", wide=("Detail",))
    if item.canvas is not None:
        with st.expander(f"Sandbox facts of the rendered figure: {item.canvas_summary or ''}"):
            st.json(item.canvas, expanded=False)
