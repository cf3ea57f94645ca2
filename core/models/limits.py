"""Per-profile concurrency, requests-per-minute and tokens-per-minute limits, shared by every client
in a process, or by a whole cluster when a provider is installed.

Concurrency is an ``asyncio.Semaphore`` per event loop (asyncio primitives belong to one loop);
the rate limiters are loop-independent: they hand out start times spaced ``60 / per_minute``
seconds apart (a call of ``n`` tokens takes ``n`` units of the tokens-per-minute spacing) under a
thread lock, so no window of any length sees more than its share, whichever loops or threads the
calls come from. A 429 pushes the next start out for every later call (:meth:`ProfileLimits.backoff`).

Many processes (the engine's workers on a Ray cluster) share one quota by installing a provider
with :func:`set_limits_provider`: ``limits_for`` then returns its objects, which keep the same
``slot`` / ``backoff`` interface but ask one cluster-wide limiter.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

__all__ = ["LimitsLike", "ProfileLimits", "RateLimiter", "limits_for", "set_limits_provider"]


class RateLimiter:
    """Spaces call starts so that at most ``per_minute`` units start in any minute."""

    def __init__(self, per_minute: float) -> None:
        if per_minute <= 0:
            raise ValueError(f"a per-minute limit must be > 0, got {per_minute}")
        self.interval_s = 60.0 / per_minute
        self._next_start = 0.0
        self._lock = threading.Lock()

    def reserve(self, units: float = 1.0) -> float:
        """Claim the next start slot for ``units`` (1 request, or a call's tokens); returns seconds
        to wait before starting."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval_s * max(0.0, units)
            return start - now

    async def acquire(self, units: float = 1.0) -> float:
        delay = self.reserve(units)
        if delay > 0:
            await asyncio.sleep(delay)
        return delay


class LimitsLike(Protocol):
    """What the model client needs from a profile's limits (this module's or a cluster's)."""

    def slot(self, tokens: int = 0) -> AbstractAsyncContextManager[float]: ...

    def backoff(self, seconds: float) -> None: ...


class ProfileLimits:
    """The concurrency pool and rate limiters of one profile in this process."""

    def __init__(
        self, concurrency: int, requests_per_minute: float | None, tokens_per_minute: float | None = None
    ) -> None:
        self.concurrency = max(1, int(concurrency))
        self.rate = RateLimiter(requests_per_minute) if requests_per_minute else None
        self.tokens = RateLimiter(tokens_per_minute) if tokens_per_minute else None
        self._resume_at = 0.0  # monotonic time before which no call starts (after a 429)
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
    async def slot(self, tokens: int = 0) -> AsyncIterator[float]:
        """Hold one concurrency slot, a request start and ``tokens`` of the token rate; yields the
        seconds spent waiting."""
        started = time.monotonic()
        semaphore = self._semaphore()
        async with semaphore:
            while (pause := self._resume_at - time.monotonic()) > 0:
                await asyncio.sleep(pause)
            if self.rate is not None:
                await self.rate.acquire()
            if self.tokens is not None and tokens > 0:
                await self.tokens.acquire(tokens)
            yield time.monotonic() - started

    def backoff(self, seconds: float) -> None:
        """Every later call of this profile in this process waits ``seconds`` first."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + max(0.0, seconds))


LimitsProvider = Callable[[tuple[Any, ...], int, float | None, float | None], LimitsLike]

_registry: dict[tuple[Any, ...], ProfileLimits] = {}
_registry_lock = threading.Lock()
_provider: LimitsProvider | None = None


def set_limits_provider(provider: LimitsProvider | None) -> None:
    """Route every profile's limits through ``provider(key, concurrency, rpm, tpm)`` (a cluster-wide
    limiter); ``None`` goes back to this process's own limits."""
    global _provider
    _provider = provider


def limits_for(
    key: tuple[Any, ...],
    concurrency: int,
    requests_per_minute: float | None,
    tokens_per_minute: float | None = None,
) -> LimitsLike:
    """The limits for a profile's ``limit_key()``: the installed provider's, else process-wide ones."""
    if _provider is not None:
        return _provider(key, concurrency, requests_per_minute, tokens_per_minute)
    with _registry_lock:
        limits = _registry.get(key)
        if limits is None:
            limits = ProfileLimits(concurrency, requests_per_minute, tokens_per_minute)
            _registry[key] = limits
        return limits
