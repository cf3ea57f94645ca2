"""What the long-running verbs (generate, evaluate) share: a progress bar on a terminal, and
SIGTERM stopping a job the way Ctrl-C does (flush what is done, record the run as cancelled)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol


class _Done(Protocol):
    ok: int
    failed: int
    cost_usd: float


class JobBar:
    """A tqdm bar on stderr per job, only on a terminal (and never when ``enabled`` is False)."""

    def __init__(self, enabled: bool, name: str = "", *, resumed: str = "figures already done") -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.name = name
        self.resumed = resumed
        self.bar: Any = None

    def start(self, to_do: int, skipped: int) -> None:
        self.close()
        if not self.enabled or to_do == 0:
            return
        from tqdm import tqdm

        self.bar = tqdm(total=to_do, file=sys.stderr, desc=self.name, unit="fig", dynamic_ncols=True)
        if skipped:
            self.bar.write(f"resuming {self.name}: {skipped} {self.resumed}", file=sys.stderr)

    def update(self, done: _Done) -> None:
        if self.bar is not None:
            self.bar.set_postfix(ok=done.ok, failed=done.failed, cost=f"${done.cost_usd:.4f}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@asynccontextmanager
async def sigterm_cancels_job() -> AsyncIterator[None]:
    """Within the block, SIGTERM cancels the current task (as Ctrl-C would) where the loop allows."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed = False
    if task is not None:
        try:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGTERM)
