"""Connection handling: bounded waiting for another process's lock, fairness markers, workspace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.store import Aggregate, Store, StoreBusyError, connection
from core.workspace import Workspace

# Holds the database file with a plain DuckDB connection (as any foreign writer would).
HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
open(sys.argv[1] + ".held", "w").close()
time.sleep(float(sys.argv[2]))
connection.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)])
    deadline = time.monotonic() + 60
    while not Path(str(path) + ".held").exists():
        assert holder.poll() is None, "holder process died"
        assert time.monotonic() < deadline, "holder process did not start"
        time.sleep(0.02)
    return holder


@pytest.mark.slow
def test_waits_for_a_foreign_writer_then_answers(tmp_path: Path) -> None:
    store = Store(tmp_path / "scigen.duckdb")
    holder = _hold(store.path, 1.5)
    try:
        started = time.monotonic()
        assert store.count_problems() == 0  # no lock error: it waited
        assert time.monotonic() - started > 0.5
    finally:
        holder.wait(timeout=60)


@pytest.mark.slow
def test_waiting_is_bounded_and_the_error_is_plain(tmp_path: Path) -> None:
    path = tmp_path / "scigen.duckdb"
    Store(path)
    impatient = Store(path, lock_timeout=0.3)
    holder = _hold(path, 3.0)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match=r"scigen\.duckdb stayed locked by another process"):
            impatient.count_problems()
        assert time.monotonic() - started < 2.5
    finally:
        holder.wait(timeout=60)


def test_stale_waiting_announcements_are_ignored(tmp_path: Path) -> None:
    store = Store(tmp_path / "scigen.duckdb")
    waiting = store.path.with_name(store.path.name + ".waiting")
    waiting.mkdir()
    crashed = waiting / "999999"
    crashed.touch()
    old = time.time() - 60
    os.utime(crashed, (old, old))

    started = time.monotonic()
    connection._step_back_for_waiters(store.path)
    assert time.monotonic() - started < 0.05

    crashed.touch()  # fresh: a live process is waiting, so step back, but never for long
    started = time.monotonic()
    connection._step_back_for_waiters(store.path)
    elapsed = time.monotonic() - started
    assert connection._MAX_STEP_BACK_S <= elapsed < connection._MAX_STEP_BACK_S + 0.5


def test_open_uses_the_workspace(workspace: Workspace) -> None:
    store = Store.open()

    assert store.path == workspace.db_path
    assert store.schema_version() >= 1
    assert workspace.images_dir.is_dir()


def test_aggregate_records_are_validated() -> None:
    with pytest.raises(ValueError, match="scope_value must be ''"):
        Aggregate(metric="rinv", value=1.0, scope="overall", scope_value="Physics")
    with pytest.raises(ValueError, match="non-empty otherwise"):
        Aggregate(metric="rinv", value=1.0, scope="subject")
    with pytest.raises(ValueError, match="finite"):
        Aggregate(metric="fid", value=float("nan"))


# A CLI job's process at exit: a store used, a daemon thread still running (as LiteLLM's workers
# and the models loop are).
EXITING_JOB = """
import threading, time
from core.store import Store
store = Store.open()
store.schema_version()
threading.Thread(target=lambda held=store: time.sleep(600), daemon=True).start()
"""


def test_a_process_exits_without_duckdb_leak_reports(workspace: Workspace) -> None:
    """DuckDB's bindings print "nanobind: leaked ..." when its instance outlives the module at
    interpreter exit; every `scigen` run would end with that noise."""
    finished = subprocess.run(
        [sys.executable, "-c", EXITING_JOB], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[3], env={**os.environ, "SCIGEN_HOME": str(workspace.home)},
    )

    assert finished.returncode == 0, finished.stderr
    assert "leaked" not in finished.stderr, finished.stderr[:2000]
