"""The DuckDB store: schema and numbered migrations, every SQL statement, named queries.

Usage::

    from core.store import Store
    store = Store.open()                      # workspace from $SCIGEN_HOME, migrations applied
    store.upsert_problems(problems)
    store.list_problems(subject="Physics")

No connection is kept open between calls, so several processes can share one store.
"""

from core.store.connection import StoreBusyError, StoreError, lock_stats
from core.store.generations import AttemptRow, GenerationRow, ModelCallRow, RunProgress
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
    "GenerationRow",
    "ModelCallRow",
    "Provenance",
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
