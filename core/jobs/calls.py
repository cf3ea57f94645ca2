"""Which problem each model call of a job served, so the job can store every call with it.

A job works on many problems at once in one event loop; each problem's task sets ``current_problem``
while it runs, and the model client's ledger callback (``CallTracker.record``) files the call under
whatever problem is current in the calling task's context.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from core.models.ledger import LedgerEntry

current_problem: contextvars.ContextVar[str | None] = contextvars.ContextVar("scigen_job_problem", default=None)


class CallTracker:
    """Every model call of the job, and which problem each served (by the task's context)."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self.by_problem: dict[str | None, list[LedgerEntry]] = {}
        self.cost_usd = 0.0

    def record(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        self.cost_usd += entry.cost_usd or 0.0
        self.by_problem.setdefault(current_problem.get(), []).append(entry)

    def chained(self, previous: Callable[[LedgerEntry], None] | None) -> Callable[[LedgerEntry], None]:
        def both(entry: LedgerEntry) -> None:
            self.record(entry)
            if previous is not None:
                previous(entry)

        return both

    def take(self, problem_uid: str | None) -> list[LedgerEntry]:
        return self.by_problem.pop(problem_uid, [])
