"""SQL for evaluation protocols (table ``protocols``; ``runs.protocol_id``, ``aggregates.protocol_id``)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb
import pandas as pd

from core.protocols import Protocol, protocol_from_json
from core.store.records import utc_now

PROTOCOL_COLUMNS: tuple[str, ...] = (
    "protocol_id", "name", "description", "problem_source", "problem_count", "problem_fingerprint", "quiz_set",
    "answerer_model", "answerer_prompt", "answerer_temperature", "answerer_shuffle", "judges",
    "missing_image_rule", "mixed_of", "definition_json", "created_at",
)


def save_protocol(cursor: duckdb.DuckDBPyConnection, protocol: Protocol) -> str:
    """Insert the protocol once (a later save may only give it a name); returns its id."""
    problems, answerer = protocol.problem_set, protocol.answerer
    cursor.execute(
        f"""INSERT INTO protocols ({", ".join(PROTOCOL_COLUMNS)})
            VALUES ({", ".join("?" for _ in PROTOCOL_COLUMNS)})
            ON CONFLICT (protocol_id) DO UPDATE SET
                name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE protocols.name END""",
        [
            protocol.protocol_id, protocol.name, protocol.describe(),
            problems.source if problems else None, problems.count if problems else None,
            problems.fingerprint if problems else None, protocol.quiz_set,
            answerer.model if answerer else None, answerer.prompt if answerer else None,
            answerer.temperature if answerer else None, answerer.shuffle if answerer else None,
            list(protocol.judges), protocol.missing_image_rule, list(protocol.mixed_of),
            json.dumps(protocol.definition(), sort_keys=True, ensure_ascii=False), utc_now(),
        ],
    )
    return protocol.protocol_id


def assign_run_protocol(cursor: duckdb.DuckDBPyConnection, run_id: str, protocol: Protocol) -> bool:
    """Store ``protocol`` and make it the run's and its aggregates'; False when the run already had it."""
    save_protocol(cursor, protocol)
    rows = cursor.execute("SELECT protocol_id FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if not rows:
        raise ValueError(f"no run {run_id!r}: store the run before its protocol")
    unchanged = rows[0][0] == protocol.protocol_id
    if not unchanged:
        cursor.execute("UPDATE runs SET protocol_id = ? WHERE run_id = ?", [protocol.protocol_id, run_id])
    stamp_aggregates(cursor, [run_id])
    return not unchanged


def stamp_aggregates(cursor: duckdb.DuckDBPyConnection, run_ids: Iterable[str]) -> None:
    """Give the aggregates of ``run_ids`` their run's protocol (every aggregate carries one)."""
    ids = sorted(set(run_ids))
    if ids:
        cursor.execute(
            """UPDATE aggregates SET protocol_id = r.protocol_id FROM runs r
               WHERE r.run_id = aggregates.run_id AND aggregates.run_id IN (SELECT unnest(?::VARCHAR[]))
                 AND aggregates.protocol_id IS DISTINCT FROM r.protocol_id""",
            [ids],
        )


def protocols(cursor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored protocol (columns PROTOCOL_COLUMNS), oldest first."""
    return cursor.execute(f"SELECT {', '.join(PROTOCOL_COLUMNS)} FROM protocols ORDER BY created_at, protocol_id").df()


def run_protocols(cursor: duckdb.DuckDBPyConnection, run_ids: Iterable[str] | None = None) -> dict[str, Protocol]:
    """run_id -> its protocol, for runs that have one (all runs when ``run_ids`` is None)."""
    ids = None if run_ids is None else sorted(set(run_ids))
    rows = cursor.execute(
        """SELECT r.run_id, p.definition_json, p.name FROM runs r JOIN protocols p ON p.protocol_id = r.protocol_id
           WHERE ?::VARCHAR[] IS NULL OR r.run_id IN (SELECT unnest(?::VARCHAR[]))""",
        [ids, ids],
    ).fetchall()
    return {run_id: protocol_from_json(definition, name) for run_id, definition, name in rows}
