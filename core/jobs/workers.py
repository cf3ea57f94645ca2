"""The workers of one job, shared by generation and evaluation: each takes the next unit of work
until none is left or the budget stops the job.

A subclass says what working on one unit means (:meth:`JobWorkers._work_on`); when the budget
refuses a call it calls :meth:`JobWorkers.stop_on_budget`, and the workers take nothing new (the
units already running finish and are stored; the rest run on resume).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

from core.jobs.writer import BackgroundWriter

UnitT = TypeVar("UnitT")


class JobWorkers(Generic[UnitT]):
    def __init__(self, units: Sequence[UnitT], max_cost_usd: float | None) -> None:
        self.units = list(units)
        self.max_cost_usd = max_cost_usd
        self.queue = list(reversed(self.units))
        self.counts: Counter[str] = Counter()
        self.stop_reason: str | None = None
        self.stop_message = ""

    async def run(self, concurrency: int) -> None:
        workers = [asyncio.ensure_future(self._worker()) for _ in range(min(concurrency, len(self.units)))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            # A failed worker (e.g. the store cannot be written) or a cancelled job: stop the
            # others before the render pool and the writer go away.
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    async def _worker(self) -> None:
        while self.queue and self.stop_reason is None:
            await self._work_on(self.queue.pop())

    async def _work_on(self, unit: UnitT) -> None:
        raise NotImplementedError

    def stop_on_budget(self) -> None:
        """Take no new unit: the budget refused a call (the first reason given is kept)."""
        if self.stop_reason is None:
            self.stop_reason = "budget"
            self.stop_message = (
                f"stopped on budget: the next call could pass --max-cost ${self.max_cost_usd:.4f}"
                if self.max_cost_usd is not None
                else "stopped on budget"
            )


def close_quietly(writer: BackgroundWriter) -> None:
    """Close a writer while the job is already ending with another error (that one is raised)."""
    try:
        writer.close()
    except BaseException:  # noqa: BLE001 - the job is ending with another error already
        pass


@contextmanager
def recording_how_it_ends(writer: BackgroundWriter, end: Callable[[str, str, str], None]) -> Iterator[None]:
    """Run a job's block with its writer: closed (flushed) when the block finishes; on an
    interruption or a failure closed quietly and ``end(state, reason, message)`` records how the
    job ended before the exception goes on."""
    try:
        yield
        writer.close()
    except (asyncio.CancelledError, KeyboardInterrupt):
        close_quietly(writer)
        end("cancelled", "interrupted", "interrupted; rerun the same command to resume")
        raise
    except BaseException as exc:
        close_quietly(writer)
        end("failed", "error", f"{type(exc).__name__}: {exc}")
        raise
