"""AppTest of app_pages/judge_radar.py."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from core.workspace import REPORTED_DIR
from tests.app_pages.pagekit import page_runner

run_page = page_runner("judge_radar.py")


def scores(at: AppTest):
    return next(d.value for d in at.dataframe if "C&F" in d.value.columns)


def radar_traces(at: AppTest) -> list[dict]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"]


def best_reported_by_mean_judge_score(count: int) -> list[str]:
    """From the bundled paper table, independently of the page's data code."""
    runs = json.loads(next(REPORTED_DIR.glob("*.json")).read_text())["runs"]
    dimensions = ("judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er")
    means = {r["name"]: sum(r["metrics"][d] for d in dimensions) / len(dimensions) for r in runs}
    return sorted(means, key=means.__getitem__, reverse=True)[:count]


def test_reported_scores_by_default(seeded_home):
    at = run_page()
    assert not at.exception
    table = scores(at)
    assert list(table["Run"]) == best_reported_by_mean_judge_score(6)
    assert list(table.columns[-5:]) == ["C&F", "L&P", "R&O", "SP", "E&R"]
    assert len(radar_traces(at)) == 6
    assert at.download_button(key="judge_csv")


MEASURED = "no protocol recorded"
"""The protocol picker's label of the fixture's measured runs (stored without a protocol)."""


def test_runs_of_one_protocol_only_and_the_choice_is_in_the_url(measured_home):
    at = run_page(protocol=MEASURED)
    picker = at.multiselect(key="runs")
    assert picker.proto.query_param_key == "runs"
    assert picker.value[:3] == ["gold", "coder", "pixel"]
    assert "Qwen-Image" not in picker.options  # the paper's protocol: another radar
    picker.set_value(["pixel", "gold"]).run()
    assert not at.exception
    assert list(scores(at)["Run"]) == ["pixel", "gold"]
    assert [t["name"] for t in radar_traces(at)] == ["pixel", "gold"]


def test_a_link_reproduces_the_choice(measured_home):
    at = run_page(runs=["coder", "gold"], protocol=MEASURED)
    assert not at.exception
    assert list(scores(at)["Run"]) == ["coder", "gold"]


def test_nothing_chosen_says_what_to_do(seeded_home):
    at = run_page()
    at.multiselect(key="runs").set_value([]).run()
    assert not at.exception
    assert any("Pick at least one run" in info.value for info in at.info)


def test_empty_workspace_says_what_to_do(empty_home):
    at = run_page()
    assert not at.exception
    assert any("scigen init" in info.value and "--judge" in info.value for info in at.info)


def test_the_radar_draws_one_protocols_runs(protocol_home):
    from tests.dashboard.protocol_workspaces import IMPORTED_RUNS

    at = run_page()
    assert not at.exception
    assert at.selectbox(key="protocol").value.startswith("SciGenBench paper (scigen)")
    # the runs imported from the official code were judged by the paper's judge: same radar
    assert set(IMPORTED_RUNS) <= set(at.multiselect(key="runs").options)
