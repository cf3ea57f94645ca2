"""Numbered schema migrations: ``migrations/NNN_name.sql``, applied in order, each exactly once.

The ``schema_version`` table records every applied migration with its name and time; the
schema version of a store is the highest number recorded there. Applying is idempotent: a
migration already recorded is never run again. A later issue adds a schema change by adding
the next numbered file, never by editing an applied one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.store.records import utc_now

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

_CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """The migrations in ``directory``, ordered; numbers must run 1, 2, 3, ... without gaps."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path} is not named NNN_lowercase_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise ValueError(
                f"migrations in {directory} must be numbered 001, 002, ... without gaps; "
                f"found {migration.version:03d} where {expected:03d} was expected"
            )
    return tuple(found)


MIGRATIONS: tuple[Migration, ...] = discover()
LATEST_VERSION: int = MIGRATIONS[-1].version if MIGRATIONS else 0


def read_version(cursor: duckdb.DuckDBPyConnection) -> int:
    """The schema version of the attached database (0 when it has no schema_version table)."""
    try:
        (version,) = cursor.execute("SELECT max(version) FROM schema_version").fetchall()[0]
    except duckdb.CatalogException:
        return 0
    return int(version) if version is not None else 0


def apply_pending(
    cursor: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction.

    Returns the versions applied (empty when already up to date). Raises ValueError when the
    database is newer than this code knows.
    """
    cursor.execute(_CREATE_VERSION_TABLE)
    current = read_version(cursor)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise ValueError(
            f"schema version {current} is newer than this SciGen Studio knows ({latest}); update the code"
        )
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= current:
            continue
        cursor.execute("BEGIN TRANSACTION")
        try:
            cursor.execute(migration.sql)
            cursor.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                [migration.version, migration.name, utc_now()],
            )
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
