"""AppTest of app_pages/compare.py over a workspace with real runs (tests/dashboard/figure_workspaces.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages.pagekit import page_runner
from tests.dashboard import backend_workspaces as bw
from tests.dashboard import figure_workspaces as fw

run_page = page_runner("compare.py")


@pytest.fixture(scope="module")
def _figures_home(tmp_path_factory) -> Path:
    return fw.figure_workspace(tmp_path_factory.mktemp("figures"))


@pytest.fixture
def figures_home(_figures_home, monkeypatch) -> Path:
    monkeypatch.setenv("SCIGEN_HOME", str(_figures_home))
    return _figures_home


def summary_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "problems drawn by all" in c.value)


def test_two_runs_side_by_side_with_quiz_results_and_judge_scores(figures_home):
    at = run_page(runs=[fw.GOLD_RUN, fw.CARD_RUN])
    assert not at.exception
    assert at.multiselect(key="runs").value == [fw.GOLD_RUN, fw.CARD_RUN]
    assert summary_caption(at).startswith(f"{len(fw.FIGURE_UIDS)} problems drawn by all 2 runs")
    assert at.selectbox(key="uid").value == fw.SAMPLE_UIDS[0]
    assert len(at.image) == 2  # one figure per run
    frames = [frame.value for frame in at.dataframe]
    verdicts = next(f for f in frames if "Disagree" in f.columns)
    assert list(verdicts.columns[-3:]) == [fw.GOLD_RUN, fw.CARD_RUN, "Disagree"]
    quizzes = next(f for f in frames if "Correct option" in f.columns)
    assert {fw.GOLD_RUN, fw.CARD_RUN} <= set(quizzes.columns) and len(quizzes) == 4
    assert quizzes[fw.GOLD_RUN].str[0].isin(["✓", "✗", "–"]).all()
    assert len(at.get("plotly_chart")) == 1  # judge scores (gold was judged)
    assert any("quizzes: gold · ocr" in c.value for c in at.caption)
    bound = {w.proto.query_param_key for w in [*at.multiselect, *at.toggle, *at.selectbox]}
    assert bound == {"runs", "only_disagreements", "uid"}


def test_only_disagreements_and_stepping_through_them(figures_home):
    at = run_page(runs=[fw.CODER_RUN, fw.GOLD_RUN])
    assert not at.exception
    assert at.selectbox(key="uid").options == list(fw.CODER_UIDS)
    at.toggle(key="only_disagreements").set_value(True).run()
    assert not at.exception
    assert at.selectbox(key="uid").options == [fw.BROKEN_UID]  # coder failed it, gold rendered it
    assert any("No image" in w.value for w in at.warning)
    assert any("NameError" in c.value for c in at.caption)


def test_prev_and_next_step_and_wrap_around(figures_home):
    at = run_page(runs=[fw.GOLD_RUN, fw.CARD_RUN])
    uids = at.selectbox(key="uid").options
    at.button(key="uid-next").click().run()
    assert not at.exception and at.selectbox(key="uid").value == uids[1]
    assert f"Problem 2 of {len(uids)}" in [c.value for c in at.caption]
    at.button(key="uid-prev").click().run()
    at.button(key="uid-prev").click().run()
    assert at.selectbox(key="uid").value == uids[-1]


def test_default_picks_the_pair_sharing_the_most_problems(figures_home):
    # coder (newest) drew only 2 of the problems; gold and card share 5 of them.
    at = run_page()
    assert not at.exception
    assert at.multiselect(key="runs").value == [fw.CARD_RUN, fw.GOLD_RUN]
    assert summary_caption(at).startswith(f"{len(fw.FIGURE_UIDS)} problems drawn by all 2 runs")
    at.multiselect(key="runs").unselect(fw.CARD_RUN).run()
    assert not at.exception
    assert any("Pick two or more runs" in info.value for info in at.info)


def test_without_two_runs_it_says_how_to_make_them(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "empty"))
    at = run_page()
    assert not at.exception
    assert any("scigen generate --model reference --run gold" in info.value for info in at.info)


def test_a_tikz_run_and_a_matplotlib_run_side_by_side_each_named_with_its_backend(tmp_path_factory, monkeypatch):
    home = bw.backend_workspace(tmp_path_factory.mktemp("backends"))
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    at = run_page(runs=[bw.MATPLOTLIB_RUN, bw.TIKZ_RUN])
    assert not at.exception
    assert set(at.multiselect(key="runs").value) == {bw.MATPLOTLIB_RUN, bw.TIKZ_RUN}
    drawn_in = next(c.value for c in at.caption if c.value.startswith("Drawn in:"))
    assert f"{bw.MATPLOTLIB_RUN} · Matplotlib" in drawn_in and f"{bw.TIKZ_RUN} · TikZ" in drawn_in
    assert len(at.image) == 2  # one figure per backend
    headings = [m.value for m in at.markdown]
    assert f"**{bw.MATPLOTLIB_RUN}** · Matplotlib" in headings and f"**{bw.TIKZ_RUN}** · TikZ" in headings
