"""Per-profile concurrency and requests-per-minute limits, shared by every client in a process.

Concurrency is an ``asyncio.Semaphore`` per event loop (asyncio primitives belong to one loop);
the rate limiter is loop-independent: it hands out start times spaced ``60 / rpm`` seconds apart
under a thread lock, so no window of any length sees more than its share, whichever loops or
threads the calls come from.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["ProfileLimits", "RateLimiter", "limits_for"]


class RateLimiter:
    """Spaces call starts ``60 / requests_per_minute`` seconds apart."""

    def __init__(self, requests_per_minute: float) -> None:
        if requests_per_minute <= 0:
            raise ValueError(f"requests_per_minute must be > 0, got {requests_per_minute}")
        self.interval_s = 60.0 / requests_per_minute
        self._next_start = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Claim the next start slot; returns seconds to wait before starting."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval_s
            return start - now

    async def acquire(self) -> float:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
        return delay


class ProfileLimits:
    """The concurrency pool and rate limiter of one profile."""

    def __init__(self, concurrency: int, requests_per_minute: float | None) -> None:
        self.concurrency = max(1, int(concurrency))
        self.rate = RateLimiter(requests_per_minute) if requests_per_minute else None
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = asyncio.Semaphore(self.concurrency)
                self._semaphores[loop] = semaphore
            return semaphore

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold one concurrency slot and a rate-limit start; yields the seconds spent waiting."""
        started = time.monotonic()
        semaphore = self._semaphore()
        async with semaphore:
            if self.rate is not None:
                await self.rate.acquire()
            yield time.monotonic() - started


_registry: dict[tuple[Any, ...], ProfileLimits] = {}
_registry_lock = threading.Lock()


def limits_for(key: tuple[Any, ...], concurrency: int, requests_per_minute: float | None) -> ProfileLimits:
    """The process-wide limits for a profile's ``limit_key()``."""
    with _registry_lock:
        limits = _registry.get(key)
        if limits is None:
            limits = ProfileLimits(concurrency, requests_per_minute)
            _registry[key] = limits
        return limits
