"""dashboard.charts.results: figures and styled tables of the results pages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.evaluation.stats import TIE_RULE
from core.store import Store
from core.workspace import Workspace
from dashboard.charts import results as draw
from dashboard.data import results as data


@pytest.fixture
def store(measured_home) -> Store:
    return Store.open(Workspace.from_env(measured_home))


@pytest.fixture
def board(store) -> data.ResultsLeaderboard:
    """The fixture's measured runs (stored without a protocol, so one protocol group of their own)."""
    return data.results_leaderboard(store.leaderboard(), data.LeaderboardQuery(protocol=data.NO_PROTOCOL))


def test_numbers_keep_small_values_readable():
    assert draw.format_number(85.0) == "85.00"
    assert draw.format_number(0.0123) == "0.0123"
    assert draw.format_number(0) == "0.00"
    assert draw.format_number(None) == draw.format_number(float("nan")) == "—"


def test_styler_shades_measured_rows_and_the_tie_groups_ranking_cells(board, store):
    styles = board.table.style  # the unstyled table, for positions
    styled = draw.results_leaderboard_styler(board)
    styled._compute()
    columns = list(styles.columns)
    rank, tie = columns.index("R_inv % ↑"), columns.index(data.TIE_COLUMN)
    model = list(board.table["Model"])
    gold, pixel = model.index("gold"), model.index("pixel")

    def css(row: int, col: int) -> str:
        return "; ".join(f"{k}: {v}" for k, v in styled.ctx.get((row, col), []))

    assert "#d8f3dc" in css(gold, rank) and "#d8f3dc" in css(gold, tie)
    assert "#eef6ff" in css(gold, columns.index("Model"))  # measured shading elsewhere in the row
    assert "#eef6ff" in css(pixel, rank) and "#d8f3dc" not in css(pixel, rank)  # separable
    html = styled.to_html()
    paper = draw.results_leaderboard_styler(data.results_leaderboard(store.leaderboard()))
    paper._compute()
    assert not any("#eef6ff" in v for styles in paper.ctx.values() for _, v in styles)  # reported: unshaded
    assert "85.00" in html and "—" in html


def test_column_help_names_the_group_the_tie_rule_and_the_interval(board):
    config = draw.results_column_config(board)
    assert config["C&F ↑"]["help"].startswith("Judge · Correctness & Fidelity")
    assert "lower is better" in config["FID ↓"]["help"].lower()
    assert TIE_RULE in config[data.TIE_COLUMN]["help"]
    assert "bootstrap" in config["R_inv % ↑ CI"]["help"]


def test_domain_heatmap_has_a_clickable_marker_on_every_filled_cell(store):
    grid = data.domain_grid(store.scoped_metrics(scope="subject"), "rinv", "subject")
    figure = draw.domain_heatmap(grid)
    heat, cells = figure.data
    assert heat.type == "heatmap" and (heat.zmin, heat.zmax) == (0.0, 100.0) and not heat.reversescale
    assert list(heat.x) == list(grid.values.columns) and list(heat.y) == list(grid.values.index)
    assert cells.type == "scatter" and len(cells.x) == len(grid.cells) == 6
    point = list(zip(cells.x, cells.y, cells.text, strict=True)).index(("coder", "Physics", "60.00<br>n=5"))
    assert cells.customdata[point][1] == 5
    assert cells.marker.opacity == 0  # invisible: the heatmap shows, the marker takes the click
    assert figure.layout.clickmode is None and figure.layout.dragmode is None  # Streamlit sets them
    assert figure.layout.yaxis.autorange == "reversed"


def test_domain_heatmap_reverses_the_scale_of_a_lower_is_better_metric():
    scoped = pd.DataFrame(
        {
            "run_id": ["a", "b"],
            "name": ["a", "b"],
            "metric": ["ff_overlaps", "ff_overlaps"],
            "scope": ["subject", "subject"],
            "scope_value": ["Math", "Math"],
            "value": [1.0, 3.0],
            "ci_low": [None, None],
            "ci_high": [None, None],
            "n": [4, 4],
        }
    )
    grid = data.domain_grid(scoped, "ff_overlaps", "subject")
    heat = draw.domain_heatmap(grid).data[0]
    assert heat.reversescale and (heat.zmin, heat.zmax) == (1.0, 3.0)  # unbounded: data range
    assert list(grid.values.columns) == ["a", "b"]  # fewer overlaps first


def test_empty_grid_gives_an_empty_figure():
    assert draw.domain_heatmap(data.domain_grid(pd.DataFrame(), None, "subject")).data == ()


def test_domain_table_links_each_cell_to_the_explorer(store):
    grid = data.domain_grid(store.scoped_metrics(scope="subject"), "rinv", "subject")
    config = draw.domain_column_config(grid)
    assert config["Explorer"]["type_config"]["type"] == "link"
    assert "Explorer" in config["Explorer"]["help"]


def test_judge_radar_draws_closed_polygons_on_the_declared_scale(store):
    radar = data.judge_radar_view(store.leaderboard(), ["gold", "Qwen-Image"])
    figure = draw.judge_radar(radar)
    assert [trace.name for trace in figure.data] == ["gold", "Qwen-Image (reported)"]
    gold = figure.data[0]
    assert list(gold.theta) == ["C&F", "L&P", "R&O", "SP", "E&R", "C&F"]
    assert list(gold.r) == [1.8, 1.7, 1.9, 1.6, 1.5, 1.8]
    assert gold.line.dash == "solid" and figure.data[1].line.dash == "dot"
    assert list(figure.layout.polar.radialaxis.range) == [0.0, 2.0]


def test_correlation_scatter_labels_points_and_draws_the_fit(store):
    view = data.correlation_view(store.leaderboard(), "fid", "judge_cf", "all")
    figure = draw.correlation_scatter(view)
    points = [t for t in figure.data if t.mode == "markers+text"]
    assert sum(len(t.x) for t in points) == 14  # one measured run has no judge score
    labels = {label for t in points for label in t.text}
    assert {"gold", "Gemini-3-Pro-ImgCoder"} <= labels
    measured = next(t for t in points if "(measured)" in t.name)
    assert measured.marker.symbol == "diamond"
    line = next(t for t in figure.data if t.name == "least-squares fit")
    slope, intercept = view.fit
    assert np.allclose(np.asarray(line.y), slope * np.asarray(line.x) + intercept)
    assert figure.layout.xaxis.title.text == "FID ↓" and figure.layout.yaxis.title.text == "C&F ↑"
    assert f"r = {view.correlation.pearson_r:.2f}" in figure.layout.title.text


def test_both_r_inv_variants_explain_themselves_on_hover(protocol_home):
    runs = Store.open(Workspace.from_env(protocol_home)).leaderboard()
    config = draw.results_column_config(data.results_leaderboard(runs))
    strict, paper = config["R_inv % ↑"]["help"], config["R_inv (paper) % ↑"]["help"]
    assert "Strict R_inv" in strict and "counts as failed" in strict
    assert "as the paper scores it" in paper and "left out" in paper and "errored at the API" in paper
    assert "chosen protocol only" in config[data.RANK_COLUMN]["help"]
    assert "protocol" in config[data.PAPER_COLUMN]["help"]
