"""AppTest of app_pages/export.py over the export kit's workspace."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages.pagekit import page_runner
from tests.core.export import exportkit as kit

run_page = page_runner("export.py")


@pytest.fixture(scope="module")
def _home(tmp_path_factory):
    return kit.export_workspace(tmp_path_factory.mktemp("export-page") / "home").home


@pytest.fixture
def home(_home, monkeypatch):
    monkeypatch.setenv("SCIGEN_HOME", str(_home))
    return _home


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_preview_counts_with_url_bound_thresholds(home):
    at = run_page()
    assert not at.exception
    assert _metrics(at) == {"Figures rendered": "6", "Pass the filters": "4", "Rejected": "2"}
    assert at.selectbox(key="run").proto.query_param_key == "run"
    assert at.get("plotly_chart") and at.get("download_button")
    at = run_page(judge="C&F=2,SP=2")
    assert _metrics(at)["Pass the filters"] == "2"


def test_missing_judge_or_bad_threshold_says_what_to_do(home):
    at = run_page(judge="bogus=1")
    assert not at.exception and "unknown judge dimension" in at.warning[0].value


def test_export_with_progress_then_download(home):
    at = run_page(format="hf")
    at.button(key="export_button").click().run()
    assert not at.exception
    assert (home / "exports" / "gold-hf" / "metadata.jsonl").is_file()
    steps = at.dataframe[-1].value.set_index("step")["items"].to_dict()
    assert steps["exported"] == 3 and steps["near-duplicates removed"] == 1
    zipped = next(b for b in at.get("download_button") if "zip" in str(b.proto.label))
    assert zipped.proto.label == "Download export (zip)"


def test_no_runs_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "empty"))
    at = run_page()
    assert not at.exception and "scigen generate" in at.info[0].value
