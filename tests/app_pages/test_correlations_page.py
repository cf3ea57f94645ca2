"""AppTest of app_pages/correlations.py."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.app_pages.pagekit import page_runner

run_page = page_runner("correlations.py")


def points(at: AppTest):
    return next(d.value for d in at.dataframe if "Run" in d.value.columns)


def test_reported_table_shows_fid_does_not_predict_correctness(seeded_home):
    at = run_page()
    assert not at.exception
    # the paper's R_inv is the published scoring's perfect image rate
    assert (at.selectbox(key="x").value, at.selectbox(key="y").value) == ("FID", "Perfect image rate")
    caption = " ".join(c.value for c in at.caption)
    assert "Across 11 reported runs" in caption
    assert "Pearson r = 0.23 (p = 0.50)" in caption
    assert "FID does not predict correctness (Perfect image rate)" in caption
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(trace.get("name") == "least-squares fit" for trace in spec["data"])
    assert len(points(at)) == 11
    assert at.download_button(key="correlation_csv")


def test_switching_to_measured_runs_changes_the_points(measured_home):
    at = run_page(protocol="no protocol recorded")  # the fixture's measured runs have none
    switch = at.segmented_control(key="results")
    assert switch.proto.query_param_key == "results"
    switch.set_value("measured").run()
    assert not at.exception
    table = points(at)
    assert set(table["Run"]) == {"gold", "coder", "pixel", "cards"}
    assert "Across 4 measured runs" in " ".join(c.value for c in at.caption)


def test_a_link_picks_the_metrics(seeded_home):
    at = run_page(x="PSNR", y="SSIM")
    assert not at.exception
    assert list(points(at).columns[-2:]) == ["PSNR dB ↑", "SSIM ↑"]
    assert "PSNR vs SSIM" in " ".join(c.value for c in at.caption)


def test_no_measured_runs_says_what_to_do(seeded_home):
    at = run_page(results="measured")
    assert not at.exception
    assert any("scigen evaluate" in info.value for info in at.info)


def test_empty_workspace_says_what_to_do(empty_home):
    at = run_page()
    assert not at.exception
    assert any("scigen init" in info.value for info in at.info)
