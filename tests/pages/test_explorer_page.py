"""AppTest of pages/explorer.py over a seeded workspace."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "explorer.py")


def run_page(**query_params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(query_params)
    return at.run()


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
    assert bound == {"subject", "type", "source", "q", "page", "uid"}  # a link reproduces the view


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
