"""Schema versioning: fresh stores reach the latest version, re-running changes nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.store import LATEST_VERSION, Store, StoreError, schema
from core.store.connection import attached

EXPECTED_TABLES = {
    "schema_version", "problems", "quizzes", "runs", "generations", "generation_attempts",
    "quiz_answers", "judge_scores", "metric_values", "aggregates", "downstream_results", "meta",
}


def _tables(path: Path) -> set[str]:
    with attached(path, read_only=True) as cursor:
        return {
            name
            for (name,) in cursor.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }


def test_fresh_store_gets_latest_version_and_every_table(tmp_path: Path) -> None:
    store = Store(tmp_path / "new" / "scigen.duckdb")

    assert store.path.exists()
    assert store.schema_version() == LATEST_VERSION == len(schema.MIGRATIONS)
    applied = store.applied_migrations()
    assert list(applied["version"]) == list(range(1, LATEST_VERSION + 1))
    assert list(applied["name"]) == [m.name for m in schema.MIGRATIONS]
    assert applied["applied_at"].notna().all()
    assert EXPECTED_TABLES <= _tables(store.path)


def test_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "scigen.duckdb"
    first = Store(path)
    applied_before = first.applied_migrations()
    version_before = first.data_version()

    again = Store(path)

    assert again.migrate() == []
    assert again.applied_migrations().equals(applied_before)
    assert again.data_version() == version_before


def test_new_migration_applies_once_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "scigen.duckdb")
    extended = (*schema.MIGRATIONS, schema.Migration(LATEST_VERSION + 1, "extra", "CREATE TABLE extra (x INTEGER)"))

    with attached(store.path, read_only=False) as cursor:
        assert schema.apply_pending(cursor, extended) == [LATEST_VERSION + 1]
        assert schema.apply_pending(cursor, extended) == []
        assert schema.read_version(cursor) == LATEST_VERSION + 1
    assert "extra" in _tables(store.path)


def test_failing_migration_is_rolled_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "scigen.duckdb")
    broken = schema.Migration(
        LATEST_VERSION + 1, "broken", "CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table"
    )

    with attached(store.path, read_only=False) as cursor, pytest.raises(duckdb.CatalogException):
        schema.apply_pending(cursor, (*schema.MIGRATIONS, broken))

    assert store.schema_version() == LATEST_VERSION
    assert "half_done" not in _tables(store.path)


def test_store_newer_than_code_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "scigen.duckdb"
    Store(path)
    with attached(path, read_only=False) as cursor:
        cursor.execute(
            "INSERT INTO schema_version VALUES (?, 'from_the_future', now()::TIMESTAMP)", [LATEST_VERSION + 5]
        )

    with pytest.raises(StoreError, match=rf"scigen.duckdb.*schema version {LATEST_VERSION + 5} is newer"):
        Store(path)


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "001_first.sql").write_text("SELECT 1")
    (tmp_path / "003_third.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="found 003 where 002 was expected"):
        schema.discover(tmp_path)

    (tmp_path / "003_third.sql").unlink()
    (tmp_path / "2_badname.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="NNN_lowercase_name.sql"):
        schema.discover(tmp_path)


def test_not_a_database_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "scigen.duckdb"
    path.write_text("this is not a DuckDB file")
    with pytest.raises(StoreError, match="cannot open the store .*scigen.duckdb"):
        Store(path)


def test_meta_values(store: Store) -> None:
    assert store.get_meta("seed_fingerprint") is None
    store.set_meta("seed_fingerprint", "abc")
    version = store.data_version()

    store.set_meta("seed_fingerprint", "abc")  # same value: nothing written
    assert store.data_version() == version
    store.set_meta("seed_fingerprint", "def")

    assert store.get_meta("seed_fingerprint") == "def"
    assert store.data_version() != version
