"""A dashboard (reader) and a CLI job (writer) in two real processes share one store.

DuckDB allows one writing process and then no reader at all, so these tests make the two
processes collide for a few seconds in both directions and assert that no lock error ever
surfaces, every write lands, and the reader keeps answering.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.store import Store, lock_stats

WORKER = Path(__file__).with_name("store_worker.py")
SECONDS = 3.0

pytestmark = pytest.mark.slow


def _start_worker(db: Path, mode: str, report: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(db), mode, str(SECONDS), str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = Path(str(report) + ".ready")
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None:
            pytest.fail(f"worker exited early ({process.returncode}): {process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("worker did not start within 60 s")
        time.sleep(0.02)
    return process


def _finish(process: subprocess.Popen[str], report: Path) -> dict:
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return json.loads(report.read_text())


def test_writer_process_while_this_process_reads(tmp_path: Path, make_problem) -> None:
    store = Store(tmp_path / "scigen.duckdb")
    store.upsert_problems([make_problem(f"seed-{i}") for i in range(50)])
    retries_before = lock_stats().retries
    version_before = store.data_version()
    report_path = tmp_path / "writer.json"

    writer = _start_worker(store.path, "write", report_path)
    reads, counts_seen, errors = 0, [], []
    while writer.poll() is None:
        try:
            counts_seen.append(store.count_problems())
            store.list_problems(subject="Physics", limit=20)
            reads += 1
        except Exception as exc:  # collected so the assertion can show them all
            errors.append(f"{type(exc).__name__}: {exc}")
    report = _finish(writer, report_path)

    assert errors == []
    assert report["errors"] == []
    written = report["written"]
    assert len(written) > 10, "the writer should have committed many transactions in 3 s"
    assert reads > 10, "the reader should have kept answering"
    assert counts_seen == sorted(counts_seen), "a reader never sees committed rows disappear"
    assert store.count_problems() == 50 + len(written)
    assert set(written) <= set(store.list_problems(source="custom")["uid"])
    assert store.data_version() != version_before  # another process's writes show in the cache key
    contention = (lock_stats().retries - retries_before) + report["lock_retries"]
    assert contention > 0, "the two processes never collided, so the test proved nothing"


def test_this_process_writes_while_reader_process_reads(tmp_path: Path, make_problem) -> None:
    store = Store(tmp_path / "scigen.duckdb")
    retries_before = lock_stats().retries
    report_path = tmp_path / "reader.json"

    reader = _start_worker(store.path, "read", report_path)
    written, errors = [], []
    index = 0
    while reader.poll() is None:
        problem = make_problem(f"main-{index}", source="custom")
        try:
            store.upsert_problems([problem])
            written.append(problem.uid)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        index += 1
    report = _finish(reader, report_path)

    assert errors == []
    assert report["errors"] == []
    assert report["reads"] > 10
    assert report["counts_seen"] == sorted(report["counts_seen"])
    assert len(written) > 10
    assert store.list_problems()["uid"].tolist() == sorted(written, key=lambda uid: int(uid.rsplit("-", 1)[1]))
    contention = (lock_stats().retries - retries_before) + report["lock_retries"]
    assert contention > 0, "the two processes never collided, so the test proved nothing"


def test_threads_of_one_process_share_a_store(tmp_path: Path, make_problem) -> None:
    """Streamlit serves sessions on threads: readers and a writer thread in one process."""
    store = Store(tmp_path / "scigen.duckdb")
    errors: list[str] = []
    stop = threading.Event()

    def read_loop() -> None:
        while not stop.is_set():
            try:
                store.list_problems(limit=5)
                store.leaderboard()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    readers = [threading.Thread(target=read_loop) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for index in range(30):
            store.upsert_problems([make_problem(f"t-{index}")])
    finally:
        stop.set()
        for thread in readers:
            thread.join()

    assert errors == []
    assert store.count_problems() == 30
