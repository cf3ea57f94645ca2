"""``Store``: the one door to the DuckDB file. Holds a path, never an open connection."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from core.problems.models import Problem
from core.store import problems as problem_sql
from core.store import results as result_sql
from core.store import schema
from core.store.connection import DEFAULT_LOCK_TIMEOUT_S, StoreError, attached
from core.store.problems import FilterValue
from core.store.records import Aggregate, Run, UpsertCounts
from core.store.reported import ReportedResults
from core.workspace import Workspace


class _Transaction:
    """A write transaction's cursor; ``unchanged()`` says nothing was written (no version bump)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.changed = True

    def unchanged(self) -> None:
        self.changed = False


class Store:
    """The DuckDB store at ``path``: creates the file and applies migrations on construction.

    Every method attaches the file for just that operation (read-only for reads, one
    transaction for writes) and releases it, so a dashboard and a CLI job in another process
    can use the same store at once; waits for another process's lock are retried for up to
    ``lock_timeout`` seconds (then ``StoreBusyError``).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S
    ) -> None:
        self.path = Path(path).expanduser().resolve()
        self.lock_timeout = lock_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.migrate()

    @classmethod
    def open(cls, workspace: Workspace | None = None, **options: float) -> Store:
        """The store of ``workspace`` (default: ``Workspace.from_env()``), folders created."""
        workspace = (workspace or Workspace.from_env()).ensure()
        return cls(workspace.db_path, **options)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # connections --------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with attached(self.path, read_only=True, timeout=self.lock_timeout) as cursor:
            yield cursor

    @contextmanager
    def _writing(self) -> Iterator[_Transaction]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with attached(self.path, read_only=False, timeout=self.lock_timeout) as cursor:
            transaction = _Transaction(cursor)
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield transaction
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        if transaction.changed:
            self._bump_data_version()

    @property
    def _version_file(self) -> Path:
        return self.path.with_name(self.path.name + ".version")

    def _bump_data_version(self) -> None:
        # File times can be too coarse to tell two quick writes apart; a fresh token always can.
        scratch = self._version_file.with_name(f"{self._version_file.name}.{os.getpid()}.{uuid.uuid4().hex}")
        scratch.write_text(uuid.uuid4().hex, encoding="utf-8")
        os.replace(scratch, self._version_file)

    def data_version(self) -> str:
        """A short string that changes after every committed write (a cache key; no DB open)."""
        parts: list[str] = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal"), self._version_file):
            try:
                stat = path.stat()
            except FileNotFoundError:
                parts.append("-")
                continue
            parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
        try:
            parts.append(self._version_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            parts.append("-")
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]

    # schema -------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply pending migrations; returns the versions applied (empty when up to date)."""
        if self.path.exists() and self.schema_version() == schema.LATEST_VERSION:
            return []  # the common case, decided under a shared lock
        with attached(self.path, read_only=False, timeout=self.lock_timeout) as cursor:
            try:
                applied = schema.apply_pending(cursor)
            except ValueError as exc:
                raise StoreError(f"{self.path}: {exc}") from exc
        if applied:
            self._bump_data_version()
        return applied

    def schema_version(self) -> int:
        """The highest migration number applied to this store."""
        with self._reading() as cursor:
            return schema.read_version(cursor)

    def applied_migrations(self) -> pd.DataFrame:
        """Columns: version, name, applied_at."""
        with self._reading() as cursor:
            return cursor.execute("SELECT version, name, applied_at FROM schema_version ORDER BY version").df()

    def get_meta(self, key: str) -> str | None:
        """A stored workspace fact (e.g. the seed fingerprint), or None."""
        with self._reading() as cursor:
            rows = cursor.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a workspace fact; writing the value it already has changes nothing."""
        with self._writing() as transaction:
            cursor = transaction.cursor
            if cursor.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall() == [(value,)]:
                transaction.unchanged()
                return
            cursor.execute(
                """INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
                [key, value, datetime.now(UTC).replace(tzinfo=None)],
            )

    # problems -----------------------------------------------------------------------------

    def upsert_problems(self, problems: Iterable[Problem]) -> UpsertCounts:
        """Store problems keyed by uid in one transaction (all or nothing).

        New uids are inserted, changed ones replaced with their quizzes (order kept), identical
        ones left alone, so re-importing the same data reports ``unchanged == n``.
        """
        batch = problem_sql.prepare_batch(problems)
        with self._writing() as transaction:
            counts = problem_sql.upsert(transaction.cursor, batch)
            if counts.inserted == 0 and counts.updated == 0:
                transaction.unchanged()
        return counts

    def get_problem(self, uid: str) -> Problem | None:
        """The full record with quizzes in their original order, or None."""
        with self._reading() as cursor:
            found = problem_sql.get_problems(cursor, uids=[uid])
        return found[0] if found else None

    def get_problems(
        self,
        uids: Iterable[str] | None = None,
        *,
        subject: FilterValue = None,
        image_type: FilterValue = None,
        source: FilterValue = None,
        search: str | None = None,
        limit: int | None = None,
    ) -> list[Problem]:
        """Full records of a selection (uids and/or filters): in the order of ``uids`` when given
        (unknown uids skipped), else sorted like ``list_problems``."""
        with self._reading() as cursor:
            return problem_sql.get_problems(
                cursor,
                uids=None if uids is None else list(uids),
                subject=subject,
                image_type=image_type,
                source=source,
                search=search,
                limit=limit,
            )

    def list_problems(
        self,
        *,
        subject: FilterValue = None,
        image_type: FilterValue = None,
        source: FilterValue = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """One row per problem: uid, id, source, subject, image_type, question, answer, n_quizzes,
        n_elements, has_reference_image, has_reference_code, has_multimodal_question.

        Filters take a value or a list of values. Subject "Physics" includes untyped SeePhys items.
        ``search`` is a case-insensitive substring of the question or the id. Sorted by source,
        then id in natural order ("2" before "10").
        """
        with self._reading() as cursor:
            return problem_sql.list_problems(
                cursor, subject=subject, image_type=image_type, source=source, search=search,
                limit=limit, offset=offset,
            )

    def count_problems(
        self,
        *,
        subject: FilterValue = None,
        image_type: FilterValue = None,
        source: FilterValue = None,
        search: str | None = None,
    ) -> int:
        with self._reading() as cursor:
            return problem_sql.count_problems(
                cursor, subject=subject, image_type=image_type, source=source, search=search
            )

    def problem_facets(self) -> dict[str, list[str]]:
        """Values present: {"subject": [...], "image_type": [...], "source": [...]} in taxonomy order."""
        with self._reading() as cursor:
            return problem_sql.facets(cursor)

    # runs and results ---------------------------------------------------------------------

    def upsert_run(self, run: Run) -> str:
        """Insert or update a run (by run_id; created_at of the first write kept); returns run_id."""
        with self._writing() as transaction:
            result_sql.upsert_runs(transaction.cursor, [run])
        return run.run_id

    def get_run(self, run_id: str) -> Run | None:
        with self._reading() as cursor:
            return result_sql.get_run(cursor, run_id)

    def delete_run(self, run_id: str) -> bool:
        """Remove a run and all its rows (figures, answers, scores, aggregates)."""
        with self._writing() as transaction:
            deleted = result_sql.delete_run(transaction.cursor, run_id)
            if not deleted:
                transaction.unchanged()
        return deleted

    def list_runs(self, kind: str | None = None) -> pd.DataFrame:
        """Columns: run_id, name, kind, generator_kind, access, model, created_at, provenance,
        spec_name, spec_json, parent_run_id, code_version, notes."""
        with self._reading() as cursor:
            return result_sql.list_runs(cursor, kind)

    def upsert_aggregates(self, run_id: str, aggregates: Iterable[Aggregate]) -> int:
        """Insert or replace run-level numbers keyed by (metric, scope, scope_value)."""
        rows = list(aggregates)
        with self._writing() as transaction:
            return result_sql.upsert_aggregates(transaction.cursor, run_id, rows)

    def aggregates(
        self, *, run_id: str | None = None, metric: str | None = None, scope: str | None = None
    ) -> pd.DataFrame:
        """Long form. Columns: run_id, metric, scope, scope_value, value, ci_low, ci_high, n, computed_at."""
        with self._reading() as cursor:
            return result_sql.aggregates(cursor, run_id=run_id, metric=metric, scope=scope)

    def upsert_reported_results(self, results: ReportedResults) -> int:
        """Store a paper's runs (kind 'reported'), their numbers and downstream results.

        Idempotent: the store ends up holding exactly what ``results`` says for that paper.
        Returns the number of reported runs written.
        """
        with self._writing() as transaction:
            return result_sql.upsert_reported(transaction.cursor, results)

    def leaderboard(self, kind: str | None = None) -> pd.DataFrame:
        """One row per run (of ``kind``, or all): run_id, name, kind, generator_kind, access, model,
        provenance, created_at, then one float column per metric the runs have (in METRICS order),
        then ``<metric>_ci_low``/``<metric>_ci_high``/``<metric>_n`` where stored.
        Sorted by rinv (best first, missing last), then name. ``kind`` tells reported from measured.
        """
        with self._reading() as cursor:
            return result_sql.leaderboard(cursor, kind)

    def downstream_results(self) -> pd.DataFrame:
        """Columns: source, benchmark, accuracy, train_samples (nullable), provenance, base_model, note."""
        with self._reading() as cursor:
            return result_sql.downstream_results(cursor)
