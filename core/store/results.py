"""SQL for runs, aggregates, the leaderboard and published downstream results."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from core.evaluation.metric_specs import METRICS
from core.store.records import Aggregate, Run
from core.store.reported import ReportedResults

RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "kind", "generator_kind", "access", "model", "created_at", "provenance",
    "spec_name", "spec_json", "parent_run_id", "code_version", "notes",
)
LEADERBOARD_RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "kind", "generator_kind", "access", "model", "provenance", "created_at",
)
AGGREGATE_COLUMNS: tuple[str, ...] = (
    "run_id", "metric", "scope", "scope_value", "value", "ci_low", "ci_high", "n", "computed_at",
)
DOWNSTREAM_COLUMNS: tuple[str, ...] = (
    "source", "benchmark", "accuracy", "train_samples", "provenance", "base_model", "note",
)
# Tables holding per-run rows; delete_run clears all of them.
_RUN_TABLES: tuple[str, ...] = (
    "generations", "generation_attempts", "quiz_answers", "judge_scores", "metric_values", "aggregates",
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_RUN_SCHEMA = pa.schema(
    [
        *((name, pa.string()) for name in (
            "run_id", "name", "kind", "generator_kind", "access", "model", "spec_name", "spec_json",
            "parent_run_id",
        )),
        ("created_at", pa.timestamp("us")),
        *((name, pa.string()) for name in ("code_version", "provenance", "notes")),
    ]
)


def upsert_runs(cursor: duckdb.DuckDBPyConnection, runs: list[Run]) -> None:
    """Insert or update runs by run_id in one statement; the first created_at is kept."""
    if not runs:
        return
    now = _now()
    table = pa.Table.from_pylist(
        [
            {**run.model_dump(exclude={"spec_params", "created_at"}),
             "spec_json": json.dumps(run.spec_params, sort_keys=True, ensure_ascii=False),
             "created_at": run.created_at or now}
            for run in runs
        ],
        schema=_RUN_SCHEMA,
    )
    columns = ", ".join(_RUN_SCHEMA.names)
    updated = ", ".join(f"{name} = excluded.{name}" for name in _RUN_SCHEMA.names if name not in ("run_id", "created_at"))
    cursor.register("incoming_runs", table)
    try:
        cursor.execute(
            f"""INSERT INTO runs ({columns}) SELECT {columns} FROM incoming_runs
                ON CONFLICT (run_id) DO UPDATE SET {updated}"""
        )
    finally:
        cursor.unregister("incoming_runs")


def get_run(cursor: duckdb.DuckDBPyConnection, run_id: str) -> Run | None:
    # fetchall, never fetchone: DuckDB 2 refuses the next statement while a result is half read.
    rows = cursor.execute(
        """SELECT run_id, name, kind, generator_kind, access, model, spec_name, spec_json, parent_run_id,
                  created_at, code_version, provenance, notes
           FROM runs WHERE run_id = ?""",
        [run_id],
    ).fetchall()
    if not rows:
        return None
    (run_id, name, kind, generator_kind, access, model, spec_name, spec_json, parent_run_id,
     created_at, code_version, provenance, notes) = rows[0]
    return Run(
        run_id=run_id, name=name, kind=kind, generator_kind=generator_kind, access=access, model=model,
        spec_name=spec_name, spec_params=json.loads(spec_json), parent_run_id=parent_run_id,
        created_at=created_at, code_version=code_version, provenance=provenance, notes=notes,
    )


def list_runs(cursor: duckdb.DuckDBPyConnection, kind: str | None = None) -> pd.DataFrame:
    columns = ", ".join(RUN_COLUMNS)
    return cursor.execute(
        f"SELECT {columns} FROM runs WHERE ?::VARCHAR IS NULL OR kind = ? ORDER BY kind, created_at, name",
        [kind, kind],
    ).df()


def delete_run(cursor: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Remove a run and every row that belongs to it; False when there was no such run."""
    for table in _RUN_TABLES:
        cursor.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    return bool(cursor.execute("DELETE FROM runs WHERE run_id = ? RETURNING run_id", [run_id]).fetchall())


_AGGREGATE_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("metric", pa.string()), ("scope", pa.string()), ("scope_value", pa.string()),
        ("value", pa.float64()), ("ci_low", pa.float64()), ("ci_high", pa.float64()), ("n", pa.int32()),
        ("computed_at", pa.timestamp("us")),
    ]
)


def _write_aggregates(cursor: duckdb.DuckDBPyConnection, rows: list[tuple[str, Aggregate]]) -> int:
    """Insert or replace (run_id, aggregate) pairs in one statement."""
    keys = [(run_id, a.metric, a.scope, a.scope_value) for run_id, a in rows]
    if len(set(keys)) != len(keys):
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"aggregates given twice for (run_id, metric, scope, scope_value): {duplicates}")
    if not rows:
        return 0
    now = _now()
    table = pa.Table.from_pylist(
        [
            {"run_id": run_id, "metric": a.metric, "scope": a.scope, "scope_value": a.scope_value,
             "value": a.value, "ci_low": a.ci_low, "ci_high": a.ci_high, "n": a.n, "computed_at": now}
            for run_id, a in rows
        ],
        schema=_AGGREGATE_SCHEMA,
    )
    cursor.register("incoming_aggregates", table)
    try:
        columns = ", ".join(AGGREGATE_COLUMNS)
        cursor.execute(
            f"""INSERT INTO aggregates ({columns}) SELECT {columns} FROM incoming_aggregates
                ON CONFLICT (run_id, metric, scope, scope_value) DO UPDATE SET
                    value = excluded.value, ci_low = excluded.ci_low, ci_high = excluded.ci_high,
                    n = excluded.n, computed_at = excluded.computed_at"""
        )
    finally:
        cursor.unregister("incoming_aggregates")
    return len(rows)


def upsert_aggregates(cursor: duckdb.DuckDBPyConnection, run_id: str, aggregates: Iterable[Aggregate]) -> int:
    rows = [(run_id, aggregate) for aggregate in aggregates]
    if rows and not cursor.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchall():
        raise ValueError(f"no run {run_id!r}: store the run before its aggregates")
    return _write_aggregates(cursor, rows)


def aggregates(
    cursor: duckdb.DuckDBPyConnection,
    *,
    run_id: str | None = None,
    metric: str | None = None,
    scope: str | None = None,
) -> pd.DataFrame:
    columns = ", ".join(AGGREGATE_COLUMNS)
    return cursor.execute(
        f"""SELECT {columns} FROM aggregates
            WHERE (?::VARCHAR IS NULL OR run_id = ?) AND (?::VARCHAR IS NULL OR metric = ?)
              AND (?::VARCHAR IS NULL OR scope = ?)
            ORDER BY run_id, metric, scope, scope_value""",
        [run_id, run_id, metric, metric, scope, scope],
    ).df()


def leaderboard(cursor: duckdb.DuckDBPyConnection, kind: str | None = None) -> pd.DataFrame:
    """One row per run with its overall aggregates as columns (see Store.leaderboard)."""
    run_columns = ", ".join(f"r.{c}" for c in LEADERBOARD_RUN_COLUMNS)
    long = cursor.execute(
        f"""SELECT {run_columns}, a.metric, a.value, a.ci_low, a.ci_high, a.n
            FROM runs r
            LEFT JOIN aggregates a ON a.run_id = r.run_id AND a.scope = 'overall'
            WHERE ?::VARCHAR IS NULL OR r.kind = ?""",
        [kind, kind],
    ).df()
    runs = long[list(LEADERBOARD_RUN_COLUMNS)].drop_duplicates("run_id").set_index("run_id", drop=False)
    values = long.dropna(subset=["metric"])
    present = set(values["metric"])
    metrics = [m for m in METRICS if m in present] + sorted(present - set(METRICS))
    table = runs.copy()
    extras: dict[str, pd.Series] = {}
    for metric in metrics:
        of_metric = values[values["metric"] == metric].set_index("run_id")
        table[metric] = of_metric["value"].astype("float64").reindex(table.index)
        for part in ("ci_low", "ci_high"):
            if of_metric[part].notna().any():
                extras[f"{metric}_{part}"] = of_metric[part].astype("float64").reindex(table.index)
        if of_metric["n"].notna().any():
            extras[f"{metric}_n"] = of_metric["n"].astype("Int64").reindex(table.index)
    for name, column in extras.items():
        table[name] = column
    sort_by = ["rinv", "name"] if "rinv" in table.columns else ["name"]
    ascending = [False, True] if "rinv" in table.columns else [True]
    return table.sort_values(sort_by, ascending=ascending, na_position="last", kind="stable").reset_index(
        drop=True
    )


_DOWNSTREAM_SCHEMA = pa.schema(
    [
        ("provenance", pa.string()), ("position", pa.int32()), ("source", pa.string()),
        ("base_model", pa.string()), ("benchmark", pa.string()), ("accuracy", pa.float64()),
        ("train_samples", pa.int64()), ("note", pa.string()),
    ]
)


def upsert_reported(cursor: duckdb.DuckDBPyConnection, results: ReportedResults) -> int:
    """Make the store hold exactly this paper's reported runs, aggregates and downstream rows."""
    provenance = results.provenance.label
    wanted = {results.run_id(run) for run in results.runs}
    stale = [
        run_id
        for (run_id,) in cursor.execute(
            "SELECT run_id FROM runs WHERE kind = 'reported' AND provenance = ?", [provenance]
        ).fetchall()
        if run_id not in wanted
    ]
    for run_id in stale:
        delete_run(cursor, run_id)
    runs = [
        Run(
            run_id=results.run_id(reported),
            name=reported.name,
            kind="reported",
            generator_kind=reported.generator_kind,
            access=reported.access,
            model=reported.name,
            provenance=provenance,
            notes=results.provenance.notes,
        )
        for reported in results.runs
    ]
    upsert_runs(cursor, runs)
    new_aggregates = [
        (results.run_id(reported), Aggregate(metric=name, value=value))
        for reported in results.runs
        for name, value in reported.metrics.items()
    ]
    # The file is the whole truth for these runs: numbers it no longer lists go too.
    cursor.execute("DELETE FROM aggregates WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(wanted)])
    _write_aggregates(cursor, new_aggregates)
    cursor.execute("DELETE FROM downstream_results WHERE provenance = ?", [provenance])
    flattened = [(row, benchmark, accuracy) for row in results.downstream for benchmark, accuracy in row.accuracy.items()]
    if flattened:
        table = pa.Table.from_pylist(
            [
                {"provenance": provenance, "position": position, "source": row.source,
                 "base_model": row.base_model, "benchmark": benchmark, "accuracy": accuracy,
                 "train_samples": row.train_samples, "note": row.note}
                for position, (row, benchmark, accuracy) in enumerate(flattened)
            ],
            schema=_DOWNSTREAM_SCHEMA,
        )
        cursor.register("incoming_downstream", table)
        try:
            columns = ", ".join(_DOWNSTREAM_SCHEMA.names)
            cursor.execute(f"INSERT INTO downstream_results ({columns}) SELECT {columns} FROM incoming_downstream")
        finally:
            cursor.unregister("incoming_downstream")
    return len(results.runs)


def downstream_results(cursor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = cursor.execute(
        """SELECT source, benchmark, accuracy, train_samples, provenance, base_model, note
           FROM downstream_results ORDER BY provenance, position"""
    ).df()
    frame["train_samples"] = frame["train_samples"].astype("Int64")
    return frame
