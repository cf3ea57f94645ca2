"""Short-lived access to the DuckDB file, safe with another process using it at the same time.

DuckDB lets one process hold a database file for writing, and then no other process may open
it, not even read-only. So nothing here keeps the file open: every operation attaches it, works,
and detaches it, which releases the file lock. Reads attach it READ_ONLY (shared lock, so many
readers coexist); writes attach it read-write (exclusive lock).

Why ATTACH instead of ``duckdb.connect(path)`` per operation: creating a DuckDB instance costs
about 11 ms of CPU even for ``:memory:``, while attaching a file to one long-lived in-memory
"host" instance per process and detaching it again costs well under 1 ms. The host holds no
file: between operations the database file is closed and unlocked.

When another process holds the lock, attaching retries with jittered exponential backoff until
``timeout`` seconds have passed; only then ``StoreBusyError`` is raised, so a user never sees
DuckDB's lock error. DuckDB's lock does not queue, so a process in a tight loop could keep
winning it; to stay fair, a process that has waited a little announces it with a file in
``<db>.waiting/`` and polls fast, and every process about to attach first steps back briefly
while another process's fresh announcement is there. Within one process, operations on one file are serialised by a thread lock
(one file cannot be attached twice in the same instance, and it keeps writes conflict-free).
"""

from __future__ import annotations

import atexit
import itertools
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

DEFAULT_LOCK_TIMEOUT_S = 30.0
_FIRST_BACKOFF_S = 0.002
_MAX_BACKOFF_S = 0.05
_ANNOUNCE_AFTER_S = 0.01  # wait this long, then ask others to step back
_ANNOUNCED_BACKOFF_S = 0.002  # poll fast while others step back
_ANNOUNCEMENT_FRESH_S = 1.0  # older announcements are from a crashed or stuck waiter: ignored
_STEP_BACK_S = 0.002
_MAX_STEP_BACK_S = 0.25
# Substrings of DuckDB's error when another process holds the file lock.
_LOCK_MARKERS = ("could not set lock", "conflicting lock")


class StoreError(RuntimeError):
    """A store problem the user can act on (message names the file)."""


class StoreBusyError(StoreError):
    """Another process kept the database locked for longer than the retry budget."""


def is_lock_error(exc: BaseException) -> bool:
    """True for DuckDB's "Could not set lock on file" (another process holds the file)."""
    message = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and any(m in message for m in _LOCK_MARKERS)


@dataclass
class _Host:
    """The process's in-memory DuckDB instance that files get attached to."""

    pid: int
    connection: duckdb.DuckDBPyConnection
    guard: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class LockStats:
    """How often this process had to wait for another process's lock (diagnostics and tests)."""

    retries: int = 0
    waited_s: float = 0.0
    longest_wait_s: float = 0.0


_host: _Host | None = None
_host_guard = threading.Lock()
_path_locks: dict[str, threading.Lock] = {}
_path_locks_guard = threading.Lock()
_aliases = itertools.count()
_stats = LockStats()
_stats_guard = threading.Lock()


def lock_stats() -> LockStats:
    """A copy of this process's lock-wait counters."""
    with _stats_guard:
        return LockStats(_stats.retries, _stats.waited_s, _stats.longest_wait_s)


def _host_connection() -> _Host:
    global _host
    with _host_guard:
        # A forked child must not reuse the parent's DuckDB instance.
        if _host is None or _host.pid != os.getpid():
            spill_dir = Path(tempfile.gettempdir()) / f"scigen-duckdb-{os.getpid()}"
            connection = duckdb.connect(":memory:", config={"temp_directory": str(spill_dir)})
            _host = _Host(pid=os.getpid(), connection=connection)
        return _host


def _discard_host(host: _Host) -> None:
    """Close the host instance (releases every file it holds); the next operation makes a new one."""
    global _host
    with _host_guard:
        if _host is host:
            _host = None
    try:
        host.connection.close()
    except duckdb.Error:
        pass


@atexit.register
def _close_host_at_exit() -> None:
    # Left to interpreter teardown, the instance can outlive DuckDB's module (a daemon thread,
    # e.g. the models loop, is still alive then) and its bindings print "nanobind: leaked ...".
    host = _host
    if host is not None and host.pid == os.getpid():
        _discard_host(host)


def _path_lock(path: Path) -> threading.Lock:
    key = str(path)
    with _path_locks_guard:
        return _path_locks.setdefault(key, threading.Lock())


def _waiting_dir(path: Path) -> Path:
    return path.with_name(path.name + ".waiting")


def _announce(path: Path) -> Path | None:
    """Create or refresh this process's waiting announcement; None when it cannot be written."""
    directory = _waiting_dir(path)
    marker = directory / str(os.getpid())
    for _ in range(2):  # another process may remove the empty folder in between
        try:
            directory.mkdir(exist_ok=True)
            marker.touch()
            return marker
        except FileNotFoundError:
            continue
        except OSError:
            return None
    return None


def _withdraw(marker: Path | None) -> None:
    if marker is None:
        return
    try:
        marker.unlink()
        marker.parent.rmdir()
    except OSError:
        pass  # already gone, or another process is still announcing


def _step_back_for_waiters(path: Path) -> None:
    """Leave the file alone briefly while another process has announced that it waits for it."""
    directory = _waiting_dir(path)
    own = str(os.getpid())
    give_up = time.monotonic() + _MAX_STEP_BACK_S
    while time.monotonic() < give_up:
        try:
            with os.scandir(directory) as entries:
                now = time.time()
                someone_waits = any(
                    entry.name != own and now - entry.stat().st_mtime < _ANNOUNCEMENT_FRESH_S
                    for entry in entries
                )
        except OSError:  # no folder (the common case) or an entry vanished meanwhile
            return
        if not someone_waits:
            return
        time.sleep(_STEP_BACK_S)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _attach(path: Path, *, read_only: bool, deadline: float) -> tuple[_Host, duckdb.DuckDBPyConnection, str]:
    """Attach ``path`` on a fresh cursor of the host and make it the default catalog."""
    _step_back_for_waiters(path)
    delay = _FIRST_BACKOFF_S
    started = time.monotonic()
    options = " (READ_ONLY)" if read_only else ""
    marker: Path | None = None
    failures = 0
    try:
        while True:
            host = _host_connection()
            with host.guard:
                cursor = host.connection.cursor()
            alias = f"scigen_store_{next(_aliases)}"
            try:
                cursor.execute(f"ATTACH {_sql_string(str(path))} AS {alias}{options}")
            except duckdb.Error as exc:
                cursor.close()
                if not is_lock_error(exc):
                    raise StoreError(f"cannot open the store {path}: {exc}") from exc
                now = time.monotonic()
                if now >= deadline:
                    raise StoreBusyError(
                        f"the store {path} stayed locked by another process for {now - started:.1f} s; "
                        "a long write may still be running, try again when it has finished"
                    ) from exc
                failures += 1
                with _stats_guard:
                    _stats.retries += 1
                if now - started >= _ANNOUNCE_AFTER_S:
                    marker = _announce(path)
                    if marker is not None:
                        delay = _ANNOUNCED_BACKOFF_S
                time.sleep(min(random.uniform(delay / 2, delay), max(deadline - now, 0.0)))
                delay = min(delay * 2, _MAX_BACKOFF_S) if marker is None else _ANNOUNCED_BACKOFF_S
                continue
            if failures:
                waited = time.monotonic() - started
                with _stats_guard:
                    _stats.waited_s += waited
                    _stats.longest_wait_s = max(_stats.longest_wait_s, waited)
            cursor.execute(f"USE {alias}")
            return host, cursor, alias
    finally:
        _withdraw(marker)


def _detach(host: _Host, cursor: duckdb.DuckDBPyConnection, alias: str) -> None:
    try:
        cursor.execute("USE memory")
        cursor.execute(f"DETACH {alias}")
        cursor.close()
    except duckdb.Error:
        # Never leave the file locked: dropping the whole host instance releases it for sure.
        _discard_host(host)


@contextmanager
def attached(
    path: Path, *, read_only: bool, timeout: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor whose default catalog is the database at ``path``, closed (unlocked) on exit.

    The caller manages transactions; an open transaction is rolled back before detaching.
    """
    deadline = time.monotonic() + timeout
    path_lock = _path_lock(path)
    if not path_lock.acquire(timeout=timeout):
        raise StoreBusyError(f"the store {path} stayed busy in this process for {timeout:.0f} s")
    try:
        host, cursor, alias = _attach(path, read_only=read_only, deadline=deadline)
        try:
            yield cursor
        finally:
            try:
                cursor.execute("ROLLBACK")
            except duckdb.Error:
                pass  # no transaction open: the normal case
            _detach(host, cursor, alias)
    finally:
        path_lock.release()
