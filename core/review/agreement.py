"""How far a judge (or a quiz answerer, or another reviewer) agrees with people who reviewed the
same figures.

Every function takes long frames of ratings, one row per (item, rater, dimension):

* ``judge``: columns ``item``, ``rater`` (the judge model), ``dimension`` (judge_cf ...), ``score``;
* ``human``: the same columns, ``rater`` being the reviewer.

An item is one figure (callers use ``"<generation run id>/<problem uid>"``). Missing scores
(None/NaN) are allowed anywhere and drop out pairwise. Statistics:

* Krippendorff's alpha, ordinal, with the judge and every reviewer as coders
  (:func:`core.evaluation.agreement.krippendorff_alpha`);
* Cohen's weighted kappa (quadratic by default) over (judge score, reviewer score) pairs, pooled
  over reviewers (with one reviewer: the usual kappa);
* 95% percentile intervals from a bootstrap that resamples items, so all the ratings of one item
  move together (clustered by item).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from core.evaluation.agreement import JUDGE_SCALE, krippendorff_alpha
from core.metrics import JUDGE_DIMENSIONS, JUDGE_SHORT_LABELS

__all__ = [
    "AGREEMENT_COLUMNS",
    "QUIZ_VERDICTS",
    "agreement_note",
    "bootstrap_by_item",
    "confusion_table",
    "judge_human_agreement",
    "largest_disagreements",
    "quiz_verdict_agreement",
    "reviewer_agreement",
    "weighted_kappa",
]

Weights = Literal["quadratic", "linear"] | None
BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95
ALL = "all"
QUIZ_VERDICTS: tuple[str, ...] = ("readable", "not_readable", "bad_quiz")
"""What a reviewer says of a quiz: the answer can / cannot be read from the figure; the quiz is bad
(ambiguous, wrong key, answerable without the figure) and takes no part in agreement."""
AGREEMENT_COLUMNS = (
    "judge", "dimension", "alpha", "alpha_low", "alpha_high", "kappa", "kappa_low", "kappa_high",
    "n_items", "n_reviewers",
)
_ORDER = {name: position for position, (name, _) in enumerate(JUDGE_DIMENSIONS)}


def weighted_kappa(
    first: Sequence[float], second: Sequence[float], *, weights: Weights = "quadratic",
    labels: Sequence[float] = JUDGE_SCALE,
) -> float:
    """Cohen's kappa of two paired rating lists (None/NaN pairs dropped); ``weights=None`` is the
    unweighted (nominal) kappa. NaN when there is no pair or chance agreement is total."""
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if a.size == 0:
        return float("nan")
    scale = np.asarray(sorted(labels), dtype=float)
    index = {value: position for position, value in enumerate(scale)}
    observed = np.zeros((len(scale), len(scale)))
    for x, y in zip(a, b, strict=True):
        observed[index[x], index[y]] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    distance = _distance(weights, len(scale))
    chance = float((distance * expected).sum())
    if chance == 0.0:
        return float("nan")
    return float(1.0 - (distance * observed).sum() / chance)


def bootstrap_by_item(
    items: Sequence[str], statistic: Callable[[np.ndarray], float], *,
    n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0, confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile interval of ``statistic(rows)`` over resamples of items: ``items[i]`` names the
    item of row i; each resample draws items with replacement and passes all their rows' indexes.
    (NaN, NaN) when fewer than half the resamples give a number."""
    labels = np.asarray(items)
    unique, inverse = np.unique(labels, return_inverse=True)
    if unique.size == 0:
        return float("nan"), float("nan")
    rows_of = [np.flatnonzero(inverse == position) for position in range(unique.size)]
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n_resamples):
        picked = rng.integers(0, unique.size, size=unique.size)
        value = statistic(np.concatenate([rows_of[i] for i in picked]))
        if not math.isnan(value):
            samples.append(value)
    if len(samples) < n_resamples / 2:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def _resample_weights(n_clusters: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_clusters): how often each cluster is drawn in each resample."""
    draws = np.random.default_rng(seed).integers(0, n_clusters, size=(n_resamples, n_clusters))
    weights = np.zeros((n_resamples, n_clusters))
    np.add.at(weights, (np.arange(n_resamples)[:, None], draws), 1.0)
    return weights


def _percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    kept = samples[~np.isnan(samples)]
    if kept.size < samples.size / 2:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(kept, [tail, 100 - tail])
    return float(low), float(high)


def _unit_coincidences(matrix: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(units, k, k): each unit's share of the coincidence matrix (Krippendorff 2011), zero for
    units with fewer than two values; summed over units it is the coincidence matrix."""
    counts = np.stack([(matrix == value).sum(axis=0) for value in scale], axis=1).astype(float)
    pairable = counts.sum(axis=1)
    weights = np.where(pairable >= 2, 1.0 / np.maximum(pairable - 1.0, 1.0), 0.0)
    outer = counts[:, :, None] * counts[:, None, :]
    outer -= np.eye(len(scale))[None] * counts[:, :, None]
    return outer * weights[:, None, None]


def _ordinal_alpha(coincidences: np.ndarray) -> np.ndarray:
    """Ordinal alpha of a stack of coincidence matrices (..., k, k); NaN where undefined."""
    marginals = coincidences.sum(axis=-1)
    total = marginals.sum(axis=-1)
    cumulative = np.concatenate([np.zeros(marginals.shape[:-1] + (1,)), np.cumsum(marginals, axis=-1)], axis=-1)
    size = marginals.shape[-1]
    low = np.minimum.outer(np.arange(size), np.arange(size))
    high = np.maximum.outer(np.arange(size), np.arange(size))
    between = cumulative[..., high + 1] - cumulative[..., low]
    distances = (between - (marginals[..., :, None] + marginals[..., None, :]) / 2.0) ** 2
    observed = (coincidences * distances).sum(axis=(-1, -2))
    expected = (marginals[..., :, None] * marginals[..., None, :] * distances).sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (total - 1.0) * observed / expected
    return np.where((expected > 0) & (total >= 2), alpha, np.nan)


def _kappa_from_confusion(confusion: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Weighted kappa of a stack of confusion matrices (..., k, k); NaN where undefined."""
    total = confusion.sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = confusion.sum(axis=-1)[..., :, None] * confusion.sum(axis=-2)[..., None, :] / total[..., None, None]
        chance = (distance * expected).sum(axis=(-1, -2))
        kappa = 1.0 - (distance * confusion).sum(axis=(-1, -2)) / chance
    return np.where((total > 0) & (chance > 0), kappa, np.nan)


def _distance(weights: Weights, size: int) -> np.ndarray:
    positions = np.arange(size)
    if weights is None:
        return 1.0 - np.eye(size)
    if weights == "linear":
        return np.abs(positions[:, None] - positions[None, :]).astype(float)
    if weights == "quadratic":
        return ((positions[:, None] - positions[None, :]) ** 2).astype(float)
    raise ValueError(f"weights must be 'quadratic', 'linear' or None, got {weights!r}")


def _ratings(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.loc[:, ["item", "rater", "dimension", "score"]].copy()
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    frame["item"] = frame["item"].astype(str)
    return frame


def _dimensions(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["dimension"].unique(), key=lambda name: _ORDER.get(name, 99))


def _alpha_columns(wide: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(coders x units matrix, item of each unit) from a rater x (item[, dimension]) table."""
    items = wide.columns.get_level_values(0).to_numpy() if isinstance(wide.columns, pd.MultiIndex) \
        else wide.columns.to_numpy()
    return wide.to_numpy(dtype=float), items


def _alpha_with_interval(part: pd.DataFrame, seed: int, n_resamples: int) -> tuple[float, float, float, int]:
    """(alpha, low, high, units) of every rater in ``part``; units are (item, dimension) pairs,
    resampled by item (the coincidences of an item's units summed once, then re-weighted)."""
    wide = part.pivot_table(index="rater", columns=["item", "dimension"], values="score", aggfunc="first",
                            dropna=False)
    matrix, items = _alpha_columns(wide)
    result = krippendorff_alpha(matrix, "ordinal", values=JUDGE_SCALE)
    if math.isnan(result.alpha):
        return result.alpha, float("nan"), float("nan"), result.n_units
    scale = np.asarray(JUDGE_SCALE, dtype=float)
    unique, inverse = np.unique(items, return_inverse=True)
    per_item = np.zeros((unique.size, scale.size, scale.size))
    np.add.at(per_item, inverse, _unit_coincidences(matrix, scale))
    weights = _resample_weights(unique.size, n_resamples, seed)
    low, high = _percentile_interval(_ordinal_alpha(np.einsum("ri,ikl->rkl", weights, per_item)))
    return result.alpha, low, high, result.n_units


def _kappa_interval(pairs: pd.DataFrame, weights: Weights, seed: int, n_resamples: int) -> tuple[float, float]:
    """95% interval of weighted kappa over resamples of items (each item's pairs together)."""
    scale = list(JUDGE_SCALE)
    unique, inverse = np.unique(pairs["item"].to_numpy(), return_inverse=True)
    per_item = np.zeros((unique.size, len(scale), len(scale)))
    rows = pairs["score_judge"].map(scale.index).to_numpy()
    columns = pairs["score_human"].map(scale.index).to_numpy()
    np.add.at(per_item, (inverse, rows, columns), 1.0)
    resampled = np.einsum("ri,ikl->rkl", _resample_weights(unique.size, n_resamples, seed), per_item)
    return _percentile_interval(_kappa_from_confusion(resampled, _distance(weights, len(scale))))


def _paired(judge: pd.DataFrame, human: pd.DataFrame) -> pd.DataFrame:
    """(item, dimension, judge score, human score) for every reviewer rating a judge score meets."""
    merged = human.merge(judge, on=["item", "dimension"], suffixes=("_human", "_judge"))
    return merged.dropna(subset=["score_human", "score_judge"])


def judge_human_agreement(
    judge: pd.DataFrame, human: pd.DataFrame, *, weights: Weights = "quadratic",
    n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0,
) -> pd.DataFrame:
    """Per judge and dimension (plus ``all``: every (item, dimension) a unit, resampled by item):
    ordinal alpha of the judge with the reviewers, weighted kappa of (judge, reviewer) pairs, each
    with a 95% interval clustered by item; only items some reviewer rated count. Columns:
    :data:`AGREEMENT_COLUMNS`."""
    judge, human = _ratings(judge), _ratings(human)
    rows = []
    reviewed = set(human.dropna(subset=["score"])["item"])
    for judge_name, scores in judge[judge["item"].isin(reviewed)].groupby("rater", sort=True):
        for dimension in [*_dimensions(human), ALL]:
            picked = human if dimension == ALL else human[human["dimension"] == dimension]
            mine = scores if dimension == ALL else scores[scores["dimension"] == dimension]
            if picked.empty or mine.empty:
                continue
            both = pd.concat([mine, picked], ignore_index=True)
            alpha, alpha_low, alpha_high, _ = _alpha_with_interval(both, seed, n_resamples)
            pairs = _paired(mine, picked)
            first, second = pairs["score_judge"].to_numpy(), pairs["score_human"].to_numpy()
            kappa = weighted_kappa(first, second, weights=weights)
            kappa_low, kappa_high = _kappa_interval(pairs, weights, seed, n_resamples) \
                if len(pairs) and not math.isnan(kappa) else (float("nan"), float("nan"))
            rows.append({
                "judge": judge_name, "dimension": dimension, "alpha": alpha, "alpha_low": alpha_low,
                "alpha_high": alpha_high, "kappa": kappa, "kappa_low": kappa_low, "kappa_high": kappa_high,
                "n_items": int(pairs["item"].nunique()), "n_reviewers": int(pairs["rater_human"].nunique()),
            })
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def reviewer_agreement(
    human: pd.DataFrame, *, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> pd.DataFrame:
    """Ordinal alpha among reviewers per dimension (and ``all``), on items two or more rated.
    Columns: dimension, alpha, alpha_low, alpha_high, n_items, n_reviewers."""
    human = _ratings(human).dropna(subset=["score"])
    shared = human.groupby("item")["rater"].nunique()
    human = human[human["item"].isin(shared[shared >= 2].index)]
    rows = []
    for dimension in [*_dimensions(human), ALL] if not human.empty else []:
        part = human if dimension == ALL else human[human["dimension"] == dimension]
        alpha, low, high, _ = _alpha_with_interval(part, seed, n_resamples)
        rows.append({"dimension": dimension, "alpha": alpha, "alpha_low": low, "alpha_high": high,
                     "n_items": int(part["item"].nunique()), "n_reviewers": int(part["rater"].nunique())})
    return pd.DataFrame(rows, columns=["dimension", "alpha", "alpha_low", "alpha_high", "n_items", "n_reviewers"])


def quiz_verdict_agreement(
    answers: pd.DataFrame, verdicts: pd.DataFrame, *, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> dict[str, float | int]:
    """The quiz answerer against reviewers' verdicts: ``answers`` has item, quiz_index, correct
    (bool; None when no answer was had); ``verdicts`` item, quiz_index, rater, verdict
    (:data:`QUIZ_VERDICTS`). A verdict of ``readable`` agrees with a correct answer,
    ``not_readable`` with a wrong one; ``bad_quiz`` verdicts are counted apart. Returns accuracy
    (share agreeing), its interval (by item), unweighted kappa, n_pairs, n_items, n_bad_quiz."""
    bad = int((verdicts["verdict"] == "bad_quiz").sum())
    judged = verdicts[verdicts["verdict"].isin(["readable", "not_readable"])]
    answered = answers.dropna(subset=["correct"])
    pairs = judged.merge(answered, on=["item", "quiz_index"])
    if pairs.empty:
        return {"accuracy": float("nan"), "accuracy_low": float("nan"), "accuracy_high": float("nan"),
                "kappa": float("nan"), "n_pairs": 0, "n_items": 0, "n_bad_quiz": bad}
    machine = pairs["correct"].astype(bool).to_numpy().astype(float)
    person = (pairs["verdict"] == "readable").to_numpy().astype(float)
    agree = (machine == person).astype(float)
    # Resampling items: per item, how many quizzes agree out of how many (a ratio of sums).
    unique, inverse = np.unique(pairs["item"].astype(str).to_numpy(), return_inverse=True)
    agreeing, counted = np.bincount(inverse, weights=agree), np.bincount(inverse).astype(float)
    weights = _resample_weights(unique.size, n_resamples, seed)
    low, high = _percentile_interval((weights @ agreeing) / (weights @ counted))
    return {
        "accuracy": float(agree.mean()), "accuracy_low": low, "accuracy_high": high,
        "kappa": weighted_kappa(machine, person, weights=None, labels=(0.0, 1.0)),
        "n_pairs": int(len(pairs)), "n_items": int(pairs["item"].nunique()), "n_bad_quiz": bad,
    }


def confusion_table(judge: pd.DataFrame, human: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Counts of (judge score, reviewer score) pairs on one dimension: rows judge 0-2, columns
    reviewer 0-2 (every cell present, zeros included)."""
    judge, human = _ratings(judge), _ratings(human)
    pairs = _paired(judge[judge["dimension"] == dimension], human[human["dimension"] == dimension])
    table = pd.crosstab(pairs["score_judge"].astype(int), pairs["score_human"].astype(int))
    scale = [int(value) for value in JUDGE_SCALE]
    table = table.reindex(index=scale, columns=scale, fill_value=0)
    table.index.name, table.columns.name = "judge", "reviewer"
    return table


def largest_disagreements(judge: pd.DataFrame, human: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """Items where the judge is furthest from the reviewers: per item the sum over dimensions of
    |judge score - mean reviewer score|, worst first. Columns: item, gap, worst_dimension, detail."""
    pairs = _paired(_ratings(judge), _ratings(human))
    if pairs.empty:
        return pd.DataFrame(columns=["item", "gap", "worst_dimension", "detail"])
    per = pairs.groupby(["item", "rater_judge", "dimension"], as_index=False).agg(
        judge=("score_judge", "first"), human=("score_human", "mean"))
    per["gap"] = (per["judge"] - per["human"]).abs()
    rows = []
    for item, part in per.groupby("item"):
        worst = part.sort_values("gap", ascending=False, kind="stable").iloc[0]
        detail = "; ".join(
            f"{JUDGE_SHORT_LABELS.get(row.dimension, row.dimension)}: judge {int(row.judge)} vs people {row.human:.1f}"
            for row in part.itertuples() if row.gap > 0
        )
        rows.append({"item": item, "gap": float(part["gap"].sum()), "worst_dimension": worst["dimension"],
                     "detail": detail})
    result = pd.DataFrame(rows).sort_values(["gap", "item"], ascending=[False, True], kind="stable")
    return result[result["gap"] > 0].head(top).reset_index(drop=True)


def _two(value: float) -> str:
    """Two decimals without a negative zero ("-0.00" reads like a finding)."""
    return f"{round(float(value), 2) + 0.0:.2f}"


def agreement_note(table: pd.DataFrame, dimension: str = "judge_cf") -> str:
    """One line saying how a judge was checked, from a :func:`judge_human_agreement` table:
    ``judge vs 2 reviewers on 60 items: alpha C&F 0.71 [0.58, 0.82]``; '' without a row."""
    rows = table[table["dimension"] == dimension]
    if rows.empty:
        return ""
    row = rows.iloc[0]
    reviewers = int(table["n_reviewers"].max())
    interval = "" if math.isnan(row["alpha_low"]) else f" [{_two(row['alpha_low'])}, {_two(row['alpha_high'])}]"
    alpha = "n/a" if math.isnan(row["alpha"]) else _two(row["alpha"])
    return (f"judge vs {reviewers} reviewer{'s' if reviewers != 1 else ''} on {int(row['n_items'])} items: "
            f"alpha {JUDGE_SHORT_LABELS.get(dimension, dimension)} {alpha}{interval}")
