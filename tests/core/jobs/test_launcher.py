"""Background jobs (core.jobs.launcher): real ``scigen`` processes started, watched through the
store, cancelled with SIGTERM (they record 'interrupted') and resumed by relaunching."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.cli import build_parser
from core.jobs import ProblemSelection, effective_state
from core.jobs.launcher import (
    JobError,
    cancel,
    evaluation_args,
    force_stop,
    generation_args,
    get_job,
    jobs_dir,
    launch,
    list_jobs,
    read_log,
    relaunch,
)
from core.problems.sample import load_sample
from core.store import RunProgress, Store
from tests.core.jobs.jobkit import make_problem

JOB_TIMEOUT_S = 180


def wait_for(check: Callable[[], Any], what: str, timeout: float = JOB_TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def progress_of(store: Store, run_name: str) -> RunProgress | None:
    run = store.find_run("generation", run_name)
    return store.run_progress(run.run_id) if run is not None else None


def fake_profile(tmp_path: Path, server, *, concurrency: int = 1) -> dict[str, str]:
    """A scigen.toml with one profile on the loopback server; the env that makes a job use it."""
    config = tmp_path / "scigen.toml"
    config.write_text(
        "[profiles.fake]\n"
        'model = "openai/fake-model"\n'
        f'api_base = "{server.api_base}"\n'
        f"concurrency = {concurrency}\ntimeout_s = 30\nmax_retries = 0\nmax_tokens = 400\n"
        "input_cost_per_mtok = 1.0\noutput_cost_per_mtok = 2.0\n",
        encoding="utf-8",
    )
    return {"SCIGEN_CONFIG": str(config)}


# ---- command lines --------------------------------------------------------------------------------


def test_generation_args_are_a_valid_generate_command(tmp_path):
    selection = ProblemSelection(
        subject="Physics", image_type="Physics - Circuit", source="custom", ids=("custom:a", "b"), limit=5
    )
    args = generation_args(
        "my run",
        "gpt4o-mini",
        selection,
        concurrency=3,
        max_cost_usd=0.5,
        max_attempts=2,
        retry_failed=True,
        use_cache=False,
    )
    parsed = build_parser().parse_args(["--home", str(tmp_path), *args])
    assert parsed.verb == "generate" and parsed.run == "my run" and parsed.model == "gpt4o-mini"
    assert (parsed.subject, parsed.image_type, parsed.source) == ("Physics", "Physics - Circuit", "custom")
    assert (parsed.ids, parsed.limit, parsed.concurrency, parsed.max_cost) == ("custom:a,b", 5, 3, 0.5)
    assert parsed.max_attempts == 2 and parsed.retry_failed and parsed.no_cache and parsed.no_progress

    offline = build_parser().parse_args(["--home", "h", *generation_args("r", "reference", None)])
    assert (offline.model, offline.subject, offline.limit, offline.retry_failed) == (
        "reference",
        None,
        None,
        False,
    )
    dashed = build_parser().parse_args(["--home", "h", *generation_args("-x", "reference", None)])
    assert dashed.run == "-x"  # a value that looks like an option stays a value


def test_evaluation_args_are_a_valid_evaluate_command():
    from core.cli import evaluate_cmd

    parser = argparse.ArgumentParser()
    evaluate_cmd.register(parser.add_subparsers(dest="verb"))
    args = evaluation_args(
        "gold",
        vqa="ocr",
        judges=["a", "b"],
        metrics=["psnr", "ssim"],
        selection=ProblemSelection(limit=3),
        max_cost_usd=1.0,
        retry_failed=True,
    )
    parsed = parser.parse_args(args)
    assert parsed.verb == "evaluate" and parsed.run == "gold" and parsed.vqa == "ocr"
    assert (parsed.judge, parsed.metrics, parsed.limit, parsed.max_cost) == ("a,b", "psnr,ssim", 3, 1.0)
    assert parsed.retry_failed and parsed.no_progress


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: generation_args(" ", "reference"), "name"),
        (lambda: generation_args("r", ""), "model"),
        (lambda: evaluation_args("gold"), "at least one evaluator"),
        (lambda: evaluation_args("", vqa="ocr"), "generation run"),
    ],
)
def test_bad_commands_are_refused_with_a_reason(build, message):
    with pytest.raises(JobError, match=message):
        build()


def test_launch_runs_only_job_verbs_with_a_run_name(workspace):
    with pytest.raises(JobError, match="generate, evaluate"):
        launch(["init"], workspace=workspace)
    with pytest.raises(JobError, match="--run"):
        launch(["generate", "--model", "reference"], workspace=workspace)
    assert list_jobs(workspace) == []


def test_unreadable_job_records_are_skipped(workspace):
    folder = jobs_dir(workspace)
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "partial.json").write_text(json.dumps({"job_id": "partial"}), encoding="utf-8")
    assert list_jobs(workspace) == []
    assert get_job(workspace, "../../etc/passwd") is None
    assert get_job(workspace, "missing") is None
    assert cancel(workspace, "missing") is False


# ---- real processes -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_offline_job_runs_in_the_background_and_finishes(workspace, store):
    store.upsert_problems(load_sample()[:3])
    handle = launch(
        generation_args("background", "reference", ProblemSelection(limit=2)), workspace=workspace
    )
    assert handle.pid > 0 and handle.verb == "generate" and handle.run_name == "background"
    assert handle.command == "scigen generate --run=background --model=reference --no-progress --limit=2"
    assert Path(handle.log_path).parent == jobs_dir(workspace)

    progress = wait_for(
        lambda: (p := progress_of(store, "background")) is not None and p.state == "finished" and p,
        "the job's progress row to read finished",
    )
    assert (progress.done, progress.total, progress.ok, progress.pid) == (2, 2, 2, handle.pid)
    info = wait_for(
        lambda: (i := get_job(workspace, handle.job_id)) is not None and not i.alive and i,
        "the process to end",
    )
    assert info.exit_code == 0
    assert "finished" in read_log(info) and read_log(info).startswith("$ scigen generate")
    assert [job.job_id for job in list_jobs(workspace)] == [handle.job_id]
    assert cancel(workspace, handle.job_id) is False  # nothing to cancel any more
    assert {Path(p).name for p in store.generations(progress.run_id)["image_path"]}  # figures on disk


@pytest.mark.slow
def test_cancel_stops_a_slow_job_which_records_interrupted_and_resume_finishes_it(
    tmp_path, workspace, store, make_server
):
    problems = [make_problem(f"slow{index}", "ok") for index in range(5)]
    store.upsert_problems(problems)
    server = make_server(latency_s=1.0)
    env = fake_profile(tmp_path, server)
    args = generation_args("slow", "fake", ProblemSelection(source="custom"), concurrency=1, max_attempts=1)
    handle = launch(args, workspace=workspace, env=env)

    wait_for(lambda: (p := progress_of(store, "slow")) is not None and p.done >= 1, "the first figure")
    assert get_job(workspace, handle.job_id).alive
    with pytest.raises(JobError, match="already has a running generate job"):
        launch(args, workspace=workspace, env=env)  # two processes never work on one run
    assert cancel(workspace, handle.job_id) is True
    info = wait_for(
        lambda: (i := get_job(workspace, handle.job_id)) and not i.alive and i, "the job to stop", 60
    )
    assert info.exit_code == 130
    progress = progress_of(store, "slow")
    assert (progress.state, progress.stop_reason) == ("cancelled", "interrupted")
    assert 1 <= progress.done < 5
    assert "interrupted" in read_log(info)

    again = relaunch(workspace, handle.job_id, env=env)
    assert again.job_id != handle.job_id and again.args == handle.args
    progress = wait_for(
        lambda: (p := progress_of(store, "slow")) is not None and p.state == "finished" and p,
        "the resumed job",
    )
    assert (progress.done, progress.ok, progress.pid) == (5, 5, again.pid)
    assert len(store.generations(progress.run_id)) == 5  # nothing stored twice


@pytest.mark.slow
def test_force_stop_kills_a_hung_job_whose_run_then_reads_stopped(tmp_path, workspace, store, make_server):
    store.upsert_problems([make_problem("hung0", "ok")])
    server = make_server(latency_s=60.0)
    handle = launch(
        generation_args("hung", "fake", ProblemSelection(source="custom"), max_attempts=1),
        workspace=workspace,
        env=fake_profile(tmp_path, server),
    )
    wait_for(lambda: server.in_flight >= 1, "the job's model call")
    with pytest.raises(JobError, match="still running"):
        relaunch(workspace, handle.job_id)
    assert force_stop(workspace, handle.job_id) is True
    info = wait_for(lambda: (i := get_job(workspace, handle.job_id)) and not i.alive and i, "the kill", 30)
    assert info.exit_code == -9
    progress = progress_of(store, "hung")
    assert progress.state == "running"  # it had no chance to record its end ...
    assert effective_state(progress.state, progress.pid, progress.host) == "stopped"  # ... and reads stopped


def test_a_search_selection_is_refused_for_a_background_job() -> None:
    with pytest.raises(JobError, match="search"):
        generation_args("searched", "reference", ProblemSelection(search="circuit"))
