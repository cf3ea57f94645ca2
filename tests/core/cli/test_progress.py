"""core/cli/progress.py: the job bar stays silent off a terminal; SIGTERM cancels like Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
from types import SimpleNamespace

import pytest

from core.cli.progress import JobBar, sigterm_cancels_job


def test_the_bar_draws_nothing_off_a_terminal(capsys) -> None:
    bar = JobBar(True, "run")  # pytest's stderr is not a terminal
    bar.start(10, 3)
    bar.update(SimpleNamespace(ok=1, failed=0, cost_usd=0.0))
    bar.close()
    assert bar.bar is None and capsys.readouterr().err == ""


def test_sigterm_cancels_the_job_and_the_handler_is_removed_after() -> None:
    async def job() -> None:
        async with sigterm_cancels_job():
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(10)

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(job())
    assert signal.getsignal(signal.SIGTERM) == before  # the process's own handling is back
