"""dashboard.charts: figures and styled tables built from display frames."""

from __future__ import annotations

from core.metrics import METRICS
from dashboard import charts, data


def test_metric_bar_puts_the_best_on_top_with_one_trace_per_kind(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame)
    figure = charts.metric_bar(view.table, view.metric_headers["rinv"], METRICS["rinv"])
    assert {trace.name for trace in figure.data} == {"code", "pixel"}
    assert {trace.marker.color for trace in figure.data} == {
        charts.KIND_COLOURS["code"],
        charts.KIND_COLOURS["pixel"],
    }
    # The last category is drawn at the top: the highest R_inv, since higher is better.
    assert list(figure.layout.yaxis.categoryarray) == ["Pixel-A", "my-coder", "Coder-B"]
    assert list(figure.layout.xaxis.range) == [0.0, 100.0]
    assert "higher is better" in figure.layout.title.text


def test_metric_bar_for_lower_is_better_puts_the_lowest_on_top_and_skips_missing(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame)
    figure = charts.metric_bar(view.table, view.metric_headers["fid"], METRICS["fid"])
    assert list(figure.layout.yaxis.categoryarray) == ["Coder-B", "Pixel-A"]  # my-coder has no FID
    assert figure.layout.xaxis.range is None  # FID has no upper bound
    assert "lower is better" in figure.layout.title.text


def test_leaderboard_styler_shades_measured_rows_only(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame)
    html = charts.leaderboard_styler(view).to_html()
    shaded_rows = {
        row for (row, _col), styles in charts.leaderboard_styler(view)._compute().ctx.items() if styles
    }
    measured_rows = set(view.table.index[view.table["Results"] == data.MEASURED_LABEL])
    assert shaded_rows == measured_rows
    assert "77.00" in html and "41.50–58.25" in html


def test_leaderboard_column_config_explains_every_metric(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame)
    config = charts.leaderboard_column_config(view)
    for name, header in view.metric_headers.items():
        assert METRICS[name].description in config[header]["help"]
    assert "lower is better" in config["FID ↓"]["help"].lower()
