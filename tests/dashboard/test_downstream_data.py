"""dashboard.data.outcomes (the Downstream page): the scaling view (pure), upload checks, and the cached accessors."""

from __future__ import annotations

import pandas as pd
import pytest

from core.store import Store
from core.workspace import Workspace
from dashboard.charts.downstream import scaling_chart
from dashboard.data import outcomes as data

OUTCOMES = b"""source,train_samples,benchmark,accuracy
A,1000,GEO3K,60
A,10000,GEO3K,62
B,1000,GEO3K,55
B,100000,GEO3K,61
A,1000,MathVision,40
A,10000,MathVision,40.5
"""


def _frame(csv: bytes = OUTCOMES) -> pd.DataFrame:
    check = data.check_upload("outcomes.csv", csv)
    frame = check.preview.assign(provenance=check.provenance)
    published = pd.DataFrame({
        "source": ["P", "P"], "benchmark": ["GEO3K", "average"], "accuracy": [70.0, 60.0],
        "train_samples": pd.array([None, None], dtype="Int64"), "provenance": ["paper", "paper"],
        "base_model": ["Qwen3-VL-8B"] * 2, "note": ["", ""],
    })
    return pd.concat([published, frame], ignore_index=True)


def test_view_splits_sized_points_from_the_published_table():
    view = data.downstream_view_from(_frame())
    assert view.benchmarks == ["GEO3K", "MathVision"] and view.sources == ["A", "B"]
    assert len(view.points) == 6 and view.points["train_samples"].min() == 1000
    assert list(view.reported.columns) == ["Training images", "GEO3K", "average"]
    assert len(view.fits) == 3 and all(fit.fitted for fit in view.fits)
    slopes = {(f.source, f.benchmark): f.slope_per_decade for f in view.fits}
    assert slopes[("A", "GEO3K")] == pytest.approx(2.0) and slopes[("B", "GEO3K")] == pytest.approx(3.0)


def test_filters_narrow_points_and_fits_but_keep_the_options():
    view = data.downstream_view_from(_frame(), "GEO3K", ["B"])
    assert set(view.points["source"]) == {"B"} and set(view.points["benchmark"]) == {"GEO3K"}
    assert [(f.source, f.benchmark) for f in view.fits] == [("B", "GEO3K")]
    assert view.sources == ["A", "B"] and view.benchmarks == ["GEO3K", "MathVision"]


def test_scaling_chart_has_a_log_axis_and_a_line_per_fitted_source():
    view = data.downstream_view_from(_frame(), "GEO3K")
    figure = scaling_chart(view.points, view.fits, "GEO3K")
    assert figure.layout.xaxis.type == "log"
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    assert [trace.name.split(" fit")[0] for trace in lines] == ["A", "B"]
    assert "GEO3K" in figure.layout.title.text


def test_upload_check_reports_what_is_wrong_or_previews_rows():
    bad = data.check_upload("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not bad.ok and bad.errors == ["photo.csv: not a CSV text file (it holds binary data)"]
    wrong = data.check_upload("x.csv", b"name,score\na,1\n")
    assert not wrong.ok and "missing column(s) source, train_samples, benchmark, accuracy" in wrong.errors[0]
    good = data.check_upload("outcomes.csv", OUTCOMES)
    assert good.ok and good.provenance == "csv:outcomes.csv" and len(good.preview) == 6


def test_cached_view_follows_store_writes(fresh_seeded_home):
    before = data.downstream_view()
    assert before.points.empty and len(before.reported) == 6  # the paper's six sources, no sizes
    data.import_upload(data.check_upload("outcomes.csv", OUTCOMES))
    after = data.downstream_view()
    assert len(after.points) == 6
    stored = Store.open(Workspace.from_env(fresh_seeded_home)).downstream_results()
    assert (stored["provenance"] == "csv:outcomes.csv").sum() == 6
