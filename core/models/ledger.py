"""The cost ledger: one :class:`LedgerEntry` per model call (the budget guard is ``core.models.budget``).

Costs come from LiteLLM's bundled price map (or a profile's own prices). An unknown price is
``None``, never ``0``: a local model may be free, but "we do not know" must stay visible in
totals. A cache hit costs ``0.0`` (nothing was paid) and says ``cached=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.models.failures import FailureClass

__all__ = ["LedgerEntry", "LedgerTotals", "summarize"]


class LedgerEntry(BaseModel):
    """What one model call (successful, failed, cached or refused) took and cost."""

    model_config = ConfigDict(frozen=True)

    call_id: str = Field(description="Unique id of this call (hex).")
    kind: Literal["chat", "image"] = Field(description="Chat completion or image generation.")
    profile: str = Field(description="Profile name, or the raw model string for ad-hoc profiles.")
    model: str = Field(description="The LiteLLM model string called.")
    fingerprint: str = Field(description="ModelProfile.fingerprint(): the model settings, secret-free.")
    cache_key: str | None = Field(default=None, description="Content address of the request in the cache.")
    started_at: datetime = Field(description="When the call was asked for (UTC).")
    latency_s: float = Field(description="Wall time of the whole call: waits, attempts and backoff.")
    wait_s: float = Field(
        default=0.0,
        description="Of latency_s, time spent waiting for a concurrency slot, the rate limiter or backoff.",
    )
    attempts: int = Field(default=0, description="HTTP attempts made (0 for a cache hit or a refused call).")
    tokens_in: int | None = Field(default=None, description="Prompt tokens reported by the provider.")
    tokens_out: int | None = Field(default=None, description="Completion tokens reported by the provider.")
    images_out: int | None = Field(default=None, description="Images returned (image calls).")
    cost_usd: float | None = Field(
        default=None,
        description="Cost of this call in USD; None when the model's price is unknown; 0.0 for a cache hit.",
    )
    cached: bool = Field(default=False, description="Answered from the cache without calling the model.")
    ok: bool = Field(description="True when the call produced a usable answer.")
    failure_class: FailureClass | None = Field(default=None, description="Why it failed (None when ok).")
    failure_message: str | None = Field(default=None, description="Short redacted reason (None when ok).")
    finish_reason: str | None = Field(
        default=None, description="The provider's finish reason (stop, length ...)."
    )
    retry_classes: list[FailureClass] = Field(
        default_factory=list, description="Failure class of each attempt that was retried, in order."
    )


@dataclass(frozen=True)
class LedgerTotals:
    calls: int
    ok: int
    failed: int
    cached: int
    tokens_in: int
    tokens_out: int
    cost_usd: float  # sum of known costs
    unknown_cost_calls: int  # paid calls whose price is unknown (their cost is not in cost_usd)
    failures: dict[str, int]


def summarize(entries: list[LedgerEntry]) -> LedgerTotals:
    """Totals of a list of entries (what a run report shows)."""
    failures: dict[str, int] = {}
    for entry in entries:
        if entry.failure_class is not None:
            failures[entry.failure_class.value] = failures.get(entry.failure_class.value, 0) + 1
    return LedgerTotals(
        calls=len(entries),
        ok=sum(entry.ok for entry in entries),
        failed=sum(not entry.ok for entry in entries),
        cached=sum(entry.cached for entry in entries),
        tokens_in=sum(entry.tokens_in or 0 for entry in entries if not entry.cached),
        tokens_out=sum(entry.tokens_out or 0 for entry in entries if not entry.cached),
        cost_usd=sum(entry.cost_usd or 0.0 for entry in entries),
        unknown_cost_calls=sum(entry.cost_usd is None and entry.attempts > 0 for entry in entries),
        failures=failures,
    )
