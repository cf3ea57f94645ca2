"""AppTest of app_pages/explorer.py over a seeded workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages.pagekit import page_runner
from tests.dashboard import backend_workspaces as bw
from tests.dashboard import figure_workspaces as fw

run_page = page_runner("explorer.py")


def problems_table(at: AppTest):
    return next(d.value for d in at.dataframe if "UID" in d.value.columns)


def match_count(at: AppTest) -> int:
    caption = next(c.value for c in at.caption if "problems match" in c.value)
    return int(caption.split()[0])


def test_lists_problems_and_opens_the_first(seeded_home):
    at = run_page()
    assert not at.exception
    rows = problems_table(at)
    assert len(rows) == 25 and {"UID", "Subject", "Image type", "Question"} <= set(rows.columns)
    assert match_count(at) > 25
    assert at.pagination(key="page").num_pages >= 2
    assert at.selectbox(key="uid").value == rows["UID"].iloc[0]
    assert any(s.value == rows["UID"].iloc[0] for s in at.subheader)
    assert any("✅" in m.value for m in at.markdown)  # correct quiz option marked
    assert at.code  # the sample's reference script is shown
    bound = {w.proto.query_param_key for w in [*at.selectbox, *at.text_input, *at.pagination]}
    assert bound == {"run", "subject", "type", "source", "q", "page", "uid"}  # a link reproduces the view


def test_subject_filter_reduces_the_count(seeded_home):
    at = run_page()
    total = match_count(at)
    at.selectbox(key="subject").set_value("Chemistry").run()
    assert not at.exception
    rows = problems_table(at)
    assert 0 < match_count(at) < total
    assert set(rows["Subject"]) == {"Chemistry"}
    type_options = at.selectbox(key="type").options
    assert type_options[0] == "All" and all(t.startswith("Chemistry - ") for t in type_options[1:])


def test_link_opens_an_untyped_seephys_problem_with_its_reference_image(seeded_home, seephys_uid):
    at = run_page(subject="Physics", source="seephys", uid=seephys_uid)
    assert not at.exception
    rows = problems_table(at)
    assert list(rows["UID"]) == [seephys_uid]
    assert list(rows["Image type"]) == ["Physics (untyped)"]
    assert at.selectbox(key="uid").value == seephys_uid
    assert at.image  # reference figure drawn
    assert any("$m = 2\\,kg$" in m.value for m in at.markdown)  # WebInstruct markup rendered


def test_search_and_second_page(seeded_home):
    at = run_page()
    at.pagination(key="page").select(2).run()
    assert not at.exception
    assert "page 2 of" in next(c.value for c in at.caption if "problems match" in c.value)
    at.text_input(key="q").input("zzz-no-such-text").run()
    assert any("No problem matches" in info.value for info in at.info)


def test_empty_workspace_says_what_to_do(empty_home):
    at = run_page()
    assert not at.exception
    assert any("scigen import" in info.value for info in at.info)


def test_image_type_follows_the_subject(seeded_home):
    at = run_page(subject="Chemistry", type="Chemistry - Spectra")
    rows = problems_table(at)
    assert len(rows) > 0 and set(rows["Image type"]) == {"Chemistry - Spectra"}
    at.selectbox(key="subject").set_value("Math").run()
    assert not at.exception
    assert at.selectbox(key="type").value == "All"  # a Chemistry type is no option under Math
    assert set(problems_table(at)["Subject"]) == {"Math"}


def test_changing_a_filter_goes_back_to_the_first_page(seeded_home):
    at = run_page()
    at.pagination(key="page").select(2).run()
    at.selectbox(key="source").set_value("custom").run()  # the bundled sample: still over one page
    assert not at.exception
    assert at.pagination(key="page").num_pages >= 2
    assert "page 1 of" in next(c.value for c in at.caption if "problems match" in c.value)


# ---- the gallery of a generation run's figures and the item view ----------------------------------


@pytest.fixture(scope="module")
def _figures_home(tmp_path_factory) -> Path:
    return fw.figure_workspace(tmp_path_factory.mktemp("figures"))


@pytest.fixture
def figures_home(_figures_home, monkeypatch) -> Path:
    monkeypatch.setenv("SCIGEN_HOME", str(_figures_home))
    return _figures_home


def gallery_count(at: AppTest) -> int:
    caption = next(c.value for c in at.caption if "figures of run" in c.value)
    return int(caption.split()[0])


def tab_labels(at: AppTest) -> list[str]:
    return [tab.label for tab in at.tabs]


def test_without_a_run_it_lists_problems_and_offers_the_runs(figures_home):
    at = run_page()
    assert not at.exception
    assert at.selectbox(key="run").options == ["Problems (no run)", fw.CODER_RUN, fw.CARD_RUN, fw.GOLD_RUN]
    assert len(problems_table(at)) == 25 and not at.tabs  # today's problem browsing, unchanged


def test_a_run_shows_its_gallery_with_thumbnails_and_opens_the_first_figure(figures_home):
    at = run_page(run=fw.GOLD_RUN)
    assert not at.exception
    assert gallery_count(at) == len(fw.FIGURE_UIDS)
    assert len(at.image) >= len(fw.SAMPLE_UIDS) + 1  # tiles (the failed one has none) + the open figure
    assert any("✗ failed: no_reference" in m.value for m in at.markdown)
    assert at.selectbox(key="uid").value == fw.SAMPLE_UIDS[0]
    assert tab_labels(at)[:3] == ["Figure", "Problem", "Attempts (1)"]
    assert any(code.language == "python" for code in at.code)  # the figure's code, highlighted
    bound = {w.proto.query_param_key for w in [*at.selectbox, *at.pagination]}
    assert bound == {"run", "subject", "type", "source", "status", "error", "uid"}


def test_outcome_and_error_filters_change_the_gallery(figures_home):
    at = run_page(run=fw.GOLD_RUN)
    total = gallery_count(at)
    at.selectbox(key="status").set_value("quizzes failed").run()
    assert not at.exception and 0 < gallery_count(at) < total
    at.selectbox(key="status").set_value("All").run()
    assert at.selectbox(key="error").options == ["All", "no_reference"]
    at.selectbox(key="error").set_value("no_reference").run()
    assert not at.exception and gallery_count(at) == 1
    assert at.selectbox(key="uid").value == fw.SEEPHYS_UID
    assert any("failed to render" in w.value for w in at.warning)
    assert any("no_reference" in e.value for e in at.error)


def test_domains_link_narrows_the_run_to_a_subject(figures_home):
    at = run_page(run=fw.CARD_RUN, subject="Physics")
    assert not at.exception
    assert gallery_count(at) == 2
    assert set(at.selectbox(key="uid").options) == {fw.SAMPLE_UIDS[2], fw.SEEPHYS_UID}


def test_item_view_shows_quiz_answers_judge_scores_and_facts(figures_home):
    at = run_page(run=fw.GOLD_RUN, uid=fw.SAMPLE_UIDS[2])
    assert not at.exception
    frames = [frame.value for frame in at.dataframe]
    answers = next(f for f in frames if "Chosen" in f.columns)
    assert {"Q", "Question", "Chosen", "Correct option", "Result", "Reply"} <= set(answers.columns)
    assert len(answers) == 4 and set(answers["Result"]) <= {"✓", "✗", "–"}
    judge = next(f for f in frames if "Rationale" in f.columns)
    assert len(judge) == 5 and "Correctness & Fidelity" in set(judge["Dimension"])
    facts = next(f for f in frames if "Fact" in f.columns)
    assert "Given-value coverage" in set(facts["Fact"])
    assert "Quiz answers (4)" in tab_labels(at) and "Judge (5)" in tab_labels(at)
    assert any("gold · ocr" in m.value for m in at.markdown)
    assert len(at.image) >= len(fw.SAMPLE_UIDS) + 2  # tiles, then the figure and the gold figure side by side


def test_item_view_shows_every_attempt_with_its_traceback(figures_home):
    at = run_page(run=fw.CODER_RUN)
    at.button(key=f"open-{fw.BROKEN_UID}").click().run()  # the tile's Open button
    assert not at.exception
    assert at.selectbox(key="uid").value == fw.BROKEN_UID
    titles = [expander.label for expander in at.expander]
    assert f"Attempt 1 · initial · failed: {fw.CODER_ERROR}" in titles
    assert f"Attempt 2 · repair · failed: {fw.CODER_ERROR}" in titles
    assert any(code.language == "text" and "NameError" in code.value for code in at.code)
    assert any("No quiz answers yet" in info.value and "scigen evaluate" in info.value for info in at.info)


def test_a_run_without_matching_figures_says_so(figures_home):
    at = run_page(run=fw.CODER_RUN, subject="Chemistry")
    assert not at.exception
    assert any("No figure of this run matches" in info.value for info in at.info)


def test_a_tikz_run_s_figures_say_what_they_are_drawn_in(tmp_path_factory, monkeypatch):
    home = bw.backend_workspace(tmp_path_factory.mktemp("backends"))
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    at = run_page(run=bw.TIKZ_RUN)
    assert not at.exception
    assert f"Drawn in: {bw.TIKZ_RUN} · TikZ" in [c.value for c in at.caption]
