"""Helpers for engine tests: problem files, pipeline files, a profile file for the loopback model
server, the engine run as a real ``scigen engine`` process, and what a dataset holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from core.engine.shards import committed_keys, read_columns
from core.models.fake_server import FakeOpenAIServer
from tests.core.jobs.jobkit import make_problem

ROOT = Path(__file__).resolve().parents[3]


def write_problems(path: Path, n: int, *, prefix: str = "e", case: str = "ok") -> list[str]:
    """``n`` problems as JSON Lines (the loopback server answers each by its ``[case:...]``);
    returns their keys."""
    keys = []
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(n):
            problem = make_problem(f"{prefix}{index:04d}", case)
            handle.write(json.dumps({
                "id": problem.id, "question": problem.question, "subject": problem.subject.value,
                "image_type": problem.image_type, "answer": problem.answer, "elements": problem.elements,
            }) + "\n")
            keys.append(problem.uid)
    return keys


def write_profiles(path: Path, server: FakeOpenAIServer, **fields: Any) -> Path:
    """A scigen.toml whose profile ``fake`` calls ``server`` (priced, so costs and budgets work)."""
    values = {"concurrency": 16, "max_tokens": 400, "timeout_s": 5.0, "max_retries": 3,
              "input_cost_per_mtok": 1.0, "output_cost_per_mtok": 2.0, **fields}
    body = "\n".join(f"{key} = {json.dumps(value)}" for key, value in values.items())
    path.write_text(f'[profiles.fake]\nmodel = "openai/fake-model"\napi_base = "{server.api_base}"\n{body}\n')
    return path


def write_pipeline(path: Path, source: Path, *, extra: str = "", batch_size: int = 8, concurrency: int = 8,
                   generate: str | None = None) -> Path:
    generate = generate if generate is not None else (
        '[generate]\ngenerator = "imgcoder"\n'
        'params = { model = "fake", max_attempts = 2, dpi = 30, timeout_s = 5.0 }\n'
    )
    path.write_text(
        f'[source]\npaths = ["{source}"]\nsource = "custom"\n\n{generate}\n{extra}\n'
        f"[run]\nbatch_size = {batch_size}\nconcurrency = {concurrency}\n"
    )
    return path


def engine_env(home: Path, config: Path | None) -> dict[str, str]:
    env = {**os.environ, "SCIGEN_HOME": str(home), "MPLBACKEND": "Agg", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "PYTHONPATH": str(ROOT), "RAY_DEDUP_LOGS": "0"}
    if config is not None:
        env["SCIGEN_CONFIG"] = str(config)
    return env


def start_engine(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``scigen engine ARGS`` as its own process (the driver a test may kill -9)."""
    handle = open(log, "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "core", "engine", *args, "--no-progress"], cwd=ROOT, env=env,
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )


def run_engine(args: list[str], env: dict[str, str], log: Path, timeout: float = 150) -> subprocess.CompletedProcess:
    process = start_engine(args, env, log)
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, log.read_text(errors="replace"), "")


def all_keys(dataset: Path) -> list[str]:
    """Every key of every committed shard, duplicates included."""
    return [key for table in read_columns(dataset, ["key"]) for key in table.column("key").to_pylist()]


def assert_exactly_once(dataset: Path, expected: list[str]) -> None:
    keys = all_keys(dataset)
    duplicates = [key for key, count in Counter(keys).items() if count > 1]
    assert not duplicates, f"{len(duplicates)} keys in more than one shard, e.g. {duplicates[:3]}"
    assert set(keys) == set(expected) == committed_keys(dataset)


def wait_for_shards(dataset: Path, at_least: int, process: subprocess.Popen, timeout: float = 90) -> None:
    """Until ``at_least`` shards are committed (or the engine ended, or time is up)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        folder = dataset / "shards"
        if folder.is_dir() and len(list(folder.glob("part-*.parquet"))) >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} shards after {timeout} s (engine exit {process.poll()})")
