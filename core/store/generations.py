"""SQL for generation runs: figures and their attempts, the model-call ledger, progress rows and
the numbers computed from them (pass@1 / pass@k, run overviews).

Writers take store-level records (below), never generation objects: the store does not import
``core.generation``; ``core.jobs`` turns a FigureResult into these rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from core.store.records import Run, utc_now
from core.store.results import get_run

ProgressState = Literal["running", "finished", "cancelled", "failed"]
PROGRESS_STATES: tuple[str, ...] = ("running", "finished", "cancelled", "failed")


class GenerationRow(BaseModel):
    """The final outcome of one problem in one generation run (a figure, or why there is none)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1, description="Problem.uid of the problem drawn.")
    status: Literal["ok", "failed"] = Field(description="ok when a figure was produced.")
    image_path: str | None = Field(default=None, description="PNG path, relative to the workspace home.")
    svg_path: str | None = Field(default=None, description="SVG path, relative to the workspace home.")
    plan: str | None = Field(default=None, description="Plan of the final attempt.")
    code: str | None = Field(default=None, description="Code of the final attempt.")
    error_class: str | None = Field(default=None, description="Why it failed (a sandbox, model or parse class).")
    error_message: str | None = Field(default=None, description="One-line reason when failed.")
    attempts: int = Field(ge=0, description="Number of attempts made.")
    first_attempt_ok: bool | None = Field(default=None, description="pass@1: the first attempt rendered.")
    tokens_in: int | None = Field(default=None, description="Prompt tokens of the figure's calls (cached ones too).")
    tokens_out: int | None = Field(default=None, description="Completion tokens of the figure's calls.")
    cost_usd: float | None = Field(default=None, description="Money paid for the figure's calls; None: unknown.")
    latency_s: float | None = Field(default=None, description="Wall time for the whole problem.")
    facts_json: str | None = Field(default=None, description="Sandbox FigureFacts as JSON.")
    notes: list[str] = Field(default_factory=list, description="What a reader of the figure should know.")


class AttemptRow(BaseModel):
    """One attempt of a figure (1-based ``attempt``)."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    attempt: int = Field(ge=1, description="1 for the first attempt, then 2, 3 ... for repairs or revisions.")
    purpose: str = Field(default="initial", description="initial | repair | revision.")
    status: Literal["ok", "failed"]
    image_path: str | None = Field(default=None, description="Set on the attempt whose figure was kept.")
    plan: str | None = None
    code: str | None = None
    raw_reply: str | None = None
    parse_notes: list[str] = Field(default_factory=list)
    error_class: str | None = None
    error_message: str | None = None
    traceback_tail: str | None = None
    render_s: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None


class ModelCallRow(BaseModel):
    """One model call of a run (a LedgerEntry with the problem and attempt it served)."""

    model_config = ConfigDict(frozen=True)

    call_id: str = Field(min_length=1)
    problem_uid: str | None = None
    attempt: int | None = Field(default=None, description="1-based attempt; None when not known.")
    kind: str
    profile: str
    model: str
    fingerprint: str
    cache_key: str | None = None
    started_at: datetime
    latency_s: float
    wait_s: float = 0.0
    http_attempts: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    images_out: int | None = None
    cost_usd: float | None = None
    cached: bool = False
    ok: bool
    failure_class: str | None = None
    failure_message: str | None = None
    finish_reason: str | None = None
    retry_classes: list[str] = Field(default_factory=list)


class RunProgress(BaseModel):
    """How far the job on a run got; rewritten with every batch it stores (read by the dashboard)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    total: int = Field(description="Problems in the run's selection.")
    done: int = Field(description="Problems with a stored figure record (ok or failed).")
    ok: int
    failed: int
    cost_usd: float = Field(description="Known cost of every call of the run so far.")
    state: ProgressState
    stop_reason: str | None = Field(default=None, description="budget | interrupted | error when not finished.")
    message: str | None = None
    pid: int | None = None
    host: str | None = None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


# ---- runs ------------------------------------------------------------------------------------


def find_run(cursor: duckdb.DuckDBPyConnection, kind: str, name: str) -> Run | None:
    rows = cursor.execute("SELECT run_id FROM runs WHERE kind = ? AND name = ?", [kind, name]).fetchall()
    return get_run(cursor, rows[0][0]) if rows else None


# ---- writing results -------------------------------------------------------------------------

_LIST = pa.list_(pa.string())
_GENERATION_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("problem_uid", pa.string()), ("status", pa.string()),
        ("image_path", pa.string()), ("svg_path", pa.string()), ("plan", pa.string()), ("code", pa.string()),
        ("error_class", pa.string()), ("error_message", pa.string()), ("attempts", pa.int32()),
        ("first_attempt_ok", pa.bool_()), ("tokens_in", pa.int64()), ("tokens_out", pa.int64()),
        ("cost_usd", pa.float64()), ("latency_s", pa.float64()), ("facts_json", pa.string()),
        ("notes", _LIST), ("created_at", pa.timestamp("us")),
    ]
)
_ATTEMPT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("problem_uid", pa.string()), ("attempt", pa.int32()), ("purpose", pa.string()),
        ("status", pa.string()), ("image_path", pa.string()), ("plan", pa.string()), ("code", pa.string()),
        ("raw_reply", pa.string()), ("parse_notes", _LIST), ("error_class", pa.string()),
        ("error_message", pa.string()), ("traceback_tail", pa.string()), ("render_s", pa.float64()),
        ("tokens_in", pa.int64()), ("tokens_out", pa.int64()), ("cost_usd", pa.float64()),
        ("latency_s", pa.float64()), ("created_at", pa.timestamp("us")),
    ]
)
_CALL_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("call_id", pa.string()), ("problem_uid", pa.string()), ("attempt", pa.int32()),
        ("kind", pa.string()), ("profile", pa.string()), ("model", pa.string()), ("fingerprint", pa.string()),
        ("cache_key", pa.string()), ("started_at", pa.timestamp("us")), ("latency_s", pa.float64()),
        ("wait_s", pa.float64()), ("http_attempts", pa.int32()), ("tokens_in", pa.int64()),
        ("tokens_out", pa.int64()), ("images_out", pa.int32()), ("cost_usd", pa.float64()),
        ("cached", pa.bool_()), ("ok", pa.bool_()), ("failure_class", pa.string()),
        ("failure_message", pa.string()), ("finish_reason", pa.string()), ("retry_classes", _LIST),
    ]
)


def _insert(cursor: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, rows: list[dict[str, Any]],
            conflict: str = "") -> None:
    if not rows:
        return
    name = f"incoming_{table}"
    cursor.register(name, pa.Table.from_pylist(rows, schema=schema))
    try:
        columns = ", ".join(schema.names)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {name} {conflict}")
    finally:
        cursor.unregister(name)


def _naive_utc(moment: datetime) -> datetime:
    """The store keeps UTC as naive TIMESTAMP."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def write_results(
    cursor: duckdb.DuckDBPyConnection,
    run_id: str,
    generations: Sequence[GenerationRow],
    attempts: Sequence[AttemptRow],
    calls: Sequence[ModelCallRow],
) -> None:
    """Store figures (replacing what the run held for those problems) and append model calls.

    Idempotent: writing the same rows twice leaves one copy; a call already stored (same
    call_id) is kept as it is.
    """
    uids = sorted({row.problem_uid for row in generations})
    stray = {row.problem_uid for row in attempts} - set(uids)
    if stray:
        raise ValueError(f"attempts given for problems without a figure record: {sorted(stray)}")
    if len(uids) != len(generations):
        raise ValueError("a problem appears twice in one batch of figure records")
    if uids:
        if not cursor.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchall():
            raise ValueError(f"no run {run_id!r}: create the run before storing its figures")
        for table in ("generations", "generation_attempts"):
            cursor.execute(
                f"DELETE FROM {table} WHERE run_id = ? AND problem_uid IN (SELECT unnest(?::VARCHAR[]))",
                [run_id, uids],
            )
    now = utc_now()
    _insert(
        cursor, "generations", _GENERATION_SCHEMA,
        [{**row.model_dump(), "run_id": run_id, "created_at": now} for row in generations],
    )
    _insert(
        cursor, "generation_attempts", _ATTEMPT_SCHEMA,
        [{**row.model_dump(), "run_id": run_id, "created_at": now} for row in attempts],
    )
    _insert(
        cursor, "model_calls", _CALL_SCHEMA,
        [{**row.model_dump(), "run_id": run_id, "started_at": _naive_utc(row.started_at)} for row in calls],
        conflict="ON CONFLICT (run_id, call_id) DO NOTHING",
    )


# ---- progress --------------------------------------------------------------------------------

# A run's progress counts come from its items table: figures for a generation run, finished
# items for an evaluation run. Only these two names are ever put into the SQL.
PROGRESS_ITEM_TABLES: tuple[str, ...] = ("generations", "evaluation_items")

_COUNTS_SQL = """
    UPDATE run_progress SET
        done = (SELECT count(*) FROM {items} WHERE run_id = $run),
        ok = (SELECT count(*) FROM {items} WHERE run_id = $run AND status = 'ok'),
        failed = (SELECT count(*) FROM {items} WHERE run_id = $run AND status <> 'ok'),
        cost_usd = (SELECT coalesce(sum(cost_usd), 0) FROM model_calls WHERE run_id = $run),
        updated_at = $now
    WHERE run_id = $run
"""


def refresh_progress(cursor: duckdb.DuckDBPyConnection, run_id: str, *, items: str = "generations") -> None:
    """Recount done/ok/failed/cost of a run's progress row from its items (no-op when it has none)."""
    if items not in PROGRESS_ITEM_TABLES:
        raise ValueError(f"unknown items table {items!r}; expected one of {PROGRESS_ITEM_TABLES}")
    cursor.execute(_COUNTS_SQL.format(items=items), {"run": run_id, "now": utc_now()})


def start_progress(
    cursor: duckdb.DuckDBPyConnection, run_id: str, *, total: int, pid: int | None, host: str | None,
    message: str | None = None, items: str = "generations",
) -> None:
    now = utc_now()
    cursor.execute(
        """INSERT INTO run_progress (run_id, total, done, ok, failed, cost_usd, state, stop_reason, message,
                                     pid, host, started_at, updated_at, finished_at)
           VALUES (?, ?, 0, 0, 0, 0, 'running', NULL, ?, ?, ?, ?, ?, NULL)
           ON CONFLICT (run_id) DO UPDATE SET
               total = excluded.total, state = 'running', stop_reason = NULL, message = excluded.message,
               pid = excluded.pid, host = excluded.host, started_at = excluded.started_at,
               updated_at = excluded.updated_at, finished_at = NULL""",
        [run_id, total, message, pid, host, now, now],
    )
    refresh_progress(cursor, run_id, items=items)


def end_progress(
    cursor: duckdb.DuckDBPyConnection, run_id: str, *, state: ProgressState, stop_reason: str | None,
    message: str | None, items: str = "generations",
) -> None:
    if state not in PROGRESS_STATES:
        raise ValueError(f"unknown progress state {state!r}; expected one of {PROGRESS_STATES}")
    refresh_progress(cursor, run_id, items=items)
    cursor.execute(
        """UPDATE run_progress SET state = ?, stop_reason = ?, message = ?, finished_at = ?
           WHERE run_id = ?""",
        [state, stop_reason, message, utc_now(), run_id],
    )


_PROGRESS_COLUMNS = (
    "run_id", "total", "done", "ok", "failed", "cost_usd", "state", "stop_reason", "message", "pid", "host",
    "started_at", "updated_at", "finished_at",
)


def get_progress(cursor: duckdb.DuckDBPyConnection, run_id: str) -> RunProgress | None:
    rows = cursor.execute(
        f"SELECT {', '.join(_PROGRESS_COLUMNS)} FROM run_progress WHERE run_id = ?", [run_id]
    ).fetchall()
    return RunProgress(**dict(zip(_PROGRESS_COLUMNS, rows[0], strict=True))) if rows else None


# ---- reading ---------------------------------------------------------------------------------


def generation_statuses(cursor: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """problem_uid -> status of every figure record of the run."""
    return dict(
        cursor.execute("SELECT problem_uid, status FROM generations WHERE run_id = ?", [run_id]).fetchall()
    )


GENERATION_COLUMNS: tuple[str, ...] = (
    "run_id", "problem_uid", "status", "image_path", "svg_path", "plan", "code", "error_class",
    "error_message", "attempts", "first_attempt_ok", "tokens_in", "tokens_out", "cost_usd", "latency_s",
    "facts_json", "notes", "created_at",
)
ATTEMPT_COLUMNS: tuple[str, ...] = (
    "run_id", "problem_uid", "attempt", "purpose", "status", "image_path", "plan", "code", "raw_reply",
    "parse_notes", "error_class", "error_message", "traceback_tail", "render_s", "tokens_in", "tokens_out",
    "cost_usd", "latency_s", "created_at",
)
CALL_COLUMNS: tuple[str, ...] = tuple(name for name in _CALL_SCHEMA.names)


def generations(
    cursor: duckdb.DuckDBPyConnection, run_id: str, *, status: str | None = None
) -> pd.DataFrame:
    return cursor.execute(
        f"""SELECT {', '.join(GENERATION_COLUMNS)} FROM generations
            WHERE run_id = ? AND (?::VARCHAR IS NULL OR status = ?) ORDER BY problem_uid""",
        [run_id, status, status],
    ).df()


def attempts(cursor: duckdb.DuckDBPyConnection, run_id: str, problem_uid: str | None = None) -> pd.DataFrame:
    return cursor.execute(
        f"""SELECT {', '.join(ATTEMPT_COLUMNS)} FROM generation_attempts
            WHERE run_id = ? AND (?::VARCHAR IS NULL OR problem_uid = ?) ORDER BY problem_uid, attempt""",
        [run_id, problem_uid, problem_uid],
    ).df()


def model_calls(cursor: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    return cursor.execute(
        f"SELECT {', '.join(CALL_COLUMNS)} FROM model_calls WHERE run_id = ? ORDER BY started_at, call_id",
        [run_id],
    ).df()


def spent_usd(cursor: duckdb.DuckDBPyConnection, run_id: str) -> float:
    (value,) = cursor.execute(
        "SELECT coalesce(sum(cost_usd), 0) FROM model_calls WHERE run_id = ?", [run_id]
    ).fetchall()[0]
    return float(value)


def ledger_totals(cursor: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """calls, ok, failed, cached, http_requests, tokens_in/out (paid calls), cost_usd (known),
    unknown_cost_calls (paid calls of unknown price), latency_s (mean), failures {class: n}."""
    row = cursor.execute(
        """SELECT count(*), count_if(ok), count_if(NOT ok), count_if(cached), coalesce(sum(http_attempts), 0),
                  coalesce(sum(tokens_in) FILTER (WHERE NOT cached), 0),
                  coalesce(sum(tokens_out) FILTER (WHERE NOT cached), 0),
                  coalesce(sum(cost_usd), 0), count_if(cost_usd IS NULL AND http_attempts > 0), avg(latency_s)
           FROM model_calls WHERE run_id = ?""",
        [run_id],
    ).fetchall()[0]
    failures = dict(
        cursor.execute(
            """SELECT failure_class, count(*) FROM model_calls WHERE run_id = ? AND failure_class IS NOT NULL
               GROUP BY failure_class ORDER BY failure_class""",
            [run_id],
        ).fetchall()
    )
    keys = ("calls", "ok", "failed", "cached", "http_requests", "tokens_in", "tokens_out", "cost_usd",
            "unknown_cost_calls", "latency_s")
    totals = dict(zip(keys, row, strict=True))
    totals["cost_usd"] = float(totals["cost_usd"])
    totals["failures"] = failures
    return totals


def failure_counts(cursor: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """error_class -> number of failed figures of the run."""
    return dict(
        cursor.execute(
            """SELECT coalesce(error_class, 'unclassified'), count(*) FROM generations
               WHERE run_id = ? AND status <> 'ok' GROUP BY 1 ORDER BY 2 DESC, 1""",
            [run_id],
        ).fetchall()
    )


_PASS_SQL = """
    WITH figures AS (
        SELECT g.status = 'ok' AS final_ok,
               coalesce(g.first_attempt_ok, a.status = 'ok', g.status = 'ok') AS first_ok,
               p.subject, p.image_type
        FROM generations g
        LEFT JOIN generation_attempts a
            ON a.run_id = g.run_id AND a.problem_uid = g.problem_uid AND a.attempt = 1
        LEFT JOIN problems p ON p.uid = g.problem_uid
        WHERE g.run_id = ?
    )
    SELECT 'overall' AS scope, '' AS scope_value, count(*) AS n, count_if(first_ok) AS first_ok,
           count_if(final_ok) AS ok, 0 AS scope_order
    FROM figures
    UNION ALL
    SELECT 'subject', subject, count(*), count_if(first_ok), count_if(final_ok), 1
    FROM figures WHERE subject IS NOT NULL GROUP BY subject
    UNION ALL
    SELECT 'image_type', image_type, count(*), count_if(first_ok), count_if(final_ok), 2
    FROM figures WHERE image_type IS NOT NULL GROUP BY image_type
    ORDER BY scope_order, scope_value
"""


def pass_counts(cursor: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """Columns: scope (overall | subject | image_type), scope_value, n (figure records),
    first_ok (first attempt rendered), ok (rendered within the attempt budget)."""
    frame = cursor.execute(_PASS_SQL, [run_id]).df()
    frame = frame.drop(columns=["scope_order"])
    for column in ("n", "first_ok", "ok"):
        frame[column] = frame[column].astype("int64")
    return frame


RUN_OVERVIEW_COLUMNS: tuple[str, ...] = (
    "run_id", "name", "kind", "generator_kind", "model", "spec_name", "created_at", "state", "stop_reason",
    "message", "total", "done", "ok", "failed", "pass_at_1", "pass_at_k", "cost_usd", "calls", "cached_calls",
    "unknown_cost_calls", "updated_at", "pid", "host",
)


def runs_overview(cursor: duckdb.DuckDBPyConnection, kind: str | None = None) -> pd.DataFrame:
    """One row per run with live progress, pass@1/pass@k (%) and ledger cost (see Store.runs_overview)."""
    frame = cursor.execute(
        """WITH figures AS (
               SELECT g.run_id, count(*) AS n, count_if(g.status = 'ok') AS ok,
                      count_if(coalesce(g.first_attempt_ok, a.status = 'ok', g.status = 'ok')) AS first_ok
               FROM generations g
               LEFT JOIN generation_attempts a
                   ON a.run_id = g.run_id AND a.problem_uid = g.problem_uid AND a.attempt = 1
               GROUP BY g.run_id
           ), calls AS (
               SELECT run_id, sum(cost_usd) AS cost_usd, count(*) AS calls, count_if(cached) AS cached_calls,
                      count_if(cost_usd IS NULL AND http_attempts > 0) AS unknown_cost_calls
               FROM model_calls GROUP BY run_id
           )
           SELECT r.run_id, r.name, r.kind, r.generator_kind, r.model, r.spec_name, r.spec_json, r.created_at,
                  p.state, p.stop_reason, p.message,
                  coalesce(p.total, f.n) AS total, f.n AS done, f.ok, f.n - f.ok AS failed,
                  100.0 * f.first_ok / nullif(f.n, 0) AS pass_at_1, 100.0 * f.ok / nullif(f.n, 0) AS pass_at_k,
                  c.cost_usd, c.calls, c.cached_calls, c.unknown_cost_calls, p.updated_at, p.pid, p.host
           FROM runs r
           LEFT JOIN run_progress p ON p.run_id = r.run_id
           LEFT JOIN figures f ON f.run_id = r.run_id
           LEFT JOIN calls c ON c.run_id = r.run_id
           WHERE ?::VARCHAR IS NULL OR r.kind = ?
           ORDER BY r.kind, r.created_at, r.name""",
        [kind, kind],
    ).df()
    for column in ("total", "done", "ok", "failed", "calls", "cached_calls", "unknown_cost_calls", "pid"):
        frame[column] = frame[column].astype("Int64")
    return frame

