"""Fixtures for engine tests: the loopback model server answering ImgCoder requests, a profile file
for it, and a real two-node Ray cluster (two nodes of one CPU), always shut down."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models.fake_server import FakeOpenAIServer
from tests.core.engine.enginekit import ROOT
from tests.core.jobs.jobkit import scripted_reply


@pytest.fixture(autouse=True)
def clean_env(model_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture
def server_defaults() -> dict[str, Any]:
    return {"reply": scripted_reply}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A local Ray cluster: a head node and a second node, one CPU each (workers import this
    worktree's ``core`` through PYTHONPATH)."""
    from ray.cluster_utils import Cluster

    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT)
    # A lost node is noticed in about a second instead of Ray's default of tens of seconds.
    fast_health_checks = {"health_check_period_ms": 500, "health_check_timeout_ms": 500,
                          "health_check_failure_threshold": 2}
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False, "_system_config": fast_health_checks})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.fixture
def engine_worker_pids(cluster: Any) -> Callable[[], list[int]]:
    """The process ids of the cluster's EngineWorker actors (children of its raylets)."""

    def find() -> list[int]:
        raylets = {
            process.process.pid
            for node in cluster.list_all_nodes()
            for process in node.all_processes.get("raylet", [])
        }
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _ppid(int(entry.name)) in raylets and "EngineWorker" in _cmdline(int(entry.name)):
                pids.append(int(entry.name))
        return pids

    return find


@pytest.fixture
def model_server(make_server: Callable[..., FakeOpenAIServer]) -> FakeOpenAIServer:
    """ImgCoder's loopback model: a small valid script per problem after 50 ms."""
    return make_server(latency_s=0.05)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """An embedded Ray of two CPUs for drivers run inside the test process, shut down after the
    module (workers import this worktree's ``core``)."""
    import ray

    # Through this process's environment, which Ray's workers inherit, not a runtime_env: Ray puts
    # runtime_env variables into a shell command unquoted, so a checkout path with a space in it
    # would stop every worker from starting.
    wanted = {"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    ray.init(num_cpus=2, include_dashboard=False, namespace="scigen", log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
