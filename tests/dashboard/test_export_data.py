"""Export page data and chart functions over the export kit's workspace."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from dashboard.charts import export as charts
from dashboard.data import export as data
from tests.core.export import exportkit as kit


@pytest.fixture(scope="module")
def _home(tmp_path_factory):
    return kit.export_workspace(tmp_path_factory.mktemp("export-data") / "home").home


@pytest.fixture
def home(_home, monkeypatch):
    monkeypatch.setenv("SCIGEN_HOME", str(_home))
    return _home


def test_runs_and_preview_counts(home):
    assert data.generation_runs() == ["gold"]
    preview = data.export_preview("gold", 1.0, "", False)
    assert preview.error is None and (preview.figures_ok, preview.passed) == (6, 4)
    assert preview.rejected == {"R_inv below 1": 2}
    by_subject = preview.counts.groupby("subject")["figures"].sum().to_dict()
    assert by_subject == {"Chemistry": 1, "Math": 2, "Physics": 1}
    assert data.export_preview("gold", 1.0, "C&F=2,SP=2", False).passed == 2
    assert data.export_preview("gold", 1.0, "", True).passed == 5


def test_preview_errors_are_messages(home):
    assert "unknown judge dimension" in data.export_preview("gold", 1.0, "zz=1", False).error
    assert "no generation run 'nope'" in data.export_preview("nope", 1.0, "", False).error


def test_export_into_the_workspace_and_zip(home):
    steps = []
    summary = data.run_export("gold", "sharegpt", min_rinv=1.0, judge_text="", exclude_blind=False, dedup=True,
                              eval_split="", progress=lambda step, f: steps.append((step, f)))
    assert Path(summary.out_dir) == home / "exports" / "gold-sharegpt" and summary.exported == 3
    assert steps[-1] == ("done", 1.0) and all(0 <= f <= 1 for _, f in steps)
    archive = zipfile.ZipFile(io.BytesIO(data.zip_folder(summary.out_dir)))
    names = set(archive.namelist())
    assert {"train.json", "README.md", "export_report.json", "dataset_info.json"} <= names
    items = json.loads(archive.read("train.json"))
    assert all(item["images"][0] in names for item in items)
    table = data.summary_table(summary)
    assert table.set_index("step")["items"].to_dict()["exported"] == 3


def test_counts_bar_stacks_types_per_subject(home):
    preview = data.export_preview("gold", 1.0, "", False)
    figure = charts.counts_bar(preview.counts)
    assert {trace.name for trace in figure.data} == {"Plane Geometric", "Molecular Structure", "Mechanical"}
    assert figure.layout.barmode == "stack"
