"""AppTest of app_pages/downstream.py: empty state, the reported table, URL-bound filters, uploads."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.store import Store
from core.store.downstream import parse_downstream_csv
from core.workspace import Workspace
from tests.app_pages.pagekit import page_runner
from tests.dashboard import workspaces

run_page = page_runner("downstream.py")
OUTCOMES = """source,train_samples,benchmark,accuracy
Gemini-ImgCoder,1000,GEO3K,62.0
Gemini-ImgCoder,10000,GEO3K,65.0
Qwen-Image,1000,GEO3K,61.0
Qwen-Image,10000,GEO3K,62.0
Qwen-Image,1000,MathVision,40.0
Qwen-Image,10000,MathVision,41.0
"""


def table_with(at: AppTest, column: str):
    """The shown table having ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _home_with_outcomes(tmp_path, monkeypatch):
    workspace = workspaces.make_seeded_workspace(tmp_path / "home")
    Store.open(workspace).import_downstream("csv:outcomes.csv", parse_downstream_csv(OUTCOMES, "outcomes.csv"))
    monkeypatch.setenv("SCIGEN_HOME", str(workspace.home))
    return workspace


def test_seeded_workspace_shows_the_reported_table_and_the_empty_scaling_state(seeded_home):
    at = run_page()
    assert not at.exception
    assert any("scigen downstream import FILE" in info.value for info in at.info)
    table = table_with(at, "Training images")
    assert list(table["Training images"])[0] == "Nanobanana-Pro"
    assert {"GEO3K", "MathVision", "average"} <= set(table.columns) and len(table) == 6
    shown = next(d for d in at.dataframe if "Training images" in d.value.columns)
    formats = {name: column.get("type_config", {}).get("format") for name, column in json.loads(shown.proto.columns).items()}
    assert formats["GEO3K"] == formats["average"] == "%.1f"  # 58.0 is shown as 58.0, not 58
    assert not at.get("plotly_chart")
    assert at.get("download_button")


def test_empty_workspace_says_what_to_do(empty_home):
    at = run_page()
    assert not at.exception
    texts = " ".join(info.value for info in at.info)
    assert "scigen downstream import FILE" in texts and "scigen init" in texts


def test_scaling_plot_with_url_bound_filters(tmp_path, monkeypatch):
    _home_with_outcomes(tmp_path, monkeypatch)
    at = run_page()
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert len(table_with(at, "Slope per decade")) == 3
    benchmark = at.selectbox(key="benchmark")
    assert benchmark.proto.query_param_key == "benchmark"
    assert at.pills(key="source").proto.query_param_key == "source"
    linked = run_page(benchmark="MathVision")
    fits = table_with(linked, "Slope per decade")
    assert list(fits["Source"]) == ["Qwen-Image"] and list(fits["Benchmark"]) == ["MathVision"]
    assert fits["Slope per decade"].iloc[0] == pytest.approx(1.0)
    assert len(at.get("download_button")) == 3  # fits, points, reported table


def test_upload_rejects_a_file_that_is_not_a_csv_and_imports_a_good_one(seeded_home_copy):
    at = run_page()
    at.file_uploader(key="outcomes_upload").upload("chart.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv").run()
    assert not at.exception
    assert any("not a CSV text file" in error.value and "Nothing imported" in error.value for error in at.error)
    assert not at.button  # nothing to import

    at.file_uploader(key="outcomes_upload").clear().upload("outcomes.csv", OUTCOMES.encode(), "text/csv").run()
    assert not at.exception and not at.error
    assert len(table_with(at, "train_samples")) == 6  # the preview
    at.button(key="import_upload").click().run()
    assert any("Stored 6 rows as 'csv:outcomes.csv'" in message.value for message in at.success)
    stored = Store.open(Workspace.from_env(seeded_home_copy)).downstream_results()
    assert (stored["provenance"] == "csv:outcomes.csv").sum() == 6
    at.run()
    assert len(at.get("plotly_chart")) == 1  # the scaling plot appears once sized rows exist


@pytest.fixture
def seeded_home_copy(tmp_path, monkeypatch):
    """A seeded workspace of this test's own (the test writes)."""
    workspace = workspaces.make_seeded_workspace(tmp_path / "home")
    monkeypatch.setenv("SCIGEN_HOME", str(workspace.home))
    return workspace.home
