"""The background writer shared by generation and evaluation jobs (core/jobs/writer.py)."""

from __future__ import annotations

import threading
import time

import pytest

from core.jobs.writer import BackgroundWriter


class ListWriter(BackgroundWriter[list]):
    """Stores ints into ``stored``; fails on the value ``fail_on``."""

    def __init__(self, *, fail_on: int | None = None, **options) -> None:
        self.stored: list[list[int]] = []
        self.heartbeats = 0
        self.fail_on = fail_on
        self.lock = threading.Lock()
        super().__init__(describe="test numbers", **options)

    def put(self, value: int) -> None:
        self._add(lambda pending: pending.append(value))

    def _empty(self) -> list:
        return []

    def _units(self, batch: list) -> int:
        return len(batch)

    def _flush(self, batch: list) -> int:
        if self.fail_on in batch:
            raise OSError(f"disk full at {self.fail_on}")
        with self.lock:
            self.stored.append(list(batch))
        return len(batch)

    def _heartbeat(self) -> None:
        self.heartbeats += 1


def test_everything_queued_is_stored_once_in_batches() -> None:
    writer = ListWriter(flush_interval_s=60, max_batch=10)  # only full batches and close flush
    for value in range(25):
        writer.put(value)
    writer.close()
    assert sorted(v for batch in writer.stored for v in batch) == list(range(25))
    assert writer.written == 25 and writer.flushes == len(writer.stored)


def test_a_full_batch_is_stored_without_waiting_for_the_interval() -> None:
    writer = ListWriter(flush_interval_s=60, max_batch=10)
    for value in range(10):
        writer.put(value)
    deadline = time.monotonic() + 5
    while not writer.stored and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.stored == [list(range(10))]  # long before the 60 s interval
    writer.close()


def test_a_quiet_writer_sends_heartbeats() -> None:
    writer = ListWriter(flush_interval_s=0.02, heartbeat_s=0.05)
    time.sleep(0.3)
    writer.close()
    assert writer.heartbeats >= 2 and writer.stored == []


def test_a_write_error_reaches_the_job_at_put_or_close() -> None:
    writer = ListWriter(fail_on=3, flush_interval_s=0.01)
    writer.put(3)
    deadline = time.monotonic() + 5
    while writer.error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(OSError, match="disk full at 3"):
        writer.put(4)
    with pytest.raises(OSError, match="disk full at 3"):
        writer.close()
