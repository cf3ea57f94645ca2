"""A second process for the two-process store tests (run as a script, not collected by pytest).

    python store_worker.py DB_PATH write|read SECONDS REPORT_JSON

It imports everything, writes ``REPORT_JSON + ".ready"``, then for SECONDS either writes one
new problem per transaction or keeps querying. Every exception is recorded, not raised, and
the report says what it did: writes (uids), reads, errors, lock retries.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # project root: `core` importable

from core.problems.models import Problem, Quiz  # noqa: E402
from core.store import Store, lock_stats  # noqa: E402


def _problem(index: int) -> Problem:
    return Problem(
        id=f"worker-{os.getpid()}-{index}",
        source="custom",
        question=f"Written by the worker process, number {index}.",
        subject="Physics",
        image_type="Physics - Circuit",
        elements=["a resistor"],
        quizzes=[Quiz(question="Which?", options={"A": "R", "B": "C"}, correct_option="A")],
    )


def main(db_path: str, mode: str, seconds: float, report_path: str) -> None:
    store = Store(db_path)
    Path(report_path + ".ready").write_text("ready")
    report: dict[str, object] = {"mode": mode, "errors": []}
    errors: list[str] = report["errors"]  # type: ignore[assignment]
    deadline = time.monotonic() + seconds
    if mode == "write":
        written: list[str] = []
        index = 0
        while time.monotonic() < deadline:
            problem = _problem(index)
            try:
                counts = store.upsert_problems([problem])
                if counts.inserted == 1:
                    written.append(problem.uid)
                else:
                    errors.append(f"write {index}: unexpected counts {counts}")
            except Exception as exc:  # record everything: the test asserts there is nothing
                errors.append(f"write {index}: {type(exc).__name__}: {exc}")
            index += 1
        report["written"] = written
    else:
        reads = 0
        counts_seen: list[int] = []
        while time.monotonic() < deadline:
            try:
                counts_seen.append(store.count_problems())
                store.list_problems(subject="Physics", limit=20)
                reads += 1
            except Exception as exc:
                errors.append(f"read {reads}: {type(exc).__name__}: {exc}")
        report["reads"] = reads
        report["counts_seen"] = counts_seen
    stats = lock_stats()
    report["lock_retries"] = stats.retries
    report["longest_wait_s"] = stats.longest_wait_s
    Path(report_path).write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4])
