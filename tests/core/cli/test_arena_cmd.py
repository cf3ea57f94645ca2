"""``scigen arena``: every pair of runs judged against the loopback server, then the standings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.models.fake_server import FakeOpenAIServer
from tests.dashboard import review_workspaces as rw


@pytest.fixture
def scigen(scigen_with, model_env, tmp_path: Path):
    home = rw.make_review_workspace(tmp_path / "home").home
    return scigen_with("core.cli.arena_cmd", home)


def test_help_and_errors(scigen):
    with pytest.raises(SystemExit) as exit_info:
        scigen("arena", "--help")
    assert exit_info.value.code == 0
    status, _, err = scigen("arena", "--run", "coder")
    assert status != 0 and "two or more different --run" in err
    status, _, err = scigen("arena", "--run", "coder", "--run", "nope")
    assert status != 0 and "no generation run 'nope'" in err
    status, out, _ = scigen("arena", "--run", "coder", "--run", "cards")
    assert status == 0 and "give --judge MODEL" in out


def test_arena_between_two_seeded_runs_gives_ratings_with_intervals(scigen, tmp_path: Path):
    with FakeOpenAIServer(reply='Same content.\n{"winner": "tie", "reason": "both fine"}') as server:
        config = tmp_path / "scigen.toml"
        config.write_text(f'[profiles.referee]\nmodel = "openai/referee"\napi_base = "{server.api_base}"\n',
                          encoding="utf-8")
        status, out, err = scigen("arena", "--run", "coder", "--run", "cards", "--judge", "referee", "--config",
                                  config, "--limit", "4")
        assert status == 0, err
        assert "coder · arena:referee vs cards: 4/4 compared" in out
        assert "Bradley-Terry ratings" in out and "coder: 1000 [" in out and "50%" in out
        status, out, err = scigen("arena", "--run", "coder", "--run", "cards", "--format", "json")
    payload = json.loads(out)
    assert payload["comparisons"] == 4 and {row["run"] for row in payload["ratings"]} == {"coder", "cards"}
    assert all(row["ci_low"] <= row["rating"] <= row["ci_high"] for row in payload["ratings"])
