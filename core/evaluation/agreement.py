"""Agreement between judges: Krippendorff's alpha (ordinal by default) and the items they
disagree on most.

Krippendorff's alpha is computed from the coincidence matrix (Krippendorff 2011, "Computing
Krippendorff's Alpha-Reliability"): for every unit with at least two values, each ordered pair of
values from different coders adds ``1/(m_u - 1)`` to ``o[c, k]``; with ``n_c`` the marginals and
``n`` their total,

    alpha = 1 - (n - 1) * sum(o[c, k] * d2[c, k]) / sum(n_c * n_k * d2[c, k])

where the ordinal distance is ``d2[c, k] = (sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2``. Missing
values (NaN / None) are allowed anywhere; units with fewer than two values are not pairable and
drop out. When all pairable values are equal, expected disagreement is 0 and alpha is undefined:
NaN is returned (never a made-up 1.0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.metrics import JUDGE_DIMENSIONS

__all__ = [
    "AgreementResult",
    "Level",
    "coincidence_matrix",
    "disagreements",
    "judge_agreement",
    "krippendorff_alpha",
    "scores_frame",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
JUDGE_SCALE: tuple[int, ...] = (0, 1, 2)
ALL_DIMENSIONS = "all"


@dataclass(frozen=True)
class AgreementResult:
    """Alpha with the counts a reader needs to trust it."""

    alpha: float
    level: str
    n_units: int
    """Units with at least two values (pairable)."""
    n_values: int
    """Pairable values (n in the formula)."""
    n_coders: int


def _as_matrix(data: Any) -> np.ndarray:
    """Reliability data as a float array (coders x units), NaN for missing."""
    if isinstance(data, pd.DataFrame):
        data = data.to_numpy(dtype=float, na_value=np.nan)
    matrix = (
        np.array([[np.nan if value is None else value for value in row] for row in data], dtype=float)
        if not isinstance(data, np.ndarray)
        else data.astype(float)
    )
    if matrix.ndim != 2:
        raise ValueError(f"reliability data must be 2-D (coders x units), got shape {matrix.shape}")
    return matrix


def coincidence_matrix(data: Any, values: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(values, o): the sorted value scale and the coincidence matrix over it.

    ``data`` is coders x units (rows are coders), missing as NaN/None. ``values`` fixes the scale
    (e.g. 0, 1, 2 for judge scores); values outside it raise ValueError.
    """
    matrix = _as_matrix(data)
    present = matrix[~np.isnan(matrix)]
    scale = np.unique(present) if values is None else np.asarray(sorted(values), dtype=float)
    unknown = np.setdiff1d(np.unique(present), scale)
    if unknown.size:
        raise ValueError(f"values {unknown.tolist()} are not on the scale {scale.tolist()}")
    # counts[u, c]: how many coders gave unit u the value scale[c].
    counts = np.stack([(matrix == value).sum(axis=0) for value in scale], axis=1).astype(float)
    pairable = counts.sum(axis=1)
    keep = pairable >= 2
    counts, pairable = counts[keep], pairable[keep]
    if counts.size == 0:
        return scale, np.zeros((len(scale), len(scale)))
    weights = 1.0 / (pairable - 1.0)
    # Sum over units of (n_uc * n_uk - [c == k] * n_uc) / (m_u - 1).
    coincidences = (counts * weights[:, None]).T @ counts
    coincidences -= np.diag((counts * weights[:, None]).sum(axis=0))
    return scale, coincidences


def _distances(level: str, scale: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    if level == "nominal":
        return 1.0 - np.eye(len(scale))
    if level == "interval":
        return (scale[:, None] - scale[None, :]) ** 2
    if level == "ratio":
        total = scale[:, None] + scale[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(total == 0, 0.0, (scale[:, None] - scale[None, :]) / total)
        return ratio**2
    if level == "ordinal":
        cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
        low = np.minimum.outer(np.arange(len(scale)), np.arange(len(scale)))
        high = np.maximum.outer(np.arange(len(scale)), np.arange(len(scale)))
        # sum_{g=low..high} n_g - (n_c + n_k) / 2
        between = cumulative[high + 1] - cumulative[low]
        return (between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2
    raise ValueError(f"unknown level {level!r}; expected nominal, ordinal, interval or ratio")


def krippendorff_alpha(
    data: Any, level: Level = "ordinal", values: Sequence[float] | None = None
) -> AgreementResult:
    """Krippendorff's alpha of reliability data (coders x units, NaN/None for missing)."""
    matrix = _as_matrix(data)
    scale, coincidences = coincidence_matrix(matrix, values)
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    n_units = int(((~np.isnan(matrix)).sum(axis=0) >= 2).sum())
    if total < 2:
        return AgreementResult(float("nan"), level, n_units, int(total), matrix.shape[0])
    distances = _distances(level, scale, marginals)
    observed = float((coincidences * distances).sum())
    expected = float((np.outer(marginals, marginals) * distances).sum())
    if expected == 0.0:
        return AgreementResult(float("nan"), level, n_units, int(round(total)), matrix.shape[0])
    alpha = float(1.0 - (total - 1.0) * observed / expected)
    return AgreementResult(alpha, level, n_units, int(round(total)), matrix.shape[0])


# ---- judges ------------------------------------------------------------------------------------


def scores_frame(scores: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
    """Judge scores as a frame with columns problem_uid, judge, dimension, score (float, NaN
    when missing), from JudgeScore records, dicts or a frame with those columns."""
    if isinstance(scores, pd.DataFrame):
        frame = scores.loc[:, ["problem_uid", "judge", "dimension", "score"]].copy()
    else:
        rows = []
        for item in scores:
            get = item.get if isinstance(item, dict) else lambda name, item=item: getattr(item, name)
            rows.append({name: get(name) for name in ("problem_uid", "judge", "dimension", "score")})
        frame = pd.DataFrame(rows, columns=["problem_uid", "judge", "dimension", "score"])
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    return frame


def _reliability(frame: pd.DataFrame, unit_columns: list[str]) -> pd.DataFrame:
    """Judges x units table (NaN where a judge has no score)."""
    if frame.empty:
        return pd.DataFrame()
    duplicated = frame.duplicated(subset=[*unit_columns, "judge"], keep=False)
    if duplicated.any():
        first = frame.loc[duplicated].iloc[0]
        raise ValueError(
            f"judge {first['judge']!r} has more than one score for {first['problem_uid']!r} "
            f"{first['dimension']!r}; agreement needs one score per judge and item"
        )
    return frame.pivot_table(
        index="judge", columns=unit_columns, values="score", aggfunc="first", dropna=False
    )


def judge_agreement(
    scores: Iterable[Any] | pd.DataFrame, level: Level = "ordinal"
) -> dict[str, AgreementResult]:
    """Alpha per judge dimension, plus ``"all"`` (every (problem, dimension) pair is a unit).

    Needs two or more judges to be meaningful; with one judge every alpha is NaN (no pairs).
    """
    frame = scores_frame(scores)
    judges = int(frame["judge"].nunique())
    results: dict[str, AgreementResult] = {}
    for dimension, _ in JUDGE_DIMENSIONS:
        part = frame[frame["dimension"] == dimension]
        if part.empty:
            continue
        table = _reliability(part, ["problem_uid"])
        results[dimension] = krippendorff_alpha(table.to_numpy(), level, values=JUDGE_SCALE)
    if not frame.empty:
        table = _reliability(frame, ["problem_uid", "dimension"])
        results[ALL_DIMENSIONS] = krippendorff_alpha(table.to_numpy(), level, values=JUDGE_SCALE)
    for key, result in results.items():
        results[key] = AgreementResult(result.alpha, result.level, result.n_units, result.n_values, judges)
    return results


DISAGREEMENT_COLUMNS = (
    "problem_uid",
    "n_judges",
    "total_spread",
    "max_spread",
    "worst_dimension",
    "detail",
)


def disagreements(
    scores: Iterable[Any] | pd.DataFrame, *, top: int | None = 10, dimension: str | None = None
) -> pd.DataFrame:
    """The items judges disagree on most, worst first.

    Per item: ``total_spread`` is the sum over dimensions of (highest - lowest score among the
    judges who scored it), ``max_spread`` the largest single-dimension spread and
    ``worst_dimension`` where it is; ``detail`` lists each disagreeing dimension's scores
    ("judge_cf: a=2 b=0"). Only items with two or more judges and some disagreement are listed.
    ``dimension`` restricts everything to one dimension.
    """
    frame = scores_frame(scores).dropna(subset=["score"])
    if dimension is not None:
        frame = frame[frame["dimension"] == dimension]
    rows: list[dict[str, Any]] = []
    order = {name: position for position, (name, _) in enumerate(JUDGE_DIMENSIONS)}
    for uid, item in frame.groupby("problem_uid", sort=True):
        judges = item["judge"].nunique()
        if judges < 2:
            continue
        spreads: list[tuple[str, float, str]] = []
        for dim, part in sorted(item.groupby("dimension"), key=lambda pair: order.get(pair[0], 99)):
            if part["judge"].nunique() < 2:
                continue
            spread = float(part["score"].max() - part["score"].min())
            if spread > 0:
                shown = " ".join(
                    f"{judge}={int(score)}"
                    for judge, score in sorted(zip(part["judge"], part["score"], strict=True))
                )
                spreads.append((dim, spread, f"{dim}: {shown}"))
        if not spreads:
            continue
        worst = max(spreads, key=lambda entry: (entry[1], -order.get(entry[0], 99)))
        rows.append(
            {
                "problem_uid": uid,
                "n_judges": int(judges),
                "total_spread": sum(entry[1] for entry in spreads),
                "max_spread": worst[1],
                "worst_dimension": worst[0],
                "detail": "; ".join(entry[2] for entry in spreads),
            }
        )
    result = pd.DataFrame(rows, columns=list(DISAGREEMENT_COLUMNS))
    if result.empty:
        return result
    result = result.sort_values(
        ["total_spread", "max_spread", "problem_uid"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    return result.head(top) if top is not None else result
