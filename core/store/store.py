"""``Store``: the one door to the DuckDB file. Holds a path, never an open connection."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

import core.store.analysis as analysis_sql
import core.store.downstream as downstream_sql
import core.store.evaluations as evaluation_sql
import core.store.export_queries as export_sql
import core.store.figure_views as figure_sql
import core.store.generations as generation_sql
import core.store.problems as problem_sql
import core.store.protocols as protocol_sql
import core.store.quiz_audits as quiz_audit_sql
import core.store.results as result_sql
import core.store.reviews as review_sql
import core.store.schema as schema
from core.files import write_text_atomically
from core.problems.models import Problem
from core.problems.selection import ProblemSelection, SelectionError
from core.protocols import Protocol
from core.store.analysis import RunItems
from core.store.connection import DEFAULT_LOCK_TIMEOUT_S, StoreError, attached
from core.store.downstream import DownstreamImportCounts, DownstreamOutcome
from core.store.evaluations import EvaluationItemRow, JudgeScoreRow, MetricValueRow, QuizAnswerRow
from core.store.generations import AttemptRow, GenerationRow, ModelCallRow, ProgressState, RunProgress
from core.store.problems import FilterValue
from core.store.quiz_audits import QuizAuditRow, QuizGenerationRow
from core.store.records import Aggregate, Run, UpsertCounts, utc_now
from core.store.reported import ReportedResults
from core.store.reviews import PairwiseVote, ReviewMarks, ReviewSession
from core.workspace import Workspace


class _Transaction:
    """A write transaction's cursor; ``unchanged()`` says nothing was written (no version bump)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.changed = True

    def unchanged(self) -> None:
        self.changed = False


# Progress rows of evaluation runs count their finished items.
EVALUATION_ITEMS = "evaluation_items"


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
        write_text_atomically(self._version_file, uuid.uuid4().hex)

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
                [key, value, utc_now()],
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

    def select_problems(self, selection: ProblemSelection) -> list[Problem]:
        """The selection's problems, full records (see ``ProblemSelection`` for the order).

        Raises ``SelectionError`` for an id naming no stored problem, or naming problems in two
        sources (the message says to give the uid or the source)."""
        with self._reading() as cursor:
            if not selection.ids:
                return problem_sql.get_problems(cursor, **selection.filters, limit=selection.limit)
            candidates = selection.id_candidates()
            wanted = [uid for options in candidates.values() for uid in options]
            known = {problem.uid for problem in problem_sql.get_problems(cursor, uids=wanted)}
            uids: list[str] = []
            for given, options in candidates.items():
                found = [uid for uid in options if uid in known]
                if not found:
                    raise SelectionError(f"--ids: no problem {given!r} in the store (give source:id or an id)")
                if len(found) > 1:
                    raise SelectionError(
                        f"--ids: {given!r} names {len(found)} problems ({', '.join(found)}); "
                        "give the uid (source:id) or --source"
                    )
                if found[0] not in uids:
                    uids.append(found[0])
            problems = problem_sql.get_problems(cursor, uids=uids, **selection.filters)
        return problems[: selection.limit] if selection.limit is not None else problems

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
        spec_name, spec_json, parent_run_id, code_version, notes, selection_json."""
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
        """Long form. Columns: run_id, metric, scope, scope_value, value, ci_low, ci_high, n, computed_at,
        protocol_id (the protocol of the run the number belongs to; None when the run has none)."""
        with self._reading() as cursor:
            return result_sql.aggregates(cursor, run_id=run_id, metric=metric, scope=scope)

    def upsert_reported_results(self, results: ReportedResults) -> int:
        """Store a paper's runs (kind 'reported'), their numbers and downstream results.

        Idempotent: the store ends up holding exactly what ``results`` says for that paper.
        Returns the number of reported runs written.
        """
        with self._writing() as transaction:
            return result_sql.upsert_reported(transaction.cursor, results)

    def set_run_protocol(self, run_id: str, protocol: Protocol) -> bool:
        """Store ``protocol`` (once per definition) as the run's and its aggregates' protocol;
        False (and nothing written) when the run already had it."""
        with self._writing() as transaction:
            changed = protocol_sql.assign_run_protocol(transaction.cursor, run_id, protocol)
            if not changed:
                transaction.unchanged()
            return changed

    def protocols(self) -> pd.DataFrame:
        """Every stored protocol (``core.store.protocols.PROTOCOL_COLUMNS``), oldest first."""
        with self._reading() as cursor:
            return protocol_sql.protocols(cursor)

    def run_protocols(self, run_ids: Iterable[str] | None = None) -> dict[str, Protocol]:
        """run_id -> its protocol, for the runs (of ``run_ids``, else all) that have one."""
        with self._reading() as cursor:
            return protocol_sql.run_protocols(cursor, run_ids)

    def leaderboard(self, kind: str | None = None) -> pd.DataFrame:
        """One row per run: run_id, name, kind, generator_kind, access, model, provenance,
        created_at, evaluated_by, then one float column per metric the runs have (in METRICS
        order), then ``<metric>_ci_low``/``<metric>_ci_high``/``<metric>_n`` where stored.
        Sorted by rinv (else the paper's perfect_image_rate; best first, missing last), then name.
        ``protocol_id`` / ``protocol``: the protocol of the row's numbers (its evaluation runs'
        protocols merged, see ``core.protocols.merge_protocols``; None when none is recorded);
        numbers of different protocols are not comparable.

        Measured rows (``kind`` None or 'generation') are generation runs: their own numbers
        (pass@1, pass@k, cost) merged with their evaluation runs' overall aggregates (per metric,
        the most recently created evaluation run that has it); ``evaluated_by`` lists those
        evaluation runs' labels (e.g. "ocr, ssim"). An evaluation run whose generation run is not
        stored keeps a row of its own. ``kind`` 'reported' or 'evaluation': every run of that kind
        with its own aggregates only. ``kind`` None also lists reported runs.
        """
        with self._reading() as cursor:
            return result_sql.leaderboard(cursor, kind)

    def run_items(self, run_id: str) -> RunItems | None:
        """The per-figure rows behind a run's numbers (figures with subject/type/quiz count, quiz
        answers, judge scores, metric values), for ``core.evaluation.stats``; None for no such run.
        An evaluation run's figures are those of its parent generation run. A generation run that
        has evaluation runs gets their rows, chosen as its leaderboard numbers are (see
        ``core.store.evaluations.merged_run_items``)."""
        with self._reading() as cursor:
            merged = evaluation_sql.merged_run_items(cursor, run_id)
            return merged if merged is not None else analysis_sql.run_items(cursor, run_id)

    def downstream_results(self) -> pd.DataFrame:
        """Columns: source, benchmark, accuracy, train_samples (nullable), provenance, base_model, note."""
        with self._reading() as cursor:
            return result_sql.downstream_results(cursor)

    def import_downstream(
        self, provenance: str, outcomes: Sequence[DownstreamOutcome]
    ) -> DownstreamImportCounts:
        """Make ``provenance`` (e.g. ``csv:<file name>``) hold exactly ``outcomes``, in one
        transaction; importing the same rows again changes nothing. A paper's provenance is
        refused (its rows come from ``upsert_reported_results``)."""
        with self._writing() as transaction:
            if provenance in downstream_sql.reported_provenances(transaction.cursor):
                raise StoreError(f"provenance {provenance!r} belongs to published results; choose another")
            counts = downstream_sql.replace_imported(transaction.cursor, provenance, list(outcomes))
            if not counts.changed:
                transaction.unchanged()
        return counts

    def delete_downstream(self, provenance: str) -> int:
        """Remove every downstream row of ``provenance``; returns how many there were."""
        with self._writing() as transaction:
            deleted = downstream_sql.delete_provenance(transaction.cursor, provenance)
            if not deleted:
                transaction.unchanged()
        return deleted

    # generation runs: figures, attempts, the model-call ledger, progress -------------------

    def create_run_if_absent(self, run: Run) -> Run:
        """Insert ``run`` unless a run of the same kind and name exists; returns the stored run
        (the existing one, untouched, when there was one). One transaction, so two processes
        creating the same run cannot both insert it."""
        with self._writing() as transaction:
            existing = generation_sql.find_run(transaction.cursor, run.kind, run.name)
            if existing is not None:
                transaction.unchanged()
                return existing
            result_sql.upsert_runs(transaction.cursor, [run])
            stored = result_sql.get_run(transaction.cursor, run.run_id)
        assert stored is not None
        return stored

    def find_run(self, kind: str, name: str) -> Run | None:
        """The run of ``kind`` called ``name`` (names are unique within a kind), or None."""
        with self._reading() as cursor:
            return generation_sql.find_run(cursor, kind, name)

    def save_generations(
        self,
        run_id: str,
        generations: Sequence[GenerationRow],
        attempts: Sequence[AttemptRow] = (),
        calls: Sequence[ModelCallRow] = (),
    ) -> None:
        """Store figure records with their attempts (replacing what the run held for those
        problems) and append model calls (a call_id already stored is kept), then recount the
        run's progress row; all in one short transaction. Idempotent per (run, problem)."""
        with self._writing() as transaction:
            generation_sql.write_results(transaction.cursor, run_id, generations, attempts, calls)
            generation_sql.refresh_progress(transaction.cursor, run_id)

    def start_run_progress(
        self, run_id: str, *, total: int, pid: int | None = None, host: str | None = None,
        message: str | None = None, items: str = "generations",
    ) -> RunProgress:
        """Mark a job as running on ``run_id`` over ``total`` items; counts come from the run's
        ``items`` table (``generations``, or ``evaluation_items`` for an evaluation run)."""
        with self._writing() as transaction:
            generation_sql.start_progress(
                transaction.cursor, run_id, total=total, pid=pid, host=host, message=message, items=items
            )
            progress = generation_sql.get_progress(transaction.cursor, run_id)
        assert progress is not None
        return progress

    def touch_run_progress(self, run_id: str, *, items: str = "generations") -> None:
        """Recount a running job's progress row and refresh its updated_at (a heartbeat)."""
        with self._writing() as transaction:
            generation_sql.refresh_progress(transaction.cursor, run_id, items=items)

    def end_run_progress(
        self, run_id: str, *, state: ProgressState, stop_reason: str | None = None, message: str | None = None,
        items: str = "generations",
    ) -> RunProgress | None:
        """Record how the job on ``run_id`` ended: finished, cancelled (budget, interrupted) or failed."""
        with self._writing() as transaction:
            generation_sql.end_progress(
                transaction.cursor, run_id, state=state, stop_reason=stop_reason, message=message, items=items
            )
            return generation_sql.get_progress(transaction.cursor, run_id)

    def run_progress(self, run_id: str) -> RunProgress | None:
        """The progress row of a run (None when no job ever ran on it)."""
        with self._reading() as cursor:
            return generation_sql.get_progress(cursor, run_id)

    def generation_statuses(self, run_id: str) -> dict[str, str]:
        """problem_uid -> 'ok' | 'failed' for every figure record of the run."""
        with self._reading() as cursor:
            return generation_sql.generation_statuses(cursor, run_id)

    def generations(self, run_id: str, *, status: str | None = None) -> pd.DataFrame:
        """A run's figure records, by problem_uid. Columns: run_id, problem_uid, status, image_path,
        svg_path (relative to the workspace home), plan, code, error_class, error_message, attempts,
        first_attempt_ok, tokens_in, tokens_out, cost_usd, latency_s, facts_json, notes, created_at."""
        with self._reading() as cursor:
            return generation_sql.generations(cursor, run_id, status=status)

    def generation_attempts(self, run_id: str, problem_uid: str | None = None) -> pd.DataFrame:
        """Every attempt (1-based), by problem then attempt. Columns: run_id, problem_uid, attempt,
        purpose, status, image_path, plan, code, raw_reply, parse_notes, error_class, error_message,
        traceback_tail, render_s, tokens_in, tokens_out, cost_usd, latency_s, created_at."""
        with self._reading() as cursor:
            return generation_sql.attempts(cursor, run_id, problem_uid)

    def model_calls(self, run_id: str) -> pd.DataFrame:
        """The run's cost ledger, one row per model call, oldest first. Columns: run_id, call_id,
        problem_uid, attempt, kind, profile, model, fingerprint, cache_key, started_at, latency_s,
        wait_s, http_attempts, tokens_in, tokens_out, images_out, cost_usd, cached, ok,
        failure_class, failure_message, finish_reason, retry_classes."""
        with self._reading() as cursor:
            return generation_sql.model_calls(cursor, run_id)

    def run_spent_usd(self, run_id: str) -> float:
        """Known cost of every model call the run has made (what a resumed --max-cost starts from)."""
        with self._reading() as cursor:
            return generation_sql.spent_usd(cursor, run_id)

    def ledger_totals(self, run_id: str) -> dict[str, object]:
        """calls, ok, failed, cached, http_requests, tokens_in, tokens_out (paid calls), cost_usd,
        unknown_cost_calls, latency_s (mean), failures ({failure_class: calls})."""
        with self._reading() as cursor:
            return generation_sql.ledger_totals(cursor, run_id)

    def generation_failures(self, run_id: str) -> dict[str, int]:
        """error_class -> number of failed figures of the run, most frequent first."""
        with self._reading() as cursor:
            return generation_sql.failure_counts(cursor, run_id)

    def pass_counts(self, run_id: str) -> pd.DataFrame:
        """Counts behind pass@1 / pass@k, overall and per subject and image type. Columns: scope,
        scope_value, n, first_ok, ok."""
        with self._reading() as cursor:
            return generation_sql.pass_counts(cursor, run_id)

    def runs_overview(self, kind: str | None = None) -> pd.DataFrame:
        """One row per run (of ``kind``, or all) with live numbers: run_id, name, kind,
        generator_kind, model, spec_name, spec_json, created_at, state, stop_reason, message, total, done, ok,
        failed, pass_at_1, pass_at_k (percent), cost_usd, calls, cached_calls, unknown_cost_calls,
        updated_at, pid, host. Numbers are NULL for runs without figures or calls. For an
        evaluation run, done/ok/failed count its finished items (ok = scored)."""
        with self._reading() as cursor:
            frame = generation_sql.runs_overview(cursor, kind)
            counts = evaluation_sql.item_counts(cursor).set_index("run_id")
        evaluations = frame["kind"].eq("evaluation") & frame["run_id"].isin(counts.index)
        if evaluations.any():
            for column in ("done", "ok", "failed"):
                frame.loc[evaluations, column] = (
                    counts[column].reindex(frame.loc[evaluations, "run_id"]).to_numpy()
                )
        return frame

    # evaluation runs: per-item scores, finished items, progress, merged views ----------------

    def save_evaluation(
        self,
        run_id: str,
        items: Sequence[EvaluationItemRow],
        quiz_answers: Sequence[QuizAnswerRow] = (),
        judge_scores: Sequence[JudgeScoreRow] = (),
        metric_values: Sequence[MetricValueRow] = (),
        calls: Sequence[ModelCallRow] = (),
    ) -> None:
        """Store finished evaluation items with their quiz answers, judge scores and metric values
        (replacing what the run held for those problems) and append model calls, then recount the
        run's progress row; one short transaction. Idempotent per (run, problem)."""
        with self._writing() as transaction:
            evaluation_sql.write_evaluation(
                transaction.cursor, run_id, items, quiz_answers, judge_scores, metric_values, calls
            )
            evaluation_sql.refresh_progress(transaction.cursor, run_id)

    def evaluation_statuses(self, run_id: str) -> dict[str, str]:
        """problem_uid -> 'ok' | 'failed' | 'no_image' | 'unavailable' for every finished item."""
        with self._reading() as cursor:
            return evaluation_sql.item_statuses(cursor, run_id)

    def evaluation_items(self, run_id: str) -> pd.DataFrame:
        """Finished items of an evaluation run. Columns: run_id, problem_uid, status, figure_status,
        error_class, notes, cost_usd, latency_s, created_at."""
        with self._reading() as cursor:
            return evaluation_sql.evaluation_items(cursor, run_id)

    def quiz_answers(self, run_id: str) -> pd.DataFrame:
        """Columns: run_id, problem_uid, quiz_index, answerer, shuffle_seed, presented_keys, raw_reply,
        parsed_key, correct, abstained, error_class, cost_usd, latency_s, created_at."""
        with self._reading() as cursor:
            return evaluation_sql.quiz_answers(cursor, run_id)

    def judge_scores(self, run_id: str) -> pd.DataFrame:
        """Columns: run_id, problem_uid, judge, dimension, score (Int64, NA = none), rationale,
        error_class, created_at."""
        with self._reading() as cursor:
            return evaluation_sql.judge_scores(cursor, run_id)

    def metric_values(self, run_id: str) -> pd.DataFrame:
        """Columns: run_id, problem_uid, metric, value, status, detail, created_at."""
        with self._reading() as cursor:
            return evaluation_sql.metric_values(cursor, run_id)

    def evaluation_runs(self, parent_run_id: str | None = None) -> pd.DataFrame:
        """Evaluation runs (of one generation run, or all), oldest first. Columns: run_id, name,
        parent_run_id, parent_name, spec_name, spec_json, model, created_at, items, ok, state,
        stop_reason."""
        with self._reading() as cursor:
            return evaluation_sql.evaluation_runs(cursor, parent_run_id)

    def start_evaluation_progress(
        self, run_id: str, *, total: int, pid: int | None = None, host: str | None = None,
        message: str | None = None,
    ) -> RunProgress:
        """Mark an evaluation job as running on ``run_id`` over ``total`` figures (done = finished items)."""
        return self.start_run_progress(
            run_id, total=total, pid=pid, host=host, message=message, items=EVALUATION_ITEMS
        )

    def touch_evaluation_progress(self, run_id: str) -> None:
        """Recount an evaluation job's progress row (a heartbeat)."""
        self.touch_run_progress(run_id, items=EVALUATION_ITEMS)

    def end_evaluation_progress(
        self, run_id: str, *, state: ProgressState, stop_reason: str | None = None, message: str | None = None
    ) -> RunProgress | None:
        """Record how the evaluation job on ``run_id`` ended (finished, cancelled or failed)."""
        return self.end_run_progress(
            run_id, state=state, stop_reason=stop_reason, message=message, items=EVALUATION_ITEMS
        )

    def replace_aggregates(self, run_id: str, aggregates: Iterable[Aggregate]) -> int:
        """Make ``aggregates`` the run's whole set of run-level numbers, in one transaction."""
        rows = list(aggregates)
        with self._writing() as transaction:
            return evaluation_sql.replace_aggregates(transaction.cursor, run_id, rows)

    def scoped_metrics(self, metric: str | None = None, scope: str = "subject") -> pd.DataFrame:
        """Per-subject (or per-image-type) numbers of measured leaderboard rows: generation runs with
        their evaluation runs' aggregates merged by the leaderboard's rule. Long form, columns:
        run_id, name, generator_kind, metric, scope, scope_value, value, ci_low, ci_high, n,
        source_run_id (the evaluation run the number comes from)."""
        with self._reading() as cursor:
            return evaluation_sql.scoped_metrics(cursor, metric, scope)

    # quiz audits (blind solvability) and where generated quizzes came from --------------------

    def save_quiz_audits(self, rows: Iterable[QuizAuditRow]) -> int:
        """Store audits keyed by (problem_uid, quiz_index, model) in one transaction; returns how
        many were written."""
        rows = list(rows)
        with self._writing() as transaction:
            written = quiz_audit_sql.upsert_audits(transaction.cursor, rows)
            if not written:
                transaction.unchanged()
        return written

    def quiz_audits(
        self,
        *,
        model: str | Sequence[str] | None = None,
        problem_uids: Iterable[str] | None = None,
        current_only: bool = True,
    ) -> pd.DataFrame:
        """Columns: ``core.store.quiz_audits.AUDIT_COLUMNS`` + ``current``. ``current_only`` drops
        audits of quizzes that changed since (or no longer exist)."""
        with self._reading() as cursor:
            return quiz_audit_sql.select_audits(
                cursor, model=model, problem_uids=problem_uids, current_only=current_only
            )

    def flagged_quizzes(self, *, model: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Quizzes flagged blind-solvable by a current audit (of ``model``, or of any model), one
        row per (quiz, model). Columns as :meth:`quiz_audits`."""
        with self._reading() as cursor:
            return quiz_audit_sql.select_audits(cursor, model=model, flagged_only=True, current_only=True)

    def flagged_quiz_keys(self, *, model: str | Sequence[str] | None = None) -> set[tuple[str, int]]:
        """``{(problem_uid, quiz_index)}`` of quizzes to exclude from accuracy figures."""
        frame = self.flagged_quizzes(model=model)
        return {
            (str(uid), int(index))
            for uid, index in zip(frame["problem_uid"], frame["quiz_index"], strict=True)
        }

    def record_quiz_generations(self, rows: Iterable[QuizGenerationRow]) -> int:
        """Store where problems' model-written quizzes came from (one row per problem)."""
        rows = list(rows)
        with self._writing() as transaction:
            written = quiz_audit_sql.upsert_generations(transaction.cursor, rows)
            if not written:
                transaction.unchanged()
        return written

    def quiz_generations(self) -> pd.DataFrame:
        """Columns: problem_uid, model, prompt, n_quizzes, n_elements, attempts, issues_json,
        cost_usd, generated_at."""
        with self._reading() as cursor:
            return quiz_audit_sql.select_generations(cursor)

    # training-set export (read-only; SQL in core/store/export_queries.py) ----------------------

    def evaluation_sources(self, generation_run_id: str) -> pd.DataFrame:
        """Evaluation runs of a generation run, newest first, with their row counts. Columns: run_id,
        name, spec_name, created_at, items, quiz_answers, judge_scores, metric_values."""
        with self._reading() as cursor:
            return export_sql.evaluation_sources(cursor, generation_run_id)

    def quiz_answer_counts(self) -> dict[str, int]:
        """Generation run_id -> quiz answers stored over all its evaluation runs (none: absent)."""
        with self._reading() as cursor:
            return export_sql.quiz_answer_counts(cursor)

    # figure pages: a generation run's figures with outcomes, one figure's scores ----------------

    def figure_outcomes(
        self,
        run_ids: Sequence[str],
        *,
        subject: FilterValue = None,
        image_type: FilterValue = None,
        source: FilterValue = None,
        search: str | None = None,
        status: str | None = None,
        quiz: str | None = None,
        error_class: str | None = None,
        uids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """One row per (generation run, figure) of ``run_ids``: run_id, problem_uid, source, subject,
        image_type, status, error_class ('unclassified' for a failure without one), error_message,
        image_path, attempts, cost_usd, n_quizzes, quiz_run_id, n_answered, n_correct (from the
        latest evaluation run with quiz answers), judge_run_id, judge_mean (latest with judge
        scores). Filters: problem filters, generation ``status``, ``quiz`` verdict ('passed',
        'failed', 'unanswered'), ``error_class`` (final or met in any attempt), ``uids``."""
        with self._reading() as cursor:
            return figure_sql.figure_outcomes(
                cursor, run_ids, subject=subject, image_type=image_type, source=source, search=search,
                status=status,
                quiz=quiz, error_class=error_class, uids=uids, limit=limit, offset=offset,
            )

    def count_figure_outcomes(
        self,
        run_ids: Sequence[str],
        *,
        subject: FilterValue = None,
        image_type: FilterValue = None,
        source: FilterValue = None,
        search: str | None = None,
        status: str | None = None,
        quiz: str | None = None,
        error_class: str | None = None,
    ) -> int:
        """How many rows ``figure_outcomes`` gives for these filters (no paging)."""
        with self._reading() as cursor:
            return figure_sql.count_figure_outcomes(
                cursor, run_ids, subject=subject, image_type=image_type, source=source, search=search,
                status=status,
                quiz=quiz, error_class=error_class,
            )

    def generation_run_overlaps(self) -> list[tuple[str, str, int]]:
        """(run_a, run_b, shared problems) for every pair of generation runs sharing a problem,
        most shared first (see ``core.store.figure_views.generation_run_overlaps``)."""
        with self._reading() as cursor:
            return figure_sql.generation_run_overlaps(cursor)

    def figure_error_classes(self, run_id: str) -> dict[str, int]:
        """error class -> figures of the generation run that met it (final or in any attempt)."""
        with self._reading() as cursor:
            return figure_sql.figure_error_classes(cursor, run_id)

    def figure(self, run_id: str, problem_uid: str) -> dict[str, object] | None:
        """One figure record of a generation run (the columns of ``generations``), or None."""
        with self._reading() as cursor:
            return figure_sql.figure_record(cursor, run_id, problem_uid)

    def figure_quiz_answers(self, run_id: str, problem_uid: str) -> pd.DataFrame:
        """One figure's quiz answers from every evaluation run of generation run ``run_id``,
        newest evaluation first (see ``core.store.figure_views.figure_quiz_answers``)."""
        with self._reading() as cursor:
            return figure_sql.figure_quiz_answers(cursor, run_id, problem_uid)

    def figure_judge_scores(self, run_id: str, problem_uid: str) -> pd.DataFrame:
        """One figure's judge scores (with rationale) from every evaluation run of ``run_id``."""
        with self._reading() as cursor:
            return figure_sql.figure_judge_scores(cursor, run_id, problem_uid)

    def figure_metric_values(self, run_id: str, problem_uid: str) -> pd.DataFrame:
        """One figure's metric values (figure facts, SSIM, OCR rates ...) from every evaluation run."""
        with self._reading() as cursor:
            return figure_sql.figure_metric_values(cursor, run_id, problem_uid)

    # reviews: people's ratings of figures, and the machine scores they are compared with --------

    def save_review_session(self, session: ReviewSession) -> bool:
        """Store a review session unless its id exists (resuming keeps the first draw); True if new."""
        with self._writing() as transaction:
            created = review_sql.insert_session(transaction.cursor, session)
            if not created:
                transaction.unchanged()
            return created

    def review_session(self, session_id: str) -> ReviewSession | None:
        with self._reading() as cursor:
            return review_sql.select_session(cursor, session_id)

    def save_review_marks(self, marks: Iterable[ReviewMarks]) -> int:
        """Replace each figure's marks by its reviewer (one transaction); returns figures written."""
        with self._writing() as transaction:
            return review_sql.upsert_marks(transaction.cursor, marks)

    def review_ratings(self, run_ids: Sequence[str] | None = None, *, reviewer: str | None = None) -> pd.DataFrame:
        """Reviewers' scores (``core.store.reviews.RATING_COLUMNS``), optionally of some runs / one reviewer."""
        with self._reading() as cursor:
            return review_sql.select_ratings(cursor, run_ids, reviewer)

    def review_verdicts(self, run_ids: Sequence[str] | None = None, *, reviewer: str | None = None) -> pd.DataFrame:
        """Reviewers' quiz verdicts (``core.store.reviews.VERDICT_COLUMNS``)."""
        with self._reading() as cursor:
            return review_sql.select_verdicts(cursor, run_ids, reviewer)

    def judge_scores_of(self, run_ids: Sequence[str]) -> pd.DataFrame:
        """Judge scores of every evaluation run of the generation runs ``run_ids`` (run_id = the
        generation run; see ``core.store.reviews.select_judge_scores``)."""
        with self._reading() as cursor:
            return review_sql.select_judge_scores(cursor, run_ids)

    def quiz_answers_of(self, run_ids: Sequence[str]) -> pd.DataFrame:
        """Quiz answers of every evaluation run of the generation runs ``run_ids``."""
        with self._reading() as cursor:
            return review_sql.select_quiz_answers(cursor, run_ids)

    def pairwise_outcomes(self, metric: str) -> pd.DataFrame:
        """Per-figure values of a pairwise evaluator's ``metric`` with the generation run each
        belongs to (see ``core.store.reviews.select_pairwise``)."""
        with self._reading() as cursor:
            return review_sql.select_pairwise(cursor, metric)

    def save_pairwise_vote(self, vote: PairwiseVote) -> None:
        """Replace a reviewer's pick between two runs' figures of one problem (None: take it back)."""
        with self._writing() as transaction:
            review_sql.upsert_vote(transaction.cursor, vote)

    def pairwise_votes(self, run_ids: Sequence[str] | None = None, *, reviewer: str | None = None) -> pd.DataFrame:
        """People's picks between runs (``core.store.reviews.PAIRWISE_COLUMNS`` plus run names)."""
        with self._reading() as cursor:
            return review_sql.select_votes(cursor, run_ids, reviewer)
