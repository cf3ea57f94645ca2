"""SQL for runs, aggregates, the leaderboard and published downstream results."""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb
import pandas as pd
import pyarrow as pa

from core.metrics import METRICS
from core.protocols import PAPER_PROTOCOL, merge_protocols
from core.store.protocols import assign_run_protocol, run_protocols, stamp_aggregates
from core.store.records import Aggregate, Run, utc_now
from core.store.reported import ReportedResults

RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "kind", "generator_kind", "access", "model", "created_at", "provenance",
    "spec_name", "spec_json", "parent_run_id", "code_version", "notes", "selection_json",
)
LEADERBOARD_RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "kind", "generator_kind", "access", "model", "provenance", "created_at",
)
LEADERBOARD_PROTOCOL_COLUMN = "protocol_id"
LEADERBOARD_PROTOCOL_LABEL = "protocol"
"""Leaderboard columns: the protocol of a row's numbers (core.protocols), its id and one-line label."""
LEADERBOARD_SOURCE_COLUMN = "evaluated_by"
"""Leaderboard column after the run facts: the evaluation runs whose numbers a row shows."""
EVALUATION_NAME_SEPARATOR = " · "
"""An evaluation run is named ``<generation run> · <evaluator label>`` (core.jobs.evaluation)."""
AGGREGATE_COLUMNS: tuple[str, ...] = (
    "run_id", "metric", "scope", "scope_value", "value", "ci_low", "ci_high", "n", "computed_at",
)
DOWNSTREAM_COLUMNS: tuple[str, ...] = (
    "source", "benchmark", "accuracy", "train_samples", "provenance", "base_model", "note",
)
# Tables holding per-run rows; delete_run clears all of them.
_RUN_TABLES: tuple[str, ...] = (
    "generations", "generation_attempts", "quiz_answers", "judge_scores", "metric_values", "aggregates",
    "model_calls", "run_progress", "evaluation_items",
)


_RUN_SCHEMA = pa.schema(
    [
        *((name, pa.string()) for name in (
            "run_id", "name", "kind", "generator_kind", "access", "model", "spec_name", "spec_json",
            "parent_run_id",
        )),
        ("created_at", pa.timestamp("us")),
        *((name, pa.string()) for name in ("code_version", "provenance", "notes", "selection_json")),
    ]
)


def upsert_runs(cursor: duckdb.DuckDBPyConnection, runs: list[Run]) -> None:
    """Insert or update runs by run_id in one statement; the first created_at is kept."""
    if not runs:
        return
    now = utc_now()
    table = pa.Table.from_pylist(
        [
            {**run.model_dump(exclude={"spec_params", "created_at", "selection"}),
             "spec_json": json.dumps(run.spec_params, sort_keys=True, ensure_ascii=False),
             "selection_json": None if run.selection is None
             else json.dumps(run.selection, sort_keys=True, ensure_ascii=False),
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
                  created_at, code_version, provenance, notes, selection_json
           FROM runs WHERE run_id = ?""",
        [run_id],
    ).fetchall()
    if not rows:
        return None
    (run_id, name, kind, generator_kind, access, model, spec_name, spec_json, parent_run_id,
     created_at, code_version, provenance, notes, selection_json) = rows[0]
    return Run(
        run_id=run_id, name=name, kind=kind, generator_kind=generator_kind, access=access, model=model,
        spec_name=spec_name, spec_params=json.loads(spec_json), parent_run_id=parent_run_id,
        created_at=created_at, code_version=code_version, provenance=provenance, notes=notes,
        selection=None if selection_json is None else json.loads(selection_json),
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
    now = utc_now()
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
    stamp_aggregates(cursor, {run_id for run_id, _ in rows})
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
        f"""SELECT {columns}, protocol_id FROM aggregates
            WHERE (?::VARCHAR IS NULL OR run_id = ?) AND (?::VARCHAR IS NULL OR metric = ?)
              AND (?::VARCHAR IS NULL OR scope = ?)
            ORDER BY run_id, metric, scope, scope_value""",
        [run_id, run_id, metric, metric, scope, scope],
    ).df()


_MERGED_SQL = """
    WITH rows AS (
        -- Leaderboard rows of measured runs: generation runs, and evaluation runs whose generation
        -- run is not stored (orphans keep their own row).
        SELECT run_id, kind FROM runs WHERE kind = 'generation'
        UNION ALL
        SELECT e.run_id, e.kind FROM runs e
        WHERE e.kind = 'evaluation'
          AND NOT EXISTS (SELECT 1 FROM runs g WHERE g.run_id = e.parent_run_id AND g.kind = 'generation')
    ), candidates AS (
        SELECT DISTINCT r.run_id, r.run_id AS source_run_id, 1 AS own, x.created_at AS source_created, a.metric
        FROM rows r JOIN runs x ON x.run_id = r.run_id JOIN aggregates a ON a.run_id = r.run_id
        UNION
        SELECT DISTINCT r.run_id, e.run_id, 0, e.created_at, a.metric
        FROM rows r
        JOIN runs e ON e.parent_run_id = r.run_id AND e.kind = 'evaluation' AND r.kind = 'generation'
        JOIN aggregates a ON a.run_id = e.run_id
    ), chosen AS (
        SELECT run_id, metric, source_run_id FROM (
            SELECT run_id, metric, source_run_id,
                   row_number() OVER (PARTITION BY run_id, metric
                                      ORDER BY own DESC, source_created DESC, source_run_id DESC) AS position
            FROM candidates
        ) WHERE position = 1
    )
    SELECT c.run_id, c.source_run_id, a.metric, a.scope, a.scope_value, a.value, a.ci_low, a.ci_high, a.n,
           a.computed_at
    FROM chosen c JOIN aggregates a ON a.run_id = c.source_run_id AND a.metric = c.metric
    WHERE (?::VARCHAR IS NULL OR a.scope = ?) AND (?::VARCHAR IS NULL OR a.metric = ?)
    ORDER BY c.run_id, a.metric, a.scope, a.scope_value
"""
MERGED_AGGREGATE_COLUMNS: tuple[str, ...] = (
    "run_id", "source_run_id", "metric", "scope", "scope_value", "value", "ci_low", "ci_high", "n", "computed_at",
)


def merged_aggregates(
    cursor: duckdb.DuckDBPyConnection, *, scope: str | None = None, metric: str | None = None
) -> pd.DataFrame:
    """Aggregates of measured leaderboard rows, long form (columns MERGED_AGGREGATE_COLUMNS).

    A generation run's numbers are its own aggregates (pass@1, pass@k, cost) merged with those of
    its evaluation runs: per metric, the run's own value wins, else the most recently created
    evaluation run that has the metric (in any scope) supplies every scope of it, so a metric's
    overall and per-subject numbers always come from one evaluation (``source_run_id``). An
    evaluation run whose generation run is not stored keeps its own row with its own aggregates.
    """
    return cursor.execute(_MERGED_SQL, [scope, scope, metric, metric]).df()


def _evaluation_label(name: str, parent_name: object, spec_name: object) -> str:
    """``ocr`` for the evaluation run ``gen · ocr`` of ``gen``; else its spec name, else its name."""
    if isinstance(parent_name, str) and name.startswith(prefix := f"{parent_name}{EVALUATION_NAME_SEPARATOR}"):
        return name[len(prefix):]
    return spec_name if isinstance(spec_name, str) and spec_name else name


def leaderboard(cursor: duckdb.DuckDBPyConnection, kind: str | None = None) -> pd.DataFrame:
    """One row per run with its overall aggregates as columns (see Store.leaderboard).

    ``kind`` None or 'generation': measured rows are generation runs with their evaluation runs'
    numbers merged in (:func:`merged_aggregates`), plus (kind None) reported runs and orphan
    evaluation runs. ``kind`` 'evaluation' or 'reported': every run of that kind with its own
    aggregates only.
    """
    run_columns = ", ".join(f"r.{c}" for c in LEADERBOARD_RUN_COLUMNS)
    own_kinds = {None: ("reported",), "generation": (), "evaluation": ("evaluation",), "reported": ("reported",)}
    if kind not in own_kinds:
        own_kinds[kind] = (kind,)
    merged_rows = kind in (None, "generation")
    runs = cursor.execute(
        f"""SELECT {run_columns}, r.parent_run_id, r.spec_name, r.spec_json, p.name AS parent_name
            FROM runs r LEFT JOIN runs p ON p.run_id = r.parent_run_id
            WHERE r.kind IN (SELECT unnest(?::VARCHAR[]))
               OR (? AND r.kind = 'generation')
               OR (? AND r.kind = 'evaluation'
                   AND (p.run_id IS NULL OR p.kind <> 'generation'))""",
        [list(own_kinds[kind]), merged_rows, kind is None],
    ).df()
    own = cursor.execute(
        """SELECT a.run_id, a.run_id AS source_run_id, a.metric, a.value, a.ci_low, a.ci_high, a.n
           FROM aggregates a JOIN runs r ON r.run_id = a.run_id
           WHERE a.scope = 'overall' AND r.kind IN (SELECT unnest(?::VARCHAR[]))""",
        [list(own_kinds[kind])],
    ).df()
    parts = [own]
    if merged_rows:
        merged = merged_aggregates(cursor, scope="overall")
        parts.append(merged[merged["run_id"].isin(set(runs["run_id"]))][list(own.columns)])
    filled = [part for part in parts if not part.empty]
    values = pd.concat(filled, ignore_index=True) if filled else own
    # The spec says what a code run draws with (its backend), which the dashboard shows.
    table = runs[[*LEADERBOARD_RUN_COLUMNS, "spec_name", "spec_json"]].drop_duplicates("run_id").set_index(
        "run_id", drop=False
    )
    table[LEADERBOARD_SOURCE_COLUMN] = _sources(cursor, table, values)
    table[LEADERBOARD_PROTOCOL_COLUMN], table[LEADERBOARD_PROTOCOL_LABEL] = _row_protocols(cursor, table, values)
    present = set(values["metric"])
    metrics = [m for m in METRICS if m in present] + sorted(present - set(METRICS))
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
    # Strict R_inv first, else the published scoring's (the paper's rows have only that one).
    ranked_by = next((m for m in ("rinv", "perfect_image_rate") if m in table.columns), None)
    sort_by = [ranked_by, "name"] if ranked_by else ["name"]
    ascending = [False, True] if ranked_by else [True]
    return table.sort_values(sort_by, ascending=ascending, na_position="last", kind="stable").reset_index(
        drop=True
    )


def _row_protocols(
    cursor: duckdb.DuckDBPyConnection, table: pd.DataFrame, values: pd.DataFrame
) -> tuple[list[str | None], list[str | None]]:
    """Per row: the protocol of its numbers (id, label). A reported or evaluation run has its own; a
    generation run has the protocols of the evaluation runs that supplied its numbers, merged
    (core.protocols.merge_protocols); None when no number of the row has a protocol."""
    sources: dict[str, set[str]] = {run_id: {run_id} for run_id in table["run_id"]}
    for run_id, source in zip(values["run_id"], values["source_run_id"], strict=True):
        if isinstance(source, str):
            sources.setdefault(run_id, set()).add(source)
    known = run_protocols(cursor, {source for group in sources.values() for source in group})
    ids: list[str | None] = []
    labels: list[str | None] = []
    for run_id in table["run_id"]:
        merged = merge_protocols(known[s] for s in sorted(sources.get(run_id, ())) if s in known)
        ids.append(merged.protocol_id if merged is not None else None)
        labels.append(merged.label if merged is not None else None)
    return ids, labels


def _sources(cursor: duckdb.DuckDBPyConnection, table: pd.DataFrame, values: pd.DataFrame) -> list[str | None]:
    """Per row: labels of the evaluation runs that supplied its numbers, oldest first ("ocr, ssim")."""
    used = values[values["source_run_id"].notna()]
    if used.empty:
        return [None] * len(table)
    facts = cursor.execute(
        """SELECT r.run_id, r.name, r.kind, r.spec_name, r.created_at, p.name AS parent_name
           FROM runs r LEFT JOIN runs p ON p.run_id = r.parent_run_id
           WHERE r.run_id IN (SELECT unnest(?::VARCHAR[]))""",
        [sorted(set(used["source_run_id"]))],
    ).df()
    evaluations = facts[facts["kind"] == "evaluation"].sort_values(["created_at", "name"])
    label = {
        row.run_id: _evaluation_label(row.name, row.parent_name, row.spec_name)
        for row in evaluations.itertuples(index=False)
    }
    order = {run_id: position for position, run_id in enumerate(evaluations["run_id"])}
    by_row: dict[str, list[str]] = {}
    for run_id, source in set(zip(used["run_id"], used["source_run_id"], strict=True)):
        if source in label:
            by_row.setdefault(run_id, []).append(source)
    return [
        ", ".join(label[s] for s in sorted(by_row[run_id], key=order.__getitem__)) if run_id in by_row else None
        for run_id in table["run_id"]
    ]


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
    for run in runs:  # the paper's numbers were scored by the paper's protocol
        assign_run_protocol(cursor, run.run_id, PAPER_PROTOCOL)
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
