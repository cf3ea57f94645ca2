"""The engine's worker: a Ray actor that owns a warm sandbox pool and a model client.

A worker is started once per slot of the cluster (``cpus_per_worker`` CPUs each) and keeps its
expensive resources for the whole run: the sandbox's warm parent (sized to the CPUs the actor
got, so rendering never oversubscribes its node), the generator and evaluators, and a model client
whose limits and budget are the cluster's (:mod:`core.engine.limits`). It is an async actor: the
driver hands it batches, each batch's items run concurrently (``run.concurrency`` in flight, so
model stages wait on the network side by side) and end as one shard written atomically.

A batch retried after a crash rewrites the same shard name, so a retry is harmless; a worker of
an older driver (killed, then resumed) finds the dataset's session changed and commits nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path
from typing import Any

import ray

from core.engine.config import PipelineConfig
from core.engine.limits import NAMESPACE, ClusterBudget, install_cluster_limits
from core.engine.shards import write_shard
from core.engine.stages import Stages, build_evaluators, build_generator
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.problems.models import Problem

__all__ = ["SESSION_FILE", "EngineWorker", "current_session"]

SESSION_FILE = "_session"


def current_session(dataset_dir: str | Path) -> str | None:
    """The session id of the driver that owns the dataset now."""
    path = Path(dataset_dir) / SESSION_FILE
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


@ray.remote(max_restarts=0)
class EngineWorker:
    """Processes batches of problems into committed shards (see the module docstring)."""

    def __init__(
        self,
        config_json: str,
        dataset_dir: str,
        session: str,
        limiter_name: str,
        profiles: ProfileConfig | None,
        home: str,
        cpus: float,
    ) -> None:
        os.environ.setdefault("MPLBACKEND", "Agg")
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ["SCIGEN_HOME"] = home
        self.config = PipelineConfig.model_validate_json(config_json)
        self.dataset_dir = Path(dataset_dir)
        self.session = session
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        limiter = ray.get_actor(limiter_name, namespace=NAMESPACE)
        install_cluster_limits(limiter)
        generator = build_generator(self.config, profiles, home)
        evaluators = build_evaluators(self.config, profiles, home)
        needs_model = (
            (generator is not None and type(generator).needs_model)
            or any(type(evaluator).needs_model for evaluator in evaluators)
            or self.config.quizzes is not None
            or self.config.classify is not None
        )
        max_cost = self.config.run.max_cost
        client = None
        if needs_model:
            client = ModelClient(
                cache=ResponseCache.default(home),
                use_cache=self.config.run.use_cache,
                budget=ClusterBudget(limiter, max_cost) if max_cost is not None else None,
                config=profiles,
                home=home,
            )
            for name in self.config.model_names():
                client.warm_up(name)  # seconds of imports now, not a stall (and a burst) in the first batch
        render_pool = None
        if generator is not None and type(generator).uses_sandbox:
            from core.sandbox import RenderPool, SandboxConfig

            render_pool = RenderPool(SandboxConfig(workers=max(1, int(cpus))))
        self.stages = Stages(
            config=self.config, dataset_dir=self.dataset_dir, generator=generator, evaluators=evaluators,
            client=client, render_pool=render_pool, run_id=self.dataset_dir.name,
        )
        self._slots = asyncio.Semaphore(self.config.run.concurrency)

    def pid(self) -> int:
        """The worker's process id (tests kill it)."""
        return os.getpid()

    async def process(self, shard: str, problems: list[str]) -> dict[str, Any]:
        """Turn ``problems`` (Problem JSON) into shard ``shard``; returns what it did."""
        started = time.monotonic()

        async def one(text: str) -> dict[str, Any]:
            async with self._slots:
                return await self.stages.process(Problem.model_validate_json(text))

        rows = await asyncio.gather(*(one(text) for text in problems))
        for row in rows:
            row["worker"] = self.name
        if current_session(self.dataset_dir) != self.session:
            return {"shard": shard, "stale": True, "rows": 0}
        await asyncio.to_thread(write_shard, self.dataset_dir, shard, rows)
        return {
            "shard": shard,
            "stale": False,
            "rows": len(rows),
            "keys": [row["key"] for row in rows],
            "seconds": time.monotonic() - started,
            "worker": self.name,
            "summary": [_summary(row) for row in rows],
        }

    def close(self) -> None:
        pool = self.stages.render_pool
        if pool is not None:
            pool.close()


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """The few fields the driver counts stages from."""
    return {
        "status": row.get("status"),
        "verified": row.get("t_verify_s") is not None,
        "quizzed": row.get("t_quizzes_s") is not None,
        "visualisable": row.get("visualisable"),
        "passed": row.get("passed"),
        "cost_usd": row.get("cost_usd") or 0.0,
        "model_calls": row.get("model_calls") or 0,
    }
