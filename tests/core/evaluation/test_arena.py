"""The arena evaluator: reading picks, the recorded order, and whole runs against the loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.evaluation import evaluator_names
from core.evaluation.arena import parse_arena_reply, shown_first
from core.evaluation.base import EvaluatorSpec
from core.jobs import evaluate
from core.models import ModelClient, ResponseCache, load_profiles
from core.models.fake_server import FakeOpenAIServer, ReceivedRequest
from core.review.arena import arena_standings, comparisons
from core.store import Store
from core.workspace import Workspace
from tests.dashboard import review_workspaces as rw


@pytest.mark.parametrize(
    ("reply", "picked"),
    [
        ('Figure 1 shows every force.\n{"winner": "1", "reason": "complete"}', "first"),
        ("```json\n{'winner': 'Figure 2', 'reason': 'labels right',}\n```", "second"),
        ('{"winner": "tie", "reason": "same"}', "tie"),
        ("I prefer the first one.", None),
    ],
)
def test_replies_are_read(reply, picked):
    assert parse_arena_reply(reply)[0] == picked


def test_order_is_a_fair_fixed_coin():
    firsts = [shown_first(0, f"p{i}", "cards") for i in range(400)]
    assert firsts == [shown_first(0, f"p{i}", "cards") for i in range(400)]
    assert 160 < firsts.count("a") < 240
    assert "arena" in evaluator_names()


def home_with_runs(tmp_path: Path) -> Workspace:
    return Workspace.from_env(rw.make_review_workspace(tmp_path / "home").home)


def coder_images(workspace: Workspace) -> set[bytes]:
    return {path.read_bytes() for path in (workspace.home / "figures" / "coder").glob("*.png")}


def write_config(path: Path, server: FakeOpenAIServer) -> Path:
    path.write_text(f'[profiles.referee]\nmodel = "openai/referee"\napi_base = "{server.api_base}"\n'
                    "concurrency = 4\ntimeout_s = 20\nmax_retries = 0\n", encoding="utf-8")
    return path


def run_arena(workspace: Workspace, config: Path, opponent: str = "cards"):
    profiles = load_profiles(config)
    client = ModelClient(cache=ResponseCache(workspace.cache_dir / "models"), config=profiles,
                         home=str(workspace.home))
    try:
        return evaluate(Store.open(workspace), workspace, generation_run="coder",
                        spec=EvaluatorSpec.create("arena", model="referee", opponent=opponent), profiles=profiles,
                        client=client)
    finally:
        client.close()


def test_the_judge_sees_both_figures_in_the_recorded_order_and_coder_wins(model_env, tmp_path):
    workspace = home_with_runs(tmp_path)
    coder = coder_images(workspace)

    def referee(request: ReceivedRequest) -> str:
        assert len(request.images) == 2
        winner = "1" if request.images[0] in coder else "2"
        return f'The coder figure is right.\n{{"winner": "{winner}", "reason": "coder draws it"}}'

    with FakeOpenAIServer(reply=referee) as server:
        config = write_config(tmp_path / "scigen.toml", server)
        summary = run_arena(workspace, config)
        assert summary.state == "finished" and summary.done == summary.total > 0
        assert summary.run_name == "coder · arena:referee vs cards"
        assert summary.aggregates["arena_win"]["value"] == 100.0
        calls = server.request_count
        again = run_arena(workspace, config)  # resumable: nothing left to judge, no call made
        assert again.ran == 0 and server.request_count == calls
    frame = comparisons(Store.open(workspace))
    assert set(frame["run_b"]) == {"cards"} and frame["outcome"].eq(1.0).all()
    assert set(frame["first_shown"]) == {"a", "b"}  # both orders were shown
    standings = arena_standings(Store.open(workspace), n_resamples=50)
    assert list(standings.ratings["run"]) == ["coder", "cards"]
    assert standings.win_rates.loc["coder", "cards"] == 1.0
    first_share = (frame["picked"] == "first").mean()
    assert standings.bias["first_picked"] == pytest.approx(first_share)


def test_a_judge_that_always_picks_figure_one_shows_position_bias(model_env, tmp_path):
    workspace = home_with_runs(tmp_path)
    with FakeOpenAIServer(reply='{"winner": "1", "reason": "first"}') as server:
        summary = run_arena(workspace, write_config(tmp_path / "scigen.toml", server))
    assert summary.aggregates["arena_first_picked"]["value"] == 100.0
    standings = arena_standings(Store.open(workspace), n_resamples=50)
    assert standings.bias["first_picked"] == 1.0


def test_an_unknown_opponent_is_a_clear_error(model_env, tmp_path):
    from core.jobs import JobError

    workspace = home_with_runs(tmp_path)
    with FakeOpenAIServer(reply="{}") as server, pytest.raises(JobError, match="no generation run 'nobody'"):
        run_arena(workspace, write_config(tmp_path / "scigen.toml", server), opponent="nobody")
