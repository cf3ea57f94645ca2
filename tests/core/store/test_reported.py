"""The paper's published results: the bundled file, reported runs, leaderboard, downstream."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from core.store import (
    DEFAULT_REPORTED_FILE,
    Aggregate,
    ReportedResultsError,
    Run,
    Store,
    load_reported_results,
    reported_files,
)

PAPER = "Scientific Image Synthesis: Benchmarking, Methodologies, and Downstream Utility (arXiv 2601.17027)"
METRIC_COLUMNS = ["perfect_image_rate", "judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er", "psnr", "ssim", "clip", "fid"]
# The table of issue 2, verbatim: model | kind | R_inv % | C&F | L&P | R&O | SP | E&R | PSNR | SSIM | CLIP | FID
ISSUE_TABLE = """
HunyuanImage-3.0 | pixel, open | 30.79 | 0.39 | 0.78 | 1.44 | 0.56 | 0.81 | 12.21 | 0.82 | 25.01 | 93.27
Qwen-Image | pixel, open | 38.86 | 0.24 | 0.70 | 1.48 | 0.30 | 0.76 | 9.63 | 0.78 | 25.02 | 120.42
GPT-Image-1 | pixel, closed | 42.97 | 0.57 | 1.37 | 1.90 | 0.84 | 1.19 | 13.07 | 0.84 | 25.14 | 77.31
Seedream-4.0 | pixel, closed | 52.67 | 0.44 | 0.94 | 1.67 | 0.55 | 0.95 | 10.65 | 0.74 | 25.02 | 98.22
Nanobanana | pixel, closed | 57.75 | 0.43 | 0.92 | 1.60 | 0.60 | 1.15 | 14.12 | 0.85 | 25.13 | 104.70
Flux2-flex | pixel, closed | 58.83 | 0.48 | 1.06 | 1.70 | 0.67 | 1.20 | 14.11 | 0.85 | 25.10 | 96.74
GPT-Image-1.5 | pixel, closed | 63.52 | 0.98 | 1.70 | 1.97 | 1.17 | 1.62 | 14.79 | 0.88 | 25.16 | 112.52
Nanobanana-Pro | pixel, closed | 73.41 | 1.59 | 1.87 | 1.98 | 1.72 | 1.93 | 12.02 | 0.81 | 25.01 | 87.72
Qwen3-ImgCoder | code | 56.38 | 1.21 | 1.30 | 1.62 | 1.39 | 1.29 | 14.71 | 0.86 | 25.21 | 121.55
Gemini-3-Flash-ImgCoder | code | 76.93 | 1.80 | 1.88 | 1.88 | 1.92 | 1.91 | 14.63 | 0.85 | 25.18 | 117.83
Gemini-3-Pro-ImgCoder | code | 77.87 | 1.82 | 1.93 | 1.91 | 1.93 | 1.90 | 14.59 | 0.86 | 25.16 | 107.67
"""
# Downstream of issue 2: source -> (GEO3K, MathVision, average)
ISSUE_DOWNSTREAM = {
    "Nanobanana-Pro": (70.7, 46.1, 58.4),
    "Nanobanana-Pro (filtered)": (68.7, 47.7, 58.2),
    "Gemini-ImgCoder": (69.1, 46.9, 58.0),
    "Qwen-Image (filtered)": (68.6, 47.0, 57.8),
    "Qwen-Image": (68.2, 45.9, 57.1),
    "baseline": (61.9, 39.0, 54.5),
}


def _issue_rows() -> dict[str, tuple[str, str | None, list[float]]]:
    rows = {}
    for line in ISSUE_TABLE.strip().splitlines():
        name, kind, *values = (cell.strip() for cell in line.split("|"))
        generator_kind, _, access = (part.strip() for part in kind.partition(","))
        rows[name] = (generator_kind, access or None, [float(v) for v in values])
    return rows


def test_bundled_file_holds_the_papers_table() -> None:
    results = load_reported_results()

    assert DEFAULT_REPORTED_FILE in reported_files()
    assert results.provenance.label == PAPER
    expected = _issue_rows()
    assert [run.name for run in results.runs] == list(expected)
    for run in results.runs:
        generator_kind, access, values = expected[run.name]
        assert (run.generator_kind, run.access) == (generator_kind, access)
        assert run.metrics == dict(zip(METRIC_COLUMNS, values, strict=True))
    assert {row.source: tuple(row.accuracy.values()) for row in results.downstream} == ISSUE_DOWNSTREAM
    assert all(list(row.accuracy) == ["GEO3K", "MathVision", "average"] for row in results.downstream)
    assert {row.base_model for row in results.downstream} == {"Qwen3-VL-8B"}
    assert all(row.train_samples is None for row in results.downstream)


def test_leaderboard_returns_the_11_reported_runs_exactly(store: Store) -> None:
    assert store.upsert_reported_results(load_reported_results()) == 11

    board = store.leaderboard(kind="reported")

    assert len(board) == 11
    assert set(board["kind"]) == {"reported"}
    assert set(board["provenance"]) == {PAPER}
    # the paper's R_inv is the published scoring's perfect image rate, not the strict rinv
    assert board["perfect_image_rate"].tolist() == sorted(board["perfect_image_rate"], reverse=True)  # best first
    assert "rinv" not in board.columns
    for name, (generator_kind, access, values) in _issue_rows().items():
        row = board.set_index("name").loc[name]
        assert row["generator_kind"] == generator_kind
        assert (None if pd.isna(row["access"]) else row["access"]) == access
        assert row[METRIC_COLUMNS].astype(float).tolist() == values
    # published numbers carry no intervals or counts, so no such columns appear
    assert not [c for c in board.columns if c.endswith(("_ci_low", "_ci_high", "_n"))]
    runs = store.list_runs(kind="reported")
    assert len(runs) == 11
    assert set(runs["provenance"]) == {PAPER}


def test_reported_upsert_is_idempotent(store: Store) -> None:
    results = load_reported_results()
    store.upsert_reported_results(results)
    first_runs = store.list_runs()
    first_board = store.leaderboard()

    assert store.upsert_reported_results(results) == 11

    assert store.list_runs().equals(first_runs)  # created_at kept, nothing duplicated
    assert store.leaderboard().equals(first_board)
    assert len(store.aggregates()) == 11 * len(METRIC_COLUMNS)
    assert len(store.downstream_results()) == 18


def test_runs_dropped_from_the_file_are_removed(store: Store) -> None:
    results = load_reported_results()
    store.upsert_reported_results(results)
    fewer = results.model_copy(update={"runs": results.runs[:3]})

    assert store.upsert_reported_results(fewer) == 3

    assert store.leaderboard(kind="reported")["name"].tolist() == ["GPT-Image-1", "Qwen-Image", "HunyuanImage-3.0"]
    assert len(store.aggregates()) == 3 * len(METRIC_COLUMNS)


def test_reported_and_measured_runs_never_mix(store: Store) -> None:
    store.upsert_reported_results(load_reported_results())
    measured = Run(run_id="eval-1", name="reference / ocr", kind="evaluation", generator_kind="baseline",
                   spec_name="ocr", spec_params={"seed": 7}, parent_run_id="gen-1")
    store.upsert_run(measured)
    store.upsert_aggregates("eval-1", [
        Aggregate(metric="rinv", value=41.5, ci_low=35.0, ci_high=48.25, n=120),
        Aggregate(metric="rinv", value=50.0, scope="subject", scope_value="Physics", n=30),
        Aggregate(metric="my_custom_metric", value=2.0),
    ])

    reported = store.leaderboard(kind="reported")
    evaluation = store.leaderboard(kind="evaluation")
    everything = store.leaderboard()

    assert "eval-1" not in set(reported["run_id"]) and len(reported) == 11
    assert evaluation["run_id"].tolist() == ["eval-1"]
    row = evaluation.iloc[0]
    assert (row["rinv"], row["rinv_ci_low"], row["rinv_ci_high"], row["rinv_n"]) == (41.5, 35.0, 48.25, 120)
    assert row["my_custom_metric"] == 2.0
    assert "fid" not in evaluation.columns  # only metrics the selected runs have
    assert len(everything) == 12
    assert everything.set_index("run_id").loc["eval-1", "kind"] == "evaluation"
    assert math.isnan(everything.set_index("run_id").loc["eval-1", "fid"])
    assert store.get_run("eval-1").model_copy(update={"created_at": None}) == measured
    assert store.aggregates(run_id="eval-1", scope="subject")["scope_value"].tolist() == ["Physics"]


def test_delete_run_removes_its_rows(store: Store) -> None:
    store.upsert_reported_results(load_reported_results())
    run_id = store.leaderboard()["run_id"].iloc[0]

    assert store.delete_run(run_id) is True
    assert store.delete_run(run_id) is False
    assert len(store.leaderboard()) == 10
    assert store.aggregates(run_id=run_id).empty


def test_aggregates_need_their_run(store: Store) -> None:
    with pytest.raises(ValueError, match="no run 'missing'"):
        store.upsert_aggregates("missing", [Aggregate(metric="rinv", value=1.0)])


def test_downstream_results(store: Store) -> None:
    store.upsert_reported_results(load_reported_results())

    table = store.downstream_results()

    assert list(table.columns[:5]) == ["source", "benchmark", "accuracy", "train_samples", "provenance"]
    assert len(table) == 18
    assert table["train_samples"].isna().all()
    assert set(table["provenance"]) == {PAPER}
    assert list(dict.fromkeys(table["source"])) == list(ISSUE_DOWNSTREAM)  # published order
    for source, values in ISSUE_DOWNSTREAM.items():
        rows = table[table["source"] == source]
        assert rows["benchmark"].tolist() == ["GEO3K", "MathVision", "average"]
        assert tuple(rows["accuracy"]) == values


def test_a_broken_reported_file_names_file_and_field(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_REPORTED_FILE.read_text(encoding="utf-8"))
    raw["runs"][2]["metrics"]["r_inv"] = raw["runs"][2]["metrics"].pop("perfect_image_rate")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ReportedResultsError, match=r"broken\.json: runs\.2\.metrics: .*unknown metric names \['r_inv'\]"):
        load_reported_results(broken)

    not_json = tmp_path / "not.json"
    not_json.write_text("{", encoding="utf-8")
    with pytest.raises(ReportedResultsError, match=r"not\.json: invalid JSON at line 1"):
        load_reported_results(not_json)

    with pytest.raises(ReportedResultsError, match=r"missing\.json: cannot read"):
        load_reported_results(tmp_path / "missing.json")
