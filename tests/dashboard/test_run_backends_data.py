"""A TikZ run and a Matplotlib run of the ``reference`` generator over the same problems, each
named with its backend on the leaderboard, in Compare, the Explorer's run picker and the Jobs
history (backend_workspaces.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.data import figures, jobs
from dashboard.data import results as data
from dashboard.data.access import open_store
from tests.dashboard import backend_workspaces as bw


@pytest.fixture(scope="module")
def _backends_home(tmp_path_factory) -> Path:
    return bw.backend_workspace(tmp_path_factory.mktemp("backends"))


@pytest.fixture
def backends_home(_backends_home, monkeypatch) -> Path:
    monkeypatch.setenv("SCIGEN_HOME", str(_backends_home))
    return _backends_home


def test_each_run_is_named_with_its_backend(backends_home) -> None:
    assert figures.run_backends() == {bw.MATPLOTLIB_RUN: "Matplotlib", bw.TIKZ_RUN: "TikZ"}
    assert figures.drawn_in([bw.TIKZ_RUN, "not-a-run"]) == f"Drawn in: {bw.TIKZ_RUN} · TikZ"
    assert figures.drawn_in(["not-a-run"]) == ""
    runs = open_store(str(backends_home)).leaderboard()
    protocol = data.protocol_ids(runs[runs["name"] == bw.TIKZ_RUN]).iloc[0]  # both runs share it
    board = data.leaderboard(data.LeaderboardQuery(protocol=protocol)).view.table
    backend_of = dict(zip(board["Model"], board["Backend"], strict=True))
    assert backend_of[bw.MATPLOTLIB_RUN] == "Matplotlib" and backend_of[bw.TIKZ_RUN] == "TikZ"
    assert list(board.columns).index("Backend") == list(board.columns).index("Kind") + 1
    history = jobs.run_history()
    history_backend = dict(zip(history["Run"], history["Backend"], strict=True))
    assert history_backend[bw.TIKZ_RUN] == "TikZ" and history_backend[bw.MATPLOTLIB_RUN] == "Matplotlib"


def test_compare_puts_the_two_backends_side_by_side(backends_home) -> None:
    runs = [bw.MATPLOTLIB_RUN, bw.TIKZ_RUN]
    comparison = figures.comparison(runs)
    assert comparison.n_common == len(bw.BACKEND_UIDS)
    item = figures.compare_item(runs, bw.BACKEND_UIDS[0])
    assert [(side.run, side.backend) for side in item.sides] == [
        (bw.MATPLOTLIB_RUN, "Matplotlib"), (bw.TIKZ_RUN, "TikZ")
    ]
    assert all(side.status == "ok" and side.image for side in item.sides)
