"""The background writer both kinds of job store their work through.

Finished units (figures of a generation run, items of an evaluation run) are queued from the job's
event loop; a thread stores them every ``flush_interval_s`` seconds or every ``max_batch`` units,
each flush one short transaction, so DuckDB's single writer never limits how fast work is done and
a dashboard in another process sees progress. While nothing finishes, a heartbeat keeps the run's
progress row fresh (the Jobs page tells a live job from a dead one by it). A write error stops the
thread and is raised in the job at its next ``put`` or at ``close``.

Subclasses say what a batch is (:meth:`_empty`, :meth:`_units`), how it is stored (:meth:`_flush`)
and what the heartbeat touches (:meth:`_heartbeat`); they queue with :meth:`_add`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sized
from typing import Generic, TypeVar

log = logging.getLogger("scigen.jobs")

DEFAULT_FLUSH_INTERVAL_S = 0.5
DEFAULT_MAX_BATCH = 64
DEFAULT_HEARTBEAT_S = 5.0

BatchT = TypeVar("BatchT", bound=Sized)
"""What one flush stores; ``len(batch)`` is 0 when there is nothing to store."""


class BackgroundWriter(Generic[BatchT]):
    """A writer thread over batches of ``BatchT``; thread-safe queueing, ``close`` flushes the rest."""

    def __init__(
        self,
        *,
        describe: str,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        max_batch: int = DEFAULT_MAX_BATCH,
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
    ) -> None:
        """``describe``: what is stored, for the log ("results of run X"). Subclasses set their own
        fields before calling this: it starts the thread."""
        self.describe = describe
        self.flush_interval_s = flush_interval_s
        self.max_batch = max(1, max_batch)
        self.heartbeat_s = heartbeat_s
        self.flushes = 0
        self.written = 0
        self.flush_seconds = 0.0
        self.error: BaseException | None = None
        self._pending = self._empty()
        self._condition = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name=f"scigen-writer: {describe}", daemon=True)
        self._thread.start()

    # ---- what subclasses define
    def _empty(self) -> BatchT:
        raise NotImplementedError

    def _units(self, batch: BatchT) -> int:
        """Finished units in ``batch`` (a flush starts early once there are ``max_batch``)."""
        raise NotImplementedError

    def _flush(self, batch: BatchT) -> int:
        """Store ``batch`` in one transaction; the number of units stored."""
        raise NotImplementedError

    def _heartbeat(self) -> None:
        raise NotImplementedError

    # ---- queueing and the thread
    def _add(self, update: Callable[[BatchT], None]) -> None:
        """Apply ``update`` to the pending batch under the lock (after raising a past write error)."""
        self._raise_if_failed()
        with self._condition:
            update(self._pending)
            if self._units(self._pending) >= self.max_batch:
                self._condition.notify()

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def _loop(self) -> None:
        last_write = time.monotonic()
        while True:
            with self._condition:
                if not self._closing and self._units(self._pending) < self.max_batch:
                    self._condition.wait(self.flush_interval_s)
                closing = self._closing
                batch, self._pending = self._pending, self._empty()
            try:
                if len(batch):
                    started = time.monotonic()
                    self.written += self._flush(batch)
                    self.flushes += 1
                    self.flush_seconds += time.monotonic() - started
                    last_write = time.monotonic()
                elif time.monotonic() - last_write >= self.heartbeat_s and not closing:
                    self._heartbeat()
                    last_write = time.monotonic()
            except BaseException as exc:  # noqa: BLE001 - reported to the job through put/close
                log.error("storing %s failed: %s", self.describe, exc)
                self.error = exc
                return
            if closing:
                with self._condition:
                    if not len(self._pending):
                        return

    def close(self) -> None:
        """Store everything queued, stop the thread; raises the write error if one happened."""
        with self._condition:
            self._closing = True
            self._condition.notify()
        self._thread.join()
        self._raise_if_failed()
