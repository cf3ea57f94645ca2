"""The engine on a real two-node Ray cluster against the loopback model server: a pipeline over a
few hundred problems survives a killed worker process, a driver killed with SIGKILL and a lost
node, and the dataset holds every item exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.engine.manifest import read_manifest
from core.models.fake_server import FakeOpenAIServer
from tests.core.engine.enginekit import (
    assert_exactly_once,
    engine_env,
    run_engine,
    start_engine,
    wait_for_shards,
    write_pipeline,
    write_problems,
    write_profiles,
)

pytestmark = pytest.mark.slow

N_PROBLEMS = 120
BATCH = 6
CONCURRENCY = 8


def _setup(tmp_path: Path, server: FakeOpenAIServer) -> tuple[list[str], Path, dict[str, str]]:
    keys = write_problems(tmp_path / "problems.jsonl", N_PROBLEMS)
    pipeline = write_pipeline(tmp_path / "pipeline.toml", tmp_path / "problems.jsonl", batch_size=BATCH,
                              concurrency=CONCURRENCY)
    env = engine_env(tmp_path / "home", write_profiles(tmp_path / "scigen.toml", server))
    return keys, pipeline, env


def test_a_killed_worker_process_is_replaced_and_every_item_lands_exactly_once(
    tmp_path: Path, cluster: Any, model_server: FakeOpenAIServer, engine_worker_pids: Callable[[], list[int]]
) -> None:
    keys, pipeline, env = _setup(tmp_path, model_server)
    dataset = tmp_path / "dataset"
    driver = start_engine(["run", str(pipeline), "--out", str(dataset), "--address", cluster.address],
                          env, tmp_path / "engine.log")
    try:
        wait_for_shards(dataset, 3, driver)
        victims = engine_worker_pids()
        assert victims, "no EngineWorker process found"
        os.kill(victims[0], signal.SIGKILL)
        assert driver.wait(timeout=150) == 0, (tmp_path / "engine.log").read_text()
    finally:
        if driver.poll() is None:
            driver.kill()
    assert_exactly_once(dataset, keys)
    manifest = read_manifest(dataset)
    assert manifest is not None and manifest.state == "finished"
    assert manifest.counts.items == N_PROBLEMS and manifest.counts.generated_ok == N_PROBLEMS


def test_a_driver_killed_with_sigkill_resumes_without_duplicates_paying_only_calls_in_flight(
    tmp_path: Path, cluster: Any, model_server: FakeOpenAIServer
) -> None:
    keys, pipeline, env = _setup(tmp_path, model_server)
    dataset = tmp_path / "dataset"
    driver = start_engine(["run", str(pipeline), "--out", str(dataset), "--address", cluster.address],
                          env, tmp_path / "engine.log")
    try:
        wait_for_shards(dataset, 4, driver)
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait(timeout=10)
    finally:
        if driver.poll() is None:
            driver.kill()
    committed_before = len(list((dataset / "shards").glob("part-*.parquet")))
    assert committed_before < N_PROBLEMS // BATCH, "the run ended before the kill"
    time.sleep(1.0)  # the cluster reaps the dead driver's actors
    resumed = run_engine(["resume", str(dataset), "--address", cluster.address], env, tmp_path / "resume.log")
    assert resumed.returncode == 0, resumed.stdout
    assert_exactly_once(dataset, keys)
    # One chat call per item; a rerun pays again at most what was in flight at the kill (2 batches per worker).
    in_flight_bound = 2 * 2 * BATCH
    assert model_server.request_count <= N_PROBLEMS + in_flight_bound
    manifest = read_manifest(dataset)
    assert manifest is not None and manifest.state == "finished" and len(manifest.sessions) == 2
    assert manifest.counts.already_done >= committed_before * BATCH


def test_a_lost_node_leaves_the_run_to_the_other_node_and_it_completes(
    tmp_path: Path, cluster: Any, model_server: FakeOpenAIServer
) -> None:
    keys, pipeline, env = _setup(tmp_path, model_server)
    dataset = tmp_path / "dataset"
    driver = start_engine(["run", str(pipeline), "--out", str(dataset), "--address", cluster.address],
                          env, tmp_path / "engine.log")
    try:
        wait_for_shards(dataset, 3, driver)
        second = next(node for node in cluster.list_all_nodes() if not node.head)
        cluster.remove_node(second, allow_graceful=False)
        assert driver.wait(timeout=150) == 0, (tmp_path / "engine.log").read_text()
    finally:
        if driver.poll() is None:
            driver.kill()
    assert_exactly_once(dataset, keys)
