"""dashboard.data: reshaping for display (pure) and the cached accessors over a real store."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.metrics import METRICS
from core.problems.models import Problem, Quiz
from core.problems.selection import ProblemSelection
from core.store import Store
from core.workspace import Workspace
from dashboard import data

PAPER = "Scientific Image Synthesis: Benchmarking, Methodologies, and Downstream Utility (arXiv 2601.17027)"


def test_metric_headers_mark_the_declared_direction():
    assert data.metric_header(METRICS["rinv"]) == "R_inv % ↑"
    assert data.metric_header(METRICS["fid"]) == "FID ↓"
    for spec in METRICS.values():
        assert data.metric_header(spec).endswith("↑" if spec.higher_is_better else "↓")


def test_leaderboard_view_ranks_by_rinv_and_marks_reported_apart(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame)
    table = view.table
    assert list(table["Model"]) == ["Coder-B", "my-coder", "Pixel-A"]
    assert list(table["Results"]) == ["reported", "measured", "reported"]
    assert list(table["Kind"]) == ["code", "code", "pixel"]
    assert view.metric_headers == {"rinv": "R_inv % ↑", "fid": "FID ↓"}  # psnr is all-missing
    assert "PSNR dB ↑" not in table.columns
    assert list(table["R_inv % ↑ CI"]) == ["", "41.50–58.25", ""]
    assert view.provenance == [PAPER]
    assert view.kinds == ["code", "pixel"]


def test_lower_is_better_metric_ranks_ascending_with_missing_last(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame, sort_metric="fid")
    assert list(view.table["Model"]) == ["Pixel-A", "Coder-B", "my-coder"]
    assert math.isnan(view.table["FID ↓"].iloc[-1])


def test_kind_filter_keeps_the_options_of_all_runs(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame, generator_kinds=["pixel"])
    assert list(view.table["Model"]) == ["Pixel-A"]
    assert view.kinds == ["code", "pixel"]


def test_unknown_sort_metric_leaves_store_order(leaderboard_frame):
    view = data.leaderboard_view(leaderboard_frame, sort_metric="kid")
    assert view.sort_metric is None
    assert list(view.table["Model"]) == ["Pixel-A", "Coder-B", "my-coder"]


def test_downstream_table_is_source_by_benchmark():
    frame = pd.DataFrame(
        {
            "source": ["A", "A", "A", "B", "B", "B"],
            "benchmark": ["GEO3K", "MathVision", "Average"] * 2,
            "accuracy": [60.0, 40.0, 50.0, 70.0, 46.0, 58.0],
            "train_samples": [None] * 6,
            "provenance": [PAPER] * 6,
        }
    )
    table = data.downstream_table(frame)
    assert list(table.columns) == ["Training images", "GEO3K", "MathVision", "Average"]
    assert list(table["Training images"]) == ["B", "A"]


def test_table_csv_round_trips(leaderboard_frame):
    table = data.leaderboard_view(leaderboard_frame).table
    text = data.table_csv(table).decode("utf-8")
    assert text.splitlines()[0].startswith("Model,Results,Kind,Access,R_inv % ↑")
    assert len(text.splitlines()) == 4


def test_page_count_has_at_least_one_page():
    assert data.page_count(0, 25) == 1
    assert data.page_count(25, 25) == 1
    assert data.page_count(26, 25) == 2


def test_image_types_narrow_to_the_subject():
    present = ["Math - Plane Geometric", "Physics - Circuit", "Physics - Optical Ray"]
    assert data.image_types_for(None, present) == present
    assert data.image_types_for("Physics", present) == ["Physics - Circuit", "Physics - Optical Ray"]


def test_problem_rows_label_untyped_and_reference_kind():
    frame = pd.DataFrame(
        {
            "uid": ["seephys:1", "custom:a"],
            "id": ["1", "a"],
            "source": ["seephys", "custom"],
            "subject": ["Physics", "Math"],
            "image_type": [None, "Math - Plane Geometric"],
            "question": ["Mass {eq}m = 2{/eq} kg. " + "x" * 300, "Draw a triangle."],
            "answer": ["", ""],
            "n_quizzes": [1, 3],
            "n_elements": [2, 4],
            "has_reference_image": [True, False],
            "has_reference_code": [False, True],
            "has_multimodal_question": [False, False],
        }
    )
    rows = data.problem_rows(frame)
    assert list(rows["Image type"]) == ["Physics (untyped)", "Math - Plane Geometric"]
    assert list(rows["Reference"]) == ["image", "code"]
    assert rows["Question"][0].startswith("Mass $m = 2$ kg.")
    assert rows["Question"][0].endswith("…") and len(rows["Question"][0]) == data.QUESTION_PREVIEW_CHARS
    assert data.problem_rows(frame.iloc[0:0]).empty


def test_problem_detail_marks_correct_option_and_finds_gold_figure(tmp_path):
    workspace = Workspace.from_env(tmp_path).ensure()
    problem = Problem(
        id="tri-1",
        source="custom",
        question="Triangle with {eq}AB = 3{/eq}.",
        subject="Math",
        image_type="Math - Plane Geometric",
        answer="6",
        elements=["{eq}AB = 3{/eq} labelled"],
        quizzes=[Quiz(question="AB?", options={"A": "2", "B": "3"}, correct_option="B")],
        reference_code="import matplotlib",
    )
    detail = data.problem_detail_from(problem, workspace)
    assert detail.question_md == "Triangle with $AB = 3$."
    assert detail.elements_md == ["$AB = 3$ labelled"]
    assert [(o.key, o.correct) for o in detail.quizzes[0].options] == [("A", False), ("B", True)]
    assert detail.gold_figure is None and detail.reference_image is None

    gold = workspace.gold_figure_path(problem.uid)
    assert gold.name == "custom_tri-1.png"
    gold.write_bytes(b"png")
    assert data.problem_detail_from(problem, workspace).gold_figure == str(gold)


def test_reference_image_resolves_relative_to_workspace_or_is_reported_missing(tmp_path):
    workspace = Workspace.from_env(tmp_path).ensure()
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "5.png").write_bytes(b"png")
    found = data.problem_detail_from(_seephys(reference_image="imgs/5.png"), workspace)
    assert found.reference_image == str(tmp_path / "imgs" / "5.png")
    missing = data.problem_detail_from(_seephys(reference_image="imgs/404.png"), workspace)
    assert missing.reference_image is None and missing.reference_image_missing == "imgs/404.png"


def _seephys(reference_image: str) -> Problem:
    return Problem(id="5", source="seephys", question="q", subject="Physics", reference_image=reference_image)


# --------------------------------------------------------------------------- over a real store


def test_reported_leaderboard_has_the_papers_eleven_runs(seeded_home):
    view = data.leaderboard()
    assert len(view.table) == 11
    assert set(view.table["Results"]) == {"reported"}
    assert any("2601.17027" in p for p in view.provenance)
    assert len(data.leaderboard(["code"]).table) == 3
    rinv = view.table[view.metric_headers["perfect_image_rate"]]  # the paper's R_inv
    assert data.leaderboard(sort_metric="perfect_image_rate").table[rinv.name].is_monotonic_decreasing


def test_problem_page_filters_and_paginates(seeded_home, seephys_uid):
    everything = data.problem_page()
    assert everything.total > data.PROBLEMS_PAGE_SIZE
    assert len(everything.rows) == data.PROBLEMS_PAGE_SIZE
    last = data.problem_page(page=10_000)
    assert last.page == last.num_pages == data.problem_page_count()
    assert len(last.rows) == everything.total - (last.num_pages - 1) * data.PROBLEMS_PAGE_SIZE

    physics = data.problem_page(ProblemSelection(subject="Physics"), page_size=1000)
    assert 0 < physics.total < everything.total
    assert set(physics.rows["Subject"]) == {"Physics"}
    assert seephys_uid in set(physics.rows["UID"])  # untyped SeePhys items stay under Physics
    assert data.problem_page(ProblemSelection(search="zzz-no-such-text")).total == 0


def test_problem_facets_and_detail(seeded_home, seephys_uid):
    facets = data.problem_facets()
    assert {"custom", "seephys"} <= set(facets["source"])
    detail = data.problem_detail(seephys_uid)
    assert detail is not None and detail.reference_image is not None
    assert "$m = 2\\,kg$" in detail.question_md
    assert data.problem_detail("custom:no-such-problem") is None


def test_cached_reads_see_writes_from_the_store(fresh_seeded_home):
    before = data.problem_page(ProblemSelection(source="custom")).total
    extra = Problem(
        id="dashboard-cache-test",
        source="custom",
        question="A new problem written after the first read.",
        subject="Biology",
        image_type="Biology - Genetics",
    )
    Store.open(Workspace.from_env(fresh_seeded_home)).upsert_problems([extra])
    assert data.problem_page(ProblemSelection(source="custom")).total == before + 1
    assert data.problem_detail(extra.uid) is not None


@pytest.mark.parametrize("name", ["perfect_image_rate", "fid"])
def test_every_displayed_metric_reads_its_direction_from_the_declarations(seeded_home, name):
    view = data.leaderboard(sort_metric=name)
    column = view.table[view.metric_headers[name]]
    assert column.iloc[0] == (column.max() if METRICS[name].higher_is_better else column.min())


def test_leaderboard_view_of_an_empty_store_is_an_empty_table():
    view = data.leaderboard_view(pd.DataFrame())
    assert view.table.empty and view.metric_headers == {} and view.kinds == [] and view.provenance == []
