"""``kill -9`` a real ``scigen generate`` process mid-run, rerun the same command, and compare with
an uninterrupted run: same figure per problem, nothing stored twice. While the job runs, this
process reads its progress from the store (as the dashboard does)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.jobs import effective_state
from core.store import RunProgress, Store
from core.workspace import PROJECT_ROOT, Workspace
from tests.core.jobs.jobkit import make_problem

pytestmark = pytest.mark.slow

# The CLI with only this verb group (core/cli/__init__.py lists the modules of the installed CLI).
DRIVER = (
    "import sys, core.cli as cli; cli.VERB_MODULES = ('core.cli.generate_cmd',); "
    "sys.exit(cli.main(sys.argv[1:]))"
)
MIX = {"ok": 14, "repaired": 4, "raises": 3, "nocode": 3}


def _setup_home(home: Path, problems) -> Store:
    store = Store.open(Workspace.from_env(home).ensure())
    store.upsert_problems(problems)
    return store


def _command(home: Path) -> list[str]:
    return [
        sys.executable, "-c", DRIVER, "--home", str(home), "generate", "--model", "fake", "--run", "kill-test",
        "--max-attempts", "2", "--render-timeout", "5", "--concurrency", "4", "--no-progress",
    ]


def _environment(tmp_path: Path, server) -> dict[str, str]:
    config = tmp_path / "scigen.toml"
    config.write_text(
        "[profiles.fake]\n"
        'model = "openai/fake-model"\n'
        f'api_base = "{server.api_base}"\n'
        "concurrency = 2\ntimeout_s = 20\nmax_retries = 1\nmax_tokens = 400\n"
        "input_cost_per_mtok = 1.0\noutput_cost_per_mtok = 2.0\n",
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "SCIGEN_"))}
    env.update(
        SCIGEN_CONFIG=str(config), PYTHONPATH=str(PROJECT_ROOT), LITELLM_LOCAL_MODEL_COST_MAP="True",
        MPLBACKEND="Agg",
    )
    return env


def _figures(store: Store, run_id: str) -> dict[str, tuple]:
    frame = store.generations(run_id).astype(object)
    frame = frame.where(frame.notna(), None)
    return {
        row.problem_uid: (row.status, row.error_class, int(row.attempts), row.code, row.plan)
        for row in frame.itertuples(index=False)
    }


def _attempts(store: Store, run_id: str) -> list[tuple]:
    frame = store.generation_attempts(run_id).astype(object)
    frame = frame.where(frame.notna(), None)
    return sorted(
        (row.problem_uid, int(row.attempt), row.status, row.error_class, row.code)
        for row in frame.itertuples(index=False)
    )


def _wait_for_progress(store: Store, job: subprocess.Popen, done: int) -> RunProgress:
    """Poll the job's progress row from this process (as a dashboard does) until ``done``."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert job.poll() is None, f"the job ended early: {job.stdout.read()}"
        run = store.find_run("generation", "kill-test")
        progress = store.run_progress(run.run_id) if run is not None else None
        if progress is not None and progress.done >= done:
            return progress
        time.sleep(0.05)
    job.kill()
    pytest.fail("the job made no progress within 120 s")


def test_sigterm_stops_cleanly_records_it_and_keeps_finished_figures(tmp_path, make_server):
    problems = [make_problem(f"t{index:02d}", "ok") for index in range(16)]
    server = make_server(latency_s=0.4)
    home = tmp_path / "terminated"
    store = _setup_home(home, problems)
    job = subprocess.Popen(_command(home), env=_environment(tmp_path, server), cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for_progress(store, job, 3)
    job.send_signal(signal.SIGTERM)
    output, _ = job.communicate(timeout=60)
    assert job.returncode == 130, output
    assert "rerun the same command to resume" in output
    run_id = store.find_run("generation", "kill-test").run_id
    progress = store.run_progress(run_id)
    assert (progress.state, progress.stop_reason) == ("cancelled", "interrupted")
    assert 3 <= progress.done < len(problems) == progress.total


def test_kill_9_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path, make_server):
    problems = [
        make_problem(f"k{index:02d}-{case}", case)
        for index, case in enumerate(case for case, count in MIX.items() for _ in range(count))
    ]
    server = make_server(latency_s=0.4)
    env = _environment(tmp_path, server)
    home = tmp_path / "killed"
    store = _setup_home(home, problems)

    job = subprocess.Popen(_command(home), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    try:
        seen_running = _wait_for_progress(store, job, 6)
    finally:
        os.kill(job.pid, signal.SIGKILL)
        job.wait(timeout=30)
    assert job.returncode == -signal.SIGKILL
    assert seen_running.state == "running" and seen_running.pid == job.pid
    assert 6 <= seen_running.done < len(problems)

    run_id = store.find_run("generation", "kill-test").run_id
    kept = store.generation_statuses(run_id)
    assert len(kept) < len(problems)
    killed = store.run_progress(run_id)
    assert killed.state == "running"  # nobody recorded an end: it was killed
    assert effective_state(killed.state, killed.pid, killed.host) == "stopped"

    requests_before_resume = server.request_count
    resumed = subprocess.run(_command(home), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{len(kept)} were already done" in resumed.stdout
    assert server.request_count > requests_before_resume
    progress = store.run_progress(run_id)
    assert (progress.state, progress.done, progress.total) == ("finished", len(problems), len(problems))

    again = subprocess.run(_command(home), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr

    other_home = tmp_path / "uninterrupted"
    other_store = _setup_home(other_home, problems)
    straight = subprocess.run(_command(other_home), env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
    assert straight.returncode == 0, straight.stdout + straight.stderr
    other_run_id = other_store.find_run("generation", "kill-test").run_id

    resumed_figures = _figures(store, run_id)
    assert len(resumed_figures) == len(problems)  # one record per problem, no duplicates
    assert resumed_figures == _figures(other_store, other_run_id)
    assert _attempts(store, run_id) == _attempts(other_store, other_run_id)
    statuses = {status for status, *_ in resumed_figures.values()}
    assert statuses == {"ok", "failed"}
    for uid, (status, *_rest) in resumed_figures.items():
        image = Workspace.from_env(home).figure_path("kill-test", uid)
        assert image.is_file() == (status == "ok"), uid
    calls = store.model_calls(run_id)
    assert calls["call_id"].is_unique
    assert len(store.list_runs("generation")) == 1
