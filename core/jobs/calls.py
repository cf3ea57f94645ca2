"""Which problem each model call of a job served, so the job can store every call with it.

A job works on many problems at once in one event loop; each problem's task sets ``current_problem``
while it runs, and the model client's ledger callback (``CallTracker.record``) files the call under
whatever problem is current in the calling task's context.
"""

from __future__ import annotations

import contextvars

from core.models import BudgetGuard, ModelClient, ProfileConfig, ResponseCache
from core.models.ledger import LedgerEntry
from core.workspace import Workspace

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

    def take(self, problem_uid: str | None) -> list[LedgerEntry]:
        return self.by_problem.pop(problem_uid, [])


def job_client(
    client: ModelClient | None, *, needed: bool, budget: BudgetGuard | None, calls: CallTracker,
    workspace: Workspace, profiles: ProfileConfig | None, use_cache: bool,
) -> ModelClient | None:
    """The model client a job calls through: the caller's, charged to the job's budget and
    tracker without being changed (:meth:`ModelClient.for_job`), else a new one over the
    workspace's response cache when the component calls a model, else None."""
    if client is not None:
        return client.for_job(budget=budget, on_ledger=calls.record)
    if not needed:
        return None
    return ModelClient(
        cache=ResponseCache(workspace.cache_dir / "models"), use_cache=use_cache, budget=budget,
        on_ledger=calls.record, config=profiles, home=str(workspace.home),
    )
