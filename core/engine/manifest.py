"""The dataset's manifest: per-stage counts, cost and state, rewritten atomically as a run goes.

Counts are always derivable from the committed shards (:func:`count_shards`), so a manifest left
behind by a killed driver is corrected by ``scigen engine status`` and by the next run.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow.compute as pc
from pydantic import BaseModel, Field

from core.engine.shards import read_columns, shard_paths
from core.files import write_text_atomically

__all__ = ["MANIFEST_FILE", "Manifest", "StageCounts", "count_shards", "read_manifest", "write_manifest"]

MANIFEST_FILE = "manifest.json"
PIPELINE_FILE = "pipeline.toml"
MALFORMED_FILE = "malformed.jsonl"


class StageCounts(BaseModel):
    """How many items each stage has seen (of the committed shards, plus the source's own counts)."""

    read: int = Field(default=0, description="Problems read from the source (this run).")
    malformed: int = Field(default=0, description="Source items reported and skipped (this run).")
    already_done: int = Field(default=0, description="Items skipped because a committed shard holds them.")
    items: int = Field(default=0, description="Items in committed shards.")
    classified: int = Field(default=0, description="Items the classify stage said need a figure.")
    dropped: int = Field(default=0, description="Items the classify stage said need no figure (not drawn).")
    generated_ok: int = 0
    generated_failed: int = 0
    quizzed: int = 0
    verified: int = 0
    passed: int = 0
    rejected: int = 0
    model_calls: int = 0
    cost_usd: float = 0.0

    def add_summary(self, summary: dict[str, Any]) -> None:
        """Count one item of a worker's batch summary."""
        self.items += 1
        self.classified += summary.get("visualisable") is True
        self.dropped += summary.get("visualisable") is False
        self.generated_ok += summary["status"] == "ok"
        self.generated_failed += summary["status"] == "failed"
        self.quizzed += bool(summary["quizzed"])
        self.verified += bool(summary["verified"])
        self.passed += summary["passed"] is True
        self.rejected += summary["passed"] is False
        self.model_calls += int(summary["model_calls"])
        self.cost_usd += float(summary["cost_usd"])


class Manifest(BaseModel):
    dataset: str
    state: Literal["running", "finished", "failed", "interrupted"]
    created_at: str
    updated_at: str
    sessions: list[str] = Field(default_factory=list, description="Driver sessions, oldest first.")
    address: str | None = Field(default=None, description="The cluster of the latest session.")
    driver: str | None = Field(default=None, description="host:pid of the latest session's driver.")
    base_dir: str | None = Field(default=None, description="Folder the pipeline's relative source paths start from.")
    workers: int = 0
    shards: int = 0
    counts: StageCounts = Field(default_factory=StageCounts)
    elapsed_s: float = 0.0
    message: str | None = None
    export: dict[str, Any] | None = None


def driver_gone(manifest: Manifest) -> bool:
    """A manifest still saying running whose driver (on this machine) no longer exists: it was
    killed, and ``scigen engine resume`` continues the run."""
    if manifest.state != "running" or not manifest.driver:
        return False
    host, _, pid = manifest.driver.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not Path(f"/proc/{pid}").exists()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_manifest(dataset_dir: str | Path) -> Manifest | None:
    path = Path(dataset_dir) / MANIFEST_FILE
    if not path.is_file():
        return None
    return Manifest.model_validate_json(path.read_text(encoding="utf-8"))


def write_manifest(dataset_dir: str | Path, manifest: Manifest) -> None:
    manifest.updated_at = now()
    write_text_atomically(Path(dataset_dir) / MANIFEST_FILE, manifest.model_dump_json(indent=2))


def count_shards(dataset_dir: str | Path) -> StageCounts:
    """Per-stage counts of the committed shards, read column by column (never a whole shard)."""
    counts = StageCounts()
    columns = ["status", "visualisable", "t_quizzes_s", "t_verify_s", "passed", "cost_usd", "model_calls"]
    for table in read_columns(dataset_dir, columns):
        counts.items += table.num_rows
        status = table.column("status")
        counts.generated_ok += int(pc.sum(pc.equal(status, "ok")).as_py() or 0)
        counts.generated_failed += int(pc.sum(pc.equal(status, "failed")).as_py() or 0)
        counts.quizzed += table.num_rows - table.column("t_quizzes_s").null_count
        counts.verified += table.num_rows - table.column("t_verify_s").null_count
        visualisable = table.column("visualisable")
        counts.classified += int(pc.sum(pc.equal(visualisable, True)).as_py() or 0)
        counts.dropped += int(pc.sum(pc.equal(visualisable, False)).as_py() or 0)
        passed = table.column("passed")
        counts.passed += int(pc.sum(pc.equal(passed, True)).as_py() or 0)
        counts.rejected += int(pc.sum(pc.equal(passed, False)).as_py() or 0)
        counts.model_calls += int(pc.sum(table.column("model_calls")).as_py() or 0)
        counts.cost_usd += float(pc.sum(table.column("cost_usd")).as_py() or 0.0)
    return counts


def shard_count(dataset_dir: str | Path) -> int:
    return len(shard_paths(dataset_dir))


def append_malformed(dataset_dir: str | Path, errors: list[dict[str, Any]]) -> None:
    """Add reported source items to ``malformed.jsonl`` (one JSON object per line)."""
    if not errors:
        return
    with open(Path(dataset_dir) / MALFORMED_FILE, "a", encoding="utf-8") as handle:
        for error in errors:
            handle.write(json.dumps(error, ensure_ascii=False) + "\n")
