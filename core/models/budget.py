"""The budget guard: refuses a model call that could take total spend past a limit."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from core.models.errors import ModelCallError
from core.models.failures import FailureClass

__all__ = ["BudgetGuard", "BudgetReservation"]


@dataclass(frozen=True)
class BudgetReservation:
    """Money set aside for one call in flight, released when the call ends."""

    estimate_usd: float | None
    description: str


class BudgetGuard:
    """Refuses to start a call that could take total spend past ``max_cost_usd``.

    Before a call the client reserves the call's worst case (prompt tokens estimated from the
    text, output = ``max_tokens``, priced from the profile or LiteLLM's map); concurrent calls
    see each other's reservations, so a burst cannot overshoot together. After the call the
    reservation is replaced by the real cost. Calls of unknown price cannot be bounded: they are
    allowed while money is left and counted in ``unknown_cost_calls``.

    ``spent_usd`` lets a resumed run start from what it already spent.
    """

    def __init__(self, max_cost_usd: float, *, spent_usd: float = 0.0) -> None:
        if max_cost_usd < 0:
            raise ValueError(f"max_cost_usd must be >= 0, got {max_cost_usd}")
        self.max_cost_usd = float(max_cost_usd)
        self._spent = float(spent_usd)
        self._reserved = 0.0
        self.unknown_cost_calls = 0
        self.refused_calls = 0
        self._lock = threading.Lock()

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent

    @property
    def reserved_usd(self) -> float:
        with self._lock:
            return self._reserved

    @property
    def remaining_usd(self) -> float:
        with self._lock:
            return max(0.0, self.max_cost_usd - self._spent - self._reserved)

    def reserve(self, estimate_usd: float | None, description: str) -> BudgetReservation:
        """Set money aside for a call, or raise ``ModelCallError(budget_exceeded)``."""
        with self._lock:
            committed = self._spent + self._reserved
            if estimate_usd is None:
                refuse = committed >= self.max_cost_usd
                worst = "an unknown amount"
            else:
                refuse = committed + estimate_usd > self.max_cost_usd
                worst = f"up to ${estimate_usd:.4f}"
            if refuse:
                self.refused_calls += 1
                raise ModelCallError(
                    FailureClass.BUDGET_EXCEEDED,
                    f"budget exceeded: not starting a call that could cost {worst} ({description}); "
                    f"${self._spent:.4f} spent and ${self._reserved:.4f} reserved of the "
                    f"${self.max_cost_usd:.4f} limit",
                )
            if estimate_usd is not None:
                self._reserved += estimate_usd
        return BudgetReservation(estimate_usd, description)

    async def areserve(self, estimate_usd: float | None, description: str) -> BudgetReservation:
        """:meth:`reserve` for the client's event loop; a cluster-wide guard overrides it to ask
        a shared ledger without blocking the loop."""
        return self.reserve(estimate_usd, description)

    def settle(
        self, reservation: BudgetReservation, cost_usd: float | None, *, attempted: bool = True
    ) -> None:
        """Replace the reservation by the real cost (``None``: unknown price)."""
        with self._lock:
            if reservation.estimate_usd is not None:
                self._reserved = max(0.0, self._reserved - reservation.estimate_usd)
            if cost_usd is not None:
                self._spent += cost_usd
            elif attempted:
                self.unknown_cost_calls += 1

    def add_spent(self, cost_usd: float) -> None:
        """Count money spent outside this guard's calls."""
        with self._lock:
            self._spent += cost_usd
