"""``scigen engine``: every verb has --help; a missing profile, a broken pipeline or an unreachable
cluster fails before any work with one line; status reads a dataset (Ray is never started here)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.engine.manifest import Manifest, now, write_manifest
from core.engine.shards import write_shard
from core.models.testing import closed_port


@pytest.fixture
def scigen(scigen_with, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCIGEN_CONFIG", raising=False)
    return scigen_with("core.cli.engine_cmd", tmp_path / "home")


def _pipeline(tmp_path: Path, generate: str) -> Path:
    (tmp_path / "problems.jsonl").write_text('{"id": "a", "question": "q", "subject": "Physics"}\n')
    path = tmp_path / "pipeline.toml"
    path.write_text(f'[source]\npaths = ["problems.jsonl"]\n\n{generate}')
    return path


@pytest.mark.parametrize("verb", [(), ("run",), ("status",), ("resume",)])
def test_every_verb_has_help(scigen, verb: tuple[str, ...], capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        scigen("engine", *verb, "--help")
    assert exit_.value.code == 0
    assert "usage: scigen engine" in capsys.readouterr().out


def test_a_missing_profile_fails_before_any_work_with_one_line(scigen, tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, '[generate]\ngenerator = "imgcoder"\nparams = { model = "nowhere" }\n')
    status, out, err = scigen("engine", "run", pipeline, "--out", tmp_path / "dataset", "--no-progress")
    assert status == 2 and out == ""
    assert err.startswith("scigen engine: error: unknown profile or model 'nowhere'") and err.count("\n") == 1
    assert not (tmp_path / "dataset").exists()


def test_an_unknown_key_in_the_pipeline_names_the_table_and_key(scigen, tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, '[generate]\ngenerator = "text-card"\nparmas = { dpi = 20 }\n')
    status, _, err = scigen("engine", "run", pipeline, "--out", tmp_path / "dataset", "--no-progress")
    assert status == 2 and "generate.parmas" in err and err.count("\n") == 1


def test_an_unreachable_cluster_fails_at_once_with_one_line(scigen, tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, '[generate]\ngenerator = "text-card"\n')
    port = closed_port()
    started = time.monotonic()
    status, _, err = scigen("engine", "run", pipeline, "--out", tmp_path / "dataset", "--address",
                            f"ray://127.0.0.1:{port}", "--no-progress")
    assert status == 2 and time.monotonic() - started < 15
    assert err == f"scigen engine: error: cannot reach a Ray cluster at ray://127.0.0.1:{port}: nothing answers at 127.0.0.1:{port}\n"
    assert not (tmp_path / "dataset" / "shards").exists()


def test_status_counts_the_committed_shards_even_when_the_manifest_is_behind(scigen, tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    write_shard(dataset, "s-000000", [
        {"key": "custom:a", "status": "ok", "passed": True, "cost_usd": 0.01, "model_calls": 1, "t_verify_s": 0.1},
        {"key": "custom:b", "status": "failed", "passed": False, "cost_usd": 0.02, "model_calls": 2},
    ])
    write_manifest(dataset, Manifest(dataset="dataset", state="running", created_at=now(), updated_at=now()))
    status, out, _ = scigen("engine", "status", dataset)
    assert status == 0
    assert "items 2 in 1 shards; generated ok 1, failed 1; quizzed 0; verified 1; passed 1, rejected 1" in out
    assert "model calls 3; cost $0.0300" in out
    status, out, err = scigen("engine", "status", tmp_path)
    assert status == 2 and "not an engine dataset" in err


def test_status_says_interrupted_when_the_running_driver_is_gone(scigen, tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dataset = tmp_path / "dataset"
    write_shard(dataset, "s-000000", [{"key": "custom:a", "status": "ok"}])
    write_manifest(dataset, Manifest(dataset="dataset", state="running", created_at=now(), updated_at=now(),
                                     driver=f"{socket.gethostname()}:{dead.stdout.strip()}"))
    status, out, _ = scigen("engine", "status", dataset)
    assert status == 0 and "interrupted (its driver" in out and "scigen engine resume" in out


def test_the_progress_bar_shows_rates_per_stage_cost_and_the_ray_dashboard(monkeypatch, capsys) -> None:
    from core.cli.engine_cmd import _Bar
    from core.engine.driver import Progress
    from core.engine.manifest import StageCounts

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    bar = _Bar(True)
    for done in (0, 40):
        bar(Progress(counts=StageCounts(), elapsed_s=4.0 if done else 0.0, total=100, to_do=100,
                     done_this_run=done, workers=2, cost_usd=0.25, dashboard_url="http://127.0.0.1:8265",
                     rates={"generated_ok": 10.0, "verified": 9.5}))
    bar.close()
    err = capsys.readouterr().err
    assert "Ray dashboard: http://127.0.0.1:8265" in err
    assert "40/100" in err and "generated 10.0/s" in err and "verified 9.5/s" in err and "$0.2500" in err
    assert Progress(counts=StageCounts(), elapsed_s=4.0, total=100, to_do=100, done_this_run=40, workers=2,
                    cost_usd=0.0, dashboard_url=None).eta_s == pytest.approx(6.0)


def test_a_folder_of_another_pipeline_or_an_object_store_url_is_refused_before_any_work(scigen, tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, '[generate]\ngenerator = "text-card"\n')
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "pipeline.toml").write_text('[source]\npaths = ["other.jsonl"]\n')
    status, _, err = scigen("engine", "run", pipeline, "--out", dataset, "--no-progress")
    assert status == 2 and "holds a dataset of another pipeline" in err and "scigen engine resume" in err
    status, _, err = scigen("engine", "run", pipeline, "--out", "s3://bucket/run1", "--no-progress")
    assert status == 2 and "only local folders" in err and err.count("\n") == 1
