"""dashboard.data.results: the results pages' data, pure and over a store with measured runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.metrics import METRICS
from core.protocols import PAPER_PROTOCOL
from core.store import Store
from core.workspace import REPORTED_DIR, Workspace
from dashboard.data import results as data
from tests.dashboard.protocol_workspaces import IMPORTED_RUNS, OFFLINE_RUN

LeaderboardQuery = data.LeaderboardQuery
MEASURED = data.NO_PROTOCOL
"""The fixture's measured runs were stored without a protocol: they form one protocol group."""


@pytest.fixture
def board_runs(measured_home) -> pd.DataFrame:
    return Store.open(Workspace.from_env(measured_home)).leaderboard()


@pytest.fixture
def store(measured_home) -> Store:
    return Store.open(Workspace.from_env(measured_home))


def reported_frame() -> pd.DataFrame:
    """The paper's table straight from the bundled JSON (independent of the store)."""
    path = next(REPORTED_DIR.glob("*.json"))
    runs = json.loads(path.read_text())["runs"]
    return pd.DataFrame(
        [
            {"name": r["name"], "kind": "reported", "generator_kind": r["generator_kind"], **r["metrics"]}
            for r in runs
        ]
    ).assign(run_id=lambda f: f["name"])


def column(board: data.ResultsLeaderboard, name: str) -> dict[str, object]:
    return dict(zip(board.table["Model"], board.table[name], strict=True))


# --------------------------------------------------------------------------- helpers


def test_run_labels_add_the_results_only_where_names_repeat():
    labels = data.run_labels(["A", "B", "A", "B"], ["reported", "measured", "measured", "measured"])
    assert labels == ["A (reported)", "B (measured)", "A (measured)", "B (measured) #2"]


def test_group_order_keeps_a_group_together_in_declaration_order():
    ordered = data.group_order(["fid", "rinv_unblind", "judge_cf", "rinv", "cost_usd"])
    assert ordered == ["rinv", "rinv_unblind", "judge_cf", "fid", "cost_usd"]


# --------------------------------------------------------------------------- leaderboard


def test_the_default_protocol_is_the_papers_and_other_protocols_are_listed_apart(board_runs):
    board = data.results_leaderboard(board_runs)
    assert board.protocol == PAPER_PROTOCOL.protocol_id
    assert set(board.table["Results"]) == {"reported"} and len(board.table) == 11
    assert board.table["Model"].iloc[0] == "Gemini-3-Pro-ImgCoder"  # the paper's R_inv (perfect image rate)
    assert board.table[data.RANK_COLUMN].tolist() == list(range(1, 12))
    # the measured runs (no protocol recorded) are not ranked with the paper's rows
    assert set(board.apart["Model"]) == {"gold", "coder", "pixel", "cards"}
    assert data.RANK_COLUMN not in board.apart.columns and data.TIE_COLUMN not in board.apart.columns
    assert set(board.apart[data.PROTOCOL_COLUMN]) == {"no protocol recorded"}


def test_leaderboard_marks_measured_and_shades_the_tie_group_within_a_protocol(board_runs):
    board = data.results_leaderboard(board_runs, LeaderboardQuery(protocol=MEASURED))
    table = board.table
    assert list(table["Model"]) == ["gold", "coder", "pixel", "cards"]
    assert table[data.RANK_COLUMN].tolist() == [1, 2, 3, 4]
    assert column(board, "Results")["gold"] == "measured"
    assert "Gemini-3-Pro-ImgCoder" in set(board.apart["Model"])  # another protocol: apart
    # gold [75, 95] and coder [70, 90] overlap; pixel [20, 40] and cards [0, 20] do not.
    assert board.tie is not None and board.tie.members == ["gen-gold", "gen-coder"]
    ties = column(board, data.TIE_COLUMN)
    assert (ties["gold"], ties["coder"], ties["pixel"], ties["cards"]) == ("best", "tied", "", "")
    assert column(board, "R_inv % ↑ CI")["gold"] == "75.00–95.00"
    assert column(board, data.N_COLUMN)["gold"] == 7 and table[data.N_COLUMN].dtype == "Int64"
    assert column(board, data.EVALUATED_BY_COLUMN)["gold"] == "ocr, judge:j, fid"
    headers = list(table.columns)
    # Grouped: correctness, judge, reference, generation; C&F etc. use the short labels.
    assert headers.index("Quiz accuracy % ↑") < headers.index("C&F ↑") < headers.index("FID ↓")
    assert headers.index("FID ↓") < headers.index("pass@1 % ↑") < headers.index("Cost USD ↓")
    assert board.group_of["C&F ↑"] == "Judge" and board.group_of["FID ↓"] == "Reference metrics"


def test_results_and_kind_filters(board_runs):
    measured = data.results_leaderboard(board_runs, LeaderboardQuery(results=("measured",), protocol=MEASURED))
    assert set(measured.table["Model"]) == {"gold", "coder", "pixel", "cards"}
    reported = data.results_leaderboard(board_runs, LeaderboardQuery(results=("reported",)))
    assert len(reported.table) == 11 and reported.tie is None and reported.apart.empty
    assert data.TIE_COLUMN not in reported.table.columns
    code = data.results_leaderboard(board_runs, LeaderboardQuery(kinds=("code",)))
    assert set(code.table["Kind"]) == {"code"} and "coder" in set(code.apart["Model"])


def test_subject_filter_uses_per_subject_numbers_and_says_reported_runs_are_hidden(board_runs, store):
    query = LeaderboardQuery(subject="Physics", protocol=MEASURED)
    board = data.results_leaderboard(board_runs, query, scoped=store.scoped_metrics(scope="subject"))
    rinv = column(board, "R_inv % ↑")
    assert rinv == {"gold": 80.0, "coder": 60.0, "pixel": 33.33}  # cards has no Physics figure
    assert column(board, data.N_COLUMN) == {"gold": 5, "coder": 5, "pixel": 6}
    assert column(board, "R_inv % ↑ CI")["gold"] == "72.00–88.00"
    assert "FID" in board.notes[0] and "pass@1" in board.notes[0]  # kept per run only
    paper = data.results_leaderboard(board_runs, LeaderboardQuery(subject="Physics"), scoped=store.scoped_metrics())
    assert "11 reported runs hidden" in paper.notes[0] and "subject Physics" in paper.notes[0]
    assert "FID ↓" not in board.table.columns
    # Per subject, coder's interval [52, 68] no longer reaches gold's [72, 88].
    assert column(board, data.TIE_COLUMN) == {"gold": "best", "coder": "", "pixel": ""}


def test_image_type_filter_wins_over_subject_and_reaches_the_untyped_bucket(board_runs, store):
    scoped = store.scoped_metrics(scope="image_type")
    board = data.results_leaderboard(
        board_runs, LeaderboardQuery(subject="Physics", image_type="Physics - Circuit", protocol=MEASURED),
        scoped=scoped,
    )
    assert column(board, "R_inv % ↑") == {"gold": 100.0, "coder": 100.0, "pixel": 50.0}
    untyped = data.results_leaderboard(
        board_runs, LeaderboardQuery(image_type="(untyped)", protocol=MEASURED), scoped=scoped
    )
    assert list(untyped.table["Model"]) == ["pixel"]


def test_source_filter_keeps_runs_with_figures_from_that_source(board_runs):
    sources = {"gen-gold": {"custom"}, "gen-coder": {"custom"}, "gen-pixel": {"custom", "seephys"}}
    board = data.results_leaderboard(
        board_runs, LeaderboardQuery(source="seephys", protocol=MEASURED), run_sources=sources
    )
    assert list(board.table["Model"]) == ["pixel"]
    assert any("whole selection" in note for note in board.notes)


def test_metric_groups_narrow_the_columns_but_keep_the_ranking_metric(board_runs):
    board = data.results_leaderboard(board_runs, LeaderboardQuery(groups=("judge",), sort_metric="rinv", protocol=MEASURED))
    metric_columns = list(board.view.metric_headers.values())
    assert metric_columns == ["R_inv % ↑", "C&F ↑", "L&P ↑", "R&O ↑", "SP ↑", "E&R ↑"]
    assert "FID ↓" not in board.table.columns and "Quiz accuracy % ↑" not in board.table.columns


def test_ranking_by_a_lower_is_better_metric(board_runs):
    board = data.results_leaderboard(board_runs, LeaderboardQuery(sort_metric="fid", protocol=MEASURED))
    assert board.table["Model"].iloc[0] == "gold"  # FID 20, the lowest
    assert board.tie is None  # FID has no intervals: nothing decided, no tie group


def test_empty_states_say_what_to_do():
    empty = data.results_leaderboard(pd.DataFrame())
    assert empty.table.empty and "scigen init" in empty.empty_message
    scoped = data.results_leaderboard(
        reported_frame(), LeaderboardQuery(subject="Math"), scoped=pd.DataFrame()
    )
    assert scoped.table.empty and "scigen evaluate" in scoped.empty_message
    assert "11 reported runs hidden" in scoped.notes[0]


def test_leaderboard_options_list_what_the_store_holds(board_runs):
    options = data.leaderboard_options_from(
        board_runs,
        {"subject": ["Math", "Physics"], "image_type": ["Math - Plane Geometric"], "source": ["custom"]},
    )
    assert options.results == ["reported", "measured"]
    assert options.kinds == ["baseline", "code", "pixel"]
    assert list(options.groups) == ["correctness", "judge", "reference", "generation"]
    assert options.metric_labels["fid"] == "FID" and options.total_runs == 15


def test_sources_of_uids():
    assert data.sources_of(["custom:a", "seephys:9001", "custom:b"]) == {"custom", "seephys"}


def test_cached_leaderboard_reads_sources_from_the_figure_records(measured_home):
    board = data.leaderboard(LeaderboardQuery(source="seephys", protocol=MEASURED))
    assert list(board.table["Model"]) == ["pixel"]
    options = data.leaderboard_options()
    assert "seephys" in options.sources and "Physics" in options.subjects


# --------------------------------------------------------------------------- domains


def test_domain_grid_by_subject(store):
    grid = data.domain_grid(store.scoped_metrics(scope="subject"), "rinv", "subject")
    assert list(grid.values.index) == ["Math", "Physics"]  # taxonomy order
    assert list(grid.values.columns) == ["gold", "coder", "pixel", "cards"]  # n-weighted mean, best first
    assert grid.values.at["Physics", "coder"] == 60.0 and math.isnan(grid.values.at["Math", "pixel"])
    assert grid.counts.at["Physics", "pixel"] == 6
    assert set(grid.metrics) == {"rinv", "judge_cf"}
    first = grid.cells.iloc[0]
    assert (first["Run"], first["Subject"], first["n"]) == ("gold", "Math", 2)
    assert first["Explorer"] == "explorer?run=gold&subject=Math"
    assert len(grid.cells) == 6  # filled cells only


def test_domain_grid_by_image_type_puts_untyped_last_and_links_subject_and_type(store):
    grid = data.domain_grid(store.scoped_metrics(scope="image_type"), None, "image_type")
    assert grid.metric == "rinv"  # the default when present
    assert list(grid.values.index) == [
        "Math - Plane Geometric",
        "Physics - Mechanical",
        "Physics - Circuit",
        "(untyped)",
    ]
    keys = zip(grid.cells["Run"], grid.cells["Image type"], strict=True)
    links = dict(zip(keys, grid.cells["Explorer"], strict=True))
    assert links[("gold", "Physics - Circuit")] == "explorer?run=gold&subject=Physics&type=Physics+-+Circuit"
    assert links[("pixel", "(untyped)")] == "explorer?run=pixel&subject=Physics"  # SeePhys: Physics, untyped


def test_domain_grid_without_scoped_numbers_is_empty():
    grid = data.domain_grid(pd.DataFrame(), "rinv", "subject")
    assert grid.empty and grid.metric is None and grid.metrics == {}
    with pytest.raises(ValueError, match="unknown scope"):
        data.domain_grid(pd.DataFrame(), "rinv", "source")


def test_selected_cell_maps_a_click_to_explorer_parameters(store):
    grid = data.domain_grid(store.scoped_metrics(scope="subject"), "rinv", "subject")
    event = {"selection": {"points": [{"x": "coder", "y": "Physics", "point_index": 4}]}}
    cell = data.selected_cell(event, grid)
    assert cell is not None
    assert (cell.run_name, cell.scope_value, cell.n) == ("coder", "Physics", 5)
    assert cell.query_params == {"run": "coder", "subject": "Physics"}
    # An empty cell, a point outside the grid, and no selection give nothing.
    assert data.selected_cell({"selection": {"points": [{"x": "pixel", "y": "Math"}]}}, grid) is None
    assert data.selected_cell({"selection": {"points": [{"x": "nobody", "y": "Math"}]}}, grid) is None
    assert data.selected_cell({"selection": {"points": []}}, grid) is None
    assert data.selected_cell(None, grid) is None


def test_explorer_query_names():
    assert data.explorer_query("r", "subject", "Biology") == {"run": "r", "subject": "Biology"}
    assert data.explorer_query("r", "image_type", "Biology - Genetics") == {
        "run": "r",
        "subject": "Biology",
        "type": "Biology - Genetics",
    }


# --------------------------------------------------------------------------- judge radar


def test_judge_radar_default_is_best_measured_then_best_reported(board_runs):
    radar = data.judge_radar_view(board_runs)
    assert radar.default == [
        "gold",
        "coder",
        "pixel",
        "Gemini-3-Pro-ImgCoder",
        "Gemini-3-Flash-ImgCoder",
        "Nanobanana-Pro",
    ]
    assert list(radar.table["Run"]) == radar.default
    assert "cards" not in radar.options  # no judge scores
    assert len(radar.options) == 14
    assert list(radar.table.columns) == ["Run", "Results", "Kind", "C&F", "L&P", "R&O", "SP", "E&R"]
    gold = radar.table.iloc[0]
    assert (gold["C&F"], gold["E&R"], gold["Results"]) == (1.8, 1.5, "measured")


def test_judge_radar_keeps_the_chosen_order_and_at_most_six(board_runs):
    radar = data.judge_radar_view(board_runs, ["Qwen-Image", "nobody", "coder"])
    assert list(radar.table["Run"]) == ["Qwen-Image", "coder"]
    many = data.judge_radar_view(board_runs, data.judge_radar_view(board_runs).options)
    assert len(many.table) == data.MAX_RADAR_RUNS
    assert data.judge_radar_view(board_runs, []).table.empty


# --------------------------------------------------------------------------- correlations


def test_reported_fid_does_not_predict_correctness_as_in_the_paper():
    frame = reported_frame()
    view = data.correlation_view(frame, "fid", "perfect_image_rate", "reported")
    pearson = stats.pearsonr(frame["fid"], frame["perfect_image_rate"])  # the reference implementation
    spearman = stats.spearmanr(frame["fid"], frame["perfect_image_rate"])
    assert view.correlation is not None and view.correlation.n == 11
    assert view.correlation.pearson_r == pytest.approx(pearson.statistic)
    assert view.correlation.pearson_p == pytest.approx(pearson.pvalue)
    assert view.correlation.spearman_r == pytest.approx(spearman.statistic)
    assert f"r = {pearson.statistic:.2f} (p = {pearson.pvalue:.2f})" in view.caption
    assert "FID does not predict correctness (Perfect image rate)" in view.caption
    fit = stats.linregress(frame["fid"], frame["perfect_image_rate"])
    assert view.fit == pytest.approx((fit.slope, fit.intercept))
    assert list(view.points.columns) == ["Run", "Results", "Kind", "FID ↓", "R_inv (paper) % ↑"]


def test_a_significant_correlation_reads_with_each_metrics_direction():
    fid = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    frame = pd.DataFrame(
        {
            "run_id": list("abcdef"),
            "name": list("abcdef"),
            "kind": ["generation"] * 6,
            "fid": fid,
            "rinv": 100 - fid + np.array([1.0, -1.0, 0.5, -0.5, 0.0, 0.3]),
        }
    )
    view = data.correlation_view(frame, "fid", "rinv", "measured")
    assert view.correlation is not None and view.correlation.pearson_r < -0.9
    # Lower FID is better, and it goes with higher R_inv: better with better.
    assert "Significant at the 5% level: a better FID goes with a better correctness (R_inv)" in view.caption


def test_too_few_runs_say_why_and_what_to_do(board_runs):
    few = board_runs[board_runs["name"].isin(["gold", "coder"])]
    view = data.correlation_view(few, "fid", "rinv", "measured")
    assert view.correlation is None and view.fit is None
    assert "needs at least 3 runs" in view.caption and "scigen evaluate" in view.caption
    assert len(view.points) == 2


def test_measured_runs_are_never_mixed_with_reported_unless_asked(board_runs):
    measured = data.correlation_view(board_runs, "fid", "rinv", "measured")
    assert set(measured.points["Results"]) == {"measured"} and len(measured.points) == 4
    everything = data.correlation_view(board_runs, "fid", "judge_cf", "all")
    assert len(everything.points) == 14  # one measured run has no judge score
    assert "Across 14 runs" in everything.caption
    assert data.correlation_metrics(board_runs, "measured")["pass_at_1"] == "pass@1"
    assert "pass_at_1" not in data.correlation_metrics(board_runs, "reported")
    with pytest.raises(KeyError, match="unknown metric"):
        data.correlation_view(board_runs, "nope", "rinv")


def test_every_metric_a_results_page_offers_is_declared(board_runs):
    options = data.leaderboard_options_from(board_runs, {})
    assert set(options.metric_labels) <= set(METRICS)


# --------------------------------------------------------------------------- protocols


def test_runs_of_two_protocols_never_share_a_rank_or_a_tie_group(protocol_home):
    runs = Store.open(Workspace.from_env(protocol_home)).leaderboard()
    paper = data.results_leaderboard(runs)
    assert paper.protocol == PAPER_PROTOCOL.protocol_id
    # the paper's rows and the runs imported from the official code are ranked together ...
    assert set(IMPORTED_RUNS) <= set(paper.table["Model"]) and len(paper.table) == 13
    assert paper.table[data.RANK_COLUMN].notna().all()
    assert column(paper, data.PAPER_COLUMN) == {
        **{name: "" for name in paper.table["Model"] if name not in IMPORTED_RUNS},
        **{name: data.COMPARABLE for name in IMPORTED_RUNS},
    }
    # ... the offline run, whose R_inv would top them, is not: it is listed apart, unranked
    assert OFFLINE_RUN not in set(paper.table["Model"]) and list(paper.apart["Model"]) == [OFFLINE_RUN]
    offline = data.results_leaderboard(runs, LeaderboardQuery(protocol=paper.apart_protocols()[0]))
    assert list(offline.table["Model"]) == [OFFLINE_RUN]
    assert offline.table[data.RANK_COLUMN].tolist() == [1]
    assert set(offline.apart["Model"]) == set(paper.table["Model"])


def test_a_published_number_inside_a_measured_interval_is_a_tie(protocol_home):
    runs = Store.open(Workspace.from_env(protocol_home)).leaderboard()
    imported = runs[runs["name"].isin(IMPORTED_RUNS)].set_index("name")
    alpha = imported.loc[IMPORTED_RUNS[0]]
    board = data.results_leaderboard(runs)
    assert board.tie is not None and board.tie.best == "reported:2601.17027:gemini-3-pro-imgcoder"
    status = {entry.run: entry.status for entry in board.tie.entries}
    # the paper's best (77.87) lies inside alpha's interval: not separable; two published numbers
    # are never judged against each other
    assert alpha["perfect_image_rate_ci_low"] <= 77.87 <= alpha["perfect_image_rate_ci_high"]
    assert status[alpha["run_id"]] == "tied"
    assert {status[r] for r in runs.loc[runs["kind"] == "reported", "run_id"]} == {"best", "undecided"}
