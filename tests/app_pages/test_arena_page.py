"""The Arena page: ratings, win-rate matrix and position bias of stored arena judgements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.store import Store
from core.store.evaluations import EvaluationItemRow, MetricValueRow
from core.store.records import Run
from tests.app_pages.pagekit import page_runner
from tests.dashboard import review_workspaces as rw

run_page = page_runner("arena.py")


@pytest.fixture
def arena_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """coder beat cards on every problem but one (a tie); the judge always picked the first figure."""
    workspace = rw.make_review_workspace(tmp_path / "home")
    store = Store.open(workspace)
    coder = rw.generation_run_id("coder")
    uids = sorted(store.figure_outcomes([coder])["problem_uid"])
    store.upsert_run(Run(run_id="eval-arena", name="coder · arena:referee vs cards", kind="evaluation",
                         parent_run_id=coder, spec_name="arena"))
    values = []
    for index, uid in enumerate(uids):
        tie = index == 0
        detail = json.dumps({"opponent": "cards", "first_shown": "a", "picked": "tie" if tie else "first",
                             "reason": "r"})
        values += [MetricValueRow(problem_uid=uid, metric="arena_win", value=0.5 if tie else 1.0, detail=detail),
                   MetricValueRow(problem_uid=uid, metric="arena_first_picked", value=None if tie else 1.0,
                                  status="unavailable" if tie else "ok", detail=detail)]
    store.save_evaluation("eval-arena", [EvaluationItemRow(problem_uid=uid, status="ok", figure_status="ok")
                                         for uid in uids], metric_values=values)
    monkeypatch.setenv("SCIGEN_HOME", str(workspace.home))
    return workspace.home


def test_ratings_matrix_and_bias(arena_home):
    at = run_page()
    assert not at.exception
    ratings = at.dataframe[0].value
    assert list(ratings["Run"]) == ["coder", "cards"]
    assert ratings.loc[0, "Rating"] > 1000 > ratings.loc[1, "Rating"]
    captions = " ".join(c.value for c in at.caption)
    assert "picked in 100%" in captions and "the judge favours a position" in captions


def test_without_comparisons_the_page_says_how_to_make_them(tmp_path, monkeypatch):
    home = rw.make_review_workspace(tmp_path / "home").home
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    at = run_page()
    assert not at.exception and "scigen arena --run A --run B --judge MODEL" in at.info[0].value
