"""Cluster-wide model limits: one named Ray actor holds every profile's quota and the budget.

N workers must not multiply a provider's quota, so a worker's model client does not keep its own
concurrency pool, request spacing or budget: :func:`install_cluster_limits` routes
:mod:`core.models.limits` and the client's :class:`~core.models.BudgetGuard` to the
:class:`ClusterLimiter` actor. The actor hands out

* concurrency leases per profile (a lease held by a worker that died expires after
  ``lease_s``, so a killed node cannot starve the others),
* start times spaced ``60 / requests_per_minute`` s apart and, per call, ``tokens * 60 /
  tokens_per_minute`` s (the same arithmetic as :class:`~core.models.limits.RateLimiter`),
* a pause for everyone after a 429 (:meth:`ClusterLimiter.backoff`),
* budget reservations against ``max_cost`` (worst case reserved before a call, settled after),
  so concurrent calls on different machines cannot overshoot together.

Every call costs one round trip to the actor before it starts (releases and settlements are
fire-and-forget); against model latencies of 100 ms and more that is noise.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ray

from core.models import BudgetGuard
from core.models.budget import BudgetReservation
from core.models.errors import ModelCallError
from core.models.failures import FailureClass
from core.models.limits import set_limits_provider

__all__ = ["ClusterBudget", "ClusterLimiter", "ClusterLimits", "install_cluster_limits", "limiter_actor"]

NAMESPACE = "scigen"
DEFAULT_LEASE_S = 600.0


class _Pool:
    """One profile's state inside the actor."""

    def __init__(self, concurrency: int, rpm: float | None, tpm: float | None) -> None:
        self.concurrency = max(1, int(concurrency))
        self.request_interval = 60.0 / rpm if rpm else 0.0
        self.token_interval = 60.0 / tpm if tpm else 0.0
        self.next_request = 0.0
        self.next_token = 0.0
        self.resume_at = 0.0
        self.leases: dict[str, float] = {}  # lease id -> expiry (monotonic)
        self.changed = asyncio.Condition()


@ray.remote(num_cpus=0, max_concurrency=10_000)
class ClusterLimiter:
    """The one place a cluster's model quota and budget live (an async actor)."""

    def __init__(self, max_cost_usd: float | None = None, spent_usd: float = 0.0) -> None:
        self._pools: dict[tuple[Any, ...], _Pool] = {}
        self.max_cost_usd = max_cost_usd
        self.spent_usd = float(spent_usd)
        self.reserved_usd = 0.0
        self.refused_calls = 0
        self.backoffs = 0

    def _pool(self, key: tuple[Any, ...], concurrency: int, rpm: float | None, tpm: float | None) -> _Pool:
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(concurrency, rpm, tpm)
        return pool

    async def acquire(
        self, key: tuple[Any, ...], concurrency: int, rpm: float | None, tpm: float | None, tokens: int,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> str:
        """Wait for a concurrency lease and the call's start time; returns the lease id. The wait
        happens here, not in the caller: replies reach callers with different delays, and a caller
        sleeping a delay computed here would start early by as much."""
        pool = self._pool(key, concurrency, rpm, tpm)
        async with pool.changed:
            while True:
                now = time.monotonic()
                for lease, expiry in list(pool.leases.items()):
                    if expiry < now:  # its holder died with it
                        del pool.leases[lease]
                if len(pool.leases) < pool.concurrency:
                    break
                await _wait(pool.changed, 1.0)
            lease = uuid.uuid4().hex
            pool.leases[lease] = now + lease_s
            start = max(now, pool.resume_at, pool.next_request, pool.next_token)
            if pool.request_interval:
                pool.next_request = start + pool.request_interval
            if pool.token_interval and tokens > 0:
                pool.next_token = start + pool.token_interval * tokens
        if start > now:
            await asyncio.sleep(start - now)
        return lease

    async def release(self, key: tuple[Any, ...], lease: str) -> None:
        pool = self._pools.get(key)
        if pool is None:
            return
        async with pool.changed:
            pool.leases.pop(lease, None)
            pool.changed.notify()

    def backoff(self, key: tuple[Any, ...], seconds: float) -> None:
        """No call of the profile starts anywhere before ``seconds`` from now (a 429 was seen)."""
        pool = self._pools.get(key)
        if pool is not None:
            pool.resume_at = max(pool.resume_at, time.monotonic() + max(0.0, seconds))
            self.backoffs += 1

    def reserve(self, estimate_usd: float | None, description: str) -> str | None:
        """Set money aside for a call; returns None, or why the call is refused."""
        if self.max_cost_usd is None:
            return None
        committed = self.spent_usd + self.reserved_usd
        if estimate_usd is None:
            refuse, worst = committed >= self.max_cost_usd, "an unknown amount"
        else:
            refuse, worst = committed + estimate_usd > self.max_cost_usd, f"up to ${estimate_usd:.4f}"
        if refuse:
            self.refused_calls += 1
            return (
                f"budget exceeded: not starting a call that could cost {worst} ({description}); "
                f"${self.spent_usd:.4f} spent and ${self.reserved_usd:.4f} reserved of the "
                f"${self.max_cost_usd:.4f} limit for the whole cluster"
            )
        if estimate_usd is not None:
            self.reserved_usd += estimate_usd
        return None

    def settle(self, estimate_usd: float | None, cost_usd: float | None) -> None:
        if estimate_usd is not None:
            self.reserved_usd = max(0.0, self.reserved_usd - estimate_usd)
        if cost_usd is not None:
            self.spent_usd += cost_usd

    def state(self) -> dict[str, Any]:
        """Spend and pressure, for progress lines."""
        return {
            "spent_usd": self.spent_usd,
            "reserved_usd": self.reserved_usd,
            "refused_calls": self.refused_calls,
            "backoffs": self.backoffs,
            "in_flight": sum(len(pool.leases) for pool in self._pools.values()),
        }


async def _wait(condition: asyncio.Condition, timeout: float) -> None:
    """Wait for a release, or ``timeout`` (then expired leases are looked at again)."""
    try:
        await asyncio.wait_for(condition.wait(), timeout=timeout)
    except TimeoutError:
        pass


def limiter_actor(name: str, *, max_cost_usd: float | None = None, spent_usd: float = 0.0) -> Any:
    """The run's limiter, created by the driver on the driver's own node: it is lost only with the
    driver, never with a worker node (every worker's calls wait on it)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    return ClusterLimiter.options(
        name=name, namespace=NAMESPACE, get_if_exists=True, scheduling_strategy=here
    ).remote(max_cost_usd, spent_usd)


class ClusterLimits:
    """A profile's limits as :mod:`core.models.limits` wants them, asking the cluster's actor."""

    def __init__(self, actor: Any, key: tuple[Any, ...], concurrency: int, rpm: float | None, tpm: float | None) -> None:
        self.actor, self.key = actor, key
        self.concurrency, self.rpm, self.tpm = concurrency, rpm, tpm

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[float]:
        started = time.monotonic()
        lease = await self.actor.acquire.remote(self.key, self.concurrency, self.rpm, self.tpm, tokens)
        try:
            yield time.monotonic() - started
        finally:
            self.actor.release.remote(self.key, lease)

    def backoff(self, seconds: float) -> None:
        self.actor.backoff.remote(self.key, seconds)


class ClusterBudget(BudgetGuard):
    """``--max-cost`` for the whole cluster: reservations are made by the limiter actor."""

    def __init__(self, actor: Any, max_cost_usd: float) -> None:
        super().__init__(max_cost_usd)
        self.actor = actor

    def reserve(self, estimate_usd: float | None, description: str) -> BudgetReservation:
        refusal = ray.get(self.actor.reserve.remote(estimate_usd, description))
        return self._granted(refusal, estimate_usd, description)

    async def areserve(self, estimate_usd: float | None, description: str) -> BudgetReservation:
        refusal = await self.actor.reserve.remote(estimate_usd, description)
        return self._granted(refusal, estimate_usd, description)

    def _granted(self, refusal: str | None, estimate_usd: float | None, description: str) -> BudgetReservation:
        if refusal is not None:
            self.refused_calls += 1
            raise ModelCallError(FailureClass.BUDGET_EXCEEDED, refusal)
        return BudgetReservation(estimate_usd, description)

    def settle(self, reservation: BudgetReservation, cost_usd: float | None, *, attempted: bool = True) -> None:
        self.actor.settle.remote(reservation.estimate_usd, cost_usd)
        super().settle(BudgetReservation(None, reservation.description), cost_usd, attempted=attempted)


def install_cluster_limits(actor: Any) -> None:
    """In this (worker) process, every profile's limits are the cluster's."""

    def provider(key: tuple[Any, ...], concurrency: int, rpm: float | None, tpm: float | None) -> ClusterLimits:
        return ClusterLimits(actor, key, concurrency, rpm, tpm)

    set_limits_provider(provider)
