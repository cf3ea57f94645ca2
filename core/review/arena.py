"""The arena's standings: every stored pairwise judgement as comparisons, then Bradley-Terry
ratings with intervals, the win-rate matrix and the judge's position bias
(:mod:`core.evaluation.pairwise`).

A comparison is one arena judgement: run A (the generation run an arena evaluation run scores)
against its opponent B on one problem. Runs A vs B and B vs A both count (two judgements).
People's picks on the Review page (pairwise plan) are comparisons too, kept apart from the
models' (``judges="people"``), so a judge model's standings can be set beside people's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from core.evaluation.arena import WIN, outcome_of
from core.evaluation.pairwise import (
    BOOTSTRAP_RESAMPLES,
    COMPARISON_COLUMNS,
    bradley_terry_ratings,
    position_bias,
    win_rate_matrix,
)
from core.store import Store

__all__ = ["JUDGES", "ArenaStandings", "arena_standings", "comparisons", "people_comparisons"]


JUDGES = ("models", "people")
"""Whose judgements: the arena's judge models (evaluation runs), or reviewers on the Review page."""


def people_comparisons(store: Store) -> pd.DataFrame:
    """Reviewers' picks as comparisons (``judge_run`` = ``reviewer:<name>``)."""
    votes = store.pairwise_votes()
    return pd.DataFrame({
        "problem_uid": votes["problem_uid"], "run_a": votes["name_a"].fillna(votes["run_a"]),
        "run_b": votes["name_b"].fillna(votes["run_b"]),
        "outcome": [outcome_of(p, f) for p, f in zip(votes["picked"], votes["first_shown"], strict=True)],
        "first_shown": votes["first_shown"], "picked": votes["picked"],
        "judge_run": "reviewer:" + votes["reviewer"].astype(str),
    }, columns=[*COMPARISON_COLUMNS, "judge_run"])


def comparisons(store: Store, runs: Sequence[str] | None = None, *, judges: str = "models") -> pd.DataFrame:
    """Every decided judgement (``COMPARISON_COLUMNS`` plus ``judge_run``: the evaluation run, or
    the reviewer) by the arena's judge ``models`` or by ``people``, run names as the store has
    them; ``runs`` keeps comparisons between those runs only."""
    if judges not in JUDGES:
        raise ValueError(f"judges must be one of {JUDGES}, got {judges!r}")
    if judges == "people":
        frame = people_comparisons(store)
        return (frame[frame["run_a"].isin(runs) & frame["run_b"].isin(runs)] if runs is not None else frame
                ).reset_index(drop=True)
    rows = store.pairwise_outcomes(WIN)
    names = store.list_runs("generation")
    name_of = dict(zip(names["run_id"], names["name"], strict=True))
    records = []
    for row in rows.itertuples():
        if row.status != "ok" or pd.isna(row.value):
            continue
        detail = json.loads(row.detail) if row.detail else {}
        opponent = str(detail.get("opponent", ""))
        records.append({
            "problem_uid": row.problem_uid, "run_a": row.run_a, "run_b": name_of.get(opponent, opponent),
            "outcome": float(row.value), "first_shown": detail.get("first_shown"), "picked": detail.get("picked"),
            "judge_run": row.evaluation,
        })
    frame = pd.DataFrame(records, columns=[*COMPARISON_COLUMNS, "judge_run"])
    if runs is not None:
        frame = frame[frame["run_a"].isin(runs) & frame["run_b"].isin(runs)]
    return frame.reset_index(drop=True)


@dataclass
class ArenaStandings:
    ratings: pd.DataFrame
    """run, rating (Elo scale), ci_low, ci_high, comparisons, wins; best first."""
    win_rates: pd.DataFrame
    """Row run's share of wins against the column run."""
    bias: dict[str, float | int]
    """Share of decisive picks that went to the figure shown first, with its interval."""
    n_comparisons: int


def arena_standings(store: Store, runs: Sequence[str] | None = None, *, judges: str = "models",
                    n_resamples: int = BOOTSTRAP_RESAMPLES) -> ArenaStandings:
    frame = comparisons(store, runs, judges=judges)
    return ArenaStandings(
        ratings=bradley_terry_ratings(frame, n_resamples=n_resamples),
        win_rates=win_rate_matrix(frame) if not frame.empty else pd.DataFrame(),
        bias=position_bias(frame), n_comparisons=len(frame),
    )
