"""The DuckDB store: schema and numbered migrations, every SQL statement, named queries.

Usage::

    from core.store import Store
    store = Store.open()                      # workspace from $SCIGEN_HOME, migrations applied
    store.upsert_problems(problems)
    store.list_problems(subject="Physics")

No connection is kept open between calls, so several processes can share one store.

One convention:

* ``Store`` (``core/store/store.py``) is the one door: callers outside ``core/store`` use its
  public methods only, never ``_reading``/``_writing`` or the table modules' SQL functions.
* A table module (``problems.py``, ``generations.py``, ``quiz_audits.py`` ...) holds the SQL of
  its tables as functions taking a DuckDB connection/cursor, plus its row records; it never opens
  the file. A ``Store`` method attaches the file (read-only, or one write transaction) and calls
  them.
* A new table: a numbered migration in ``migrations/``, a table module with its SQL functions,
  and ``Store`` methods for what callers need.
"""

from core.store.connection import StoreBusyError, StoreError, lock_stats
from core.store.datasets import EngineDataset, EngineDatasetError
from core.store.generations import AttemptRow, GenerationRow, ModelCallRow, RunProgress
from core.store.quiz_audits import QuizAuditRow, QuizGenerationRow
from core.store.records import Aggregate, Run, UpsertCounts
from core.store.reported import (
    DEFAULT_REPORTED_FILE,
    DownstreamResult,
    Provenance,
    ReportedResults,
    ReportedResultsError,
    ReportedRun,
    load_reported_results,
    reported_files,
)
from core.store.schema import LATEST_VERSION
from core.store.store import Store

__all__ = [
    "DEFAULT_REPORTED_FILE",
    "LATEST_VERSION",
    "Aggregate",
    "AttemptRow",
    "DownstreamResult",
    "EngineDataset",
    "EngineDatasetError",
    "GenerationRow",
    "ModelCallRow",
    "Provenance",
    "QuizAuditRow",
    "QuizGenerationRow",
    "ReportedResults",
    "ReportedResultsError",
    "ReportedRun",
    "Run",
    "RunProgress",
    "Store",
    "StoreBusyError",
    "StoreError",
    "UpsertCounts",
    "load_reported_results",
    "lock_stats",
    "reported_files",
]
