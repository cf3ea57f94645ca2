"""The numbers every generation run gets, whatever its generator: pass@1 and pass@k (share of
problems whose first attempt / any attempt rendered, with Wilson intervals) and the model cost."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from core.metrics import Aggregate

_Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion, in [0, 1] (well-behaved at 0 and n)."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def generation_aggregates(pass_counts: pd.DataFrame, ledger_totals: Mapping[str, Any]) -> list[Aggregate]:
    """pass_at_1 and pass_at_k (percent, Wilson 95% interval) overall and per subject and image
    type, from a run's pass counts (scope, scope_value, n, first_ok, ok), and the run's model
    cost from its ledger totals (calls, cost_usd) when it made calls."""
    aggregates: list[Aggregate] = []
    for row in pass_counts.itertuples(index=False):
        if row.n == 0:
            continue
        for metric, successes in (("pass_at_1", row.first_ok), ("pass_at_k", row.ok)):
            low, high = wilson_interval(int(successes), int(row.n))
            aggregates.append(
                Aggregate(
                    metric=metric, scope=row.scope, scope_value=row.scope_value,
                    value=100.0 * successes / row.n, ci_low=100.0 * low, ci_high=100.0 * high, n=int(row.n),
                )
            )
    if ledger_totals["calls"]:
        aggregates.append(
            Aggregate(metric="cost_usd", value=float(ledger_totals["cost_usd"]), n=int(ledger_totals["calls"]))
        )
    return aggregates
