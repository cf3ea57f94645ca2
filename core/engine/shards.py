"""The dataset folder: Parquet shards of item records, committed atomically, and what they hold.

::

    DIR/
      pipeline.toml        the pipeline that made it (``scigen engine resume DIR`` reruns it)
      manifest.json        per-stage counts, cost, state (rewritten atomically as the run goes)
      malformed.jsonl      source items that were reported and skipped (file, line, field)
      shards/part-*.parquet  one shard per worker call: one row per item (columns: RECORD_SCHEMA)
      images/*.png         the figures, named after the item key
      export/<format>/     training-set shards and the dataset card, when the export stage runs

A shard is written to a scratch file beside its final name and renamed when complete
(:func:`core.files.replacing`), so a reader or a resumed run sees whole shards or none. The item
key (the problem uid) decides what is done: a rerun skips every key already in a committed shard.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.files import replacing

__all__ = ["RECORD_SCHEMA", "SHARDS_DIR", "committed_keys", "read_columns", "shard_paths", "write_shard"]

SHARDS_DIR = "shards"

RECORD_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),  # the problem uid: what resume goes by
        pa.field("problem_id", pa.string()),
        pa.field("source", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("image_type", pa.string()),
        pa.field("question", pa.string()),
        pa.field("answer", pa.string()),
        pa.field("problem", pa.string()),  # the Problem as JSON, quizzes as verified
        pa.field("status", pa.string()),  # ok / failed (generation) / skipped (no generate stage) / dropped (needs no figure) / unclassified
        pa.field("visualisable", pa.bool_()),  # the classify stage's verdict (None: no stage, or no usable reply)
        pa.field("classify_reason", pa.string()),
        pa.field("error_class", pa.string()),
        pa.field("error_message", pa.string()),
        pa.field("image_path", pa.string()),  # relative to the dataset folder
        pa.field("plan", pa.string()),
        pa.field("code", pa.string()),
        pa.field("facts", pa.string()),  # sandbox figure facts, JSON
        pa.field("attempts", pa.string()),  # every attempt, JSON
        pa.field("n_attempts", pa.int32()),
        pa.field("first_attempt_ok", pa.bool_()),
        pa.field("latency_s", pa.float64()),
        pa.field("quizzes_written", pa.int32()),
        pa.field("quizzes_blind", pa.int32()),
        pa.field("quiz_error", pa.string()),
        pa.field("n_quizzes", pa.int32()),
        pa.field("n_correct", pa.int32()),
        pa.field("rinv", pa.float64()),
        pa.field("quiz_answers", pa.string()),  # QuizAnswer records, JSON
        pa.field("judge_scores", pa.string()),  # JudgeScore records, JSON
        pa.field("metrics", pa.string()),  # per-figure metric -> value, JSON
        pa.field("judge_cf", pa.float64()),
        pa.field("judge_lp", pa.float64()),
        pa.field("judge_ro", pa.float64()),
        pa.field("judge_sp", pa.float64()),
        pa.field("judge_er", pa.float64()),
        pa.field("passed", pa.bool_()),
        pa.field("reasons", pa.list_(pa.string())),
        pa.field("phash", pa.string()),
        pa.field("dhash", pa.string()),
        pa.field("cost_usd", pa.float64()),
        pa.field("model_calls", pa.int32()),
        pa.field("t_classify_s", pa.float64()),
        pa.field("t_generate_s", pa.float64()),
        pa.field("t_quizzes_s", pa.float64()),
        pa.field("t_verify_s", pa.float64()),
        pa.field("t_filter_s", pa.float64()),
        pa.field("worker", pa.string()),
        pa.field("shard", pa.string()),
    ]
)
"""One row per item. JSON columns keep the nested records core/ already defines."""


def shard_paths(dataset_dir: str | Path) -> list[Path]:
    """Committed shards, by name (scratch files start with a dot and are never listed)."""
    folder = Path(dataset_dir) / SHARDS_DIR
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def write_shard(dataset_dir: str | Path, name: str, rows: Sequence[dict[str, Any]]) -> Path:
    """Write ``rows`` as ``shards/part-<name>.parquet``, atomically; returns the path."""
    table = pa.Table.from_pylist([{**row, "shard": name} for row in rows], schema=RECORD_SCHEMA)
    target = Path(dataset_dir) / SHARDS_DIR / f"part-{name}.parquet"
    with replacing(target) as scratch:
        pq.write_table(table, scratch, compression="zstd")
    return target


def read_columns(dataset_dir: str | Path, columns: Sequence[str]) -> Iterator[pa.Table]:
    """``columns`` of every committed shard, one table per shard (never the whole dataset at once)."""
    for path in shard_paths(dataset_dir):
        yield pq.read_table(path, columns=list(columns))


def committed_keys(dataset_dir: str | Path) -> set[str]:
    """Keys of every item in a committed shard: what a rerun does not do again."""
    keys: set[str] = set()
    for table in read_columns(dataset_dir, ["key"]):
        keys.update(table.column("key").to_pylist())
    return keys
