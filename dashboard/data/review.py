"""Data for the Review page: sessions, one item to rate, the reviewer's marks, the machine scores
revealed after rating, and judge-human agreement.

Writes (a reviewer's marks, a new session's draw) go straight to the store; every read is keyed by
the store's data version, so the next rerun sees what was just saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from core.evaluation.arena import shown_first
from core.evaluation.prompts import JUDGE_RUBRIC
from core.metrics import JUDGE_DIMENSIONS, JUDGE_SHORT_LABELS
from core.problems.markup import to_markdown
from core.review import agreement, arena, checks, sessions
from core.store.reviews import PairwiseVote, ReviewMarks, ReviewSession
from dashboard.data.access import cache_key, open_store, store
from dashboard.thumbnails import resolve_figure

PLANS = sessions.PLANS
PAIRWISE = sessions.PAIRWISE
DIMENSIONS = sessions.DIMENSIONS
LABELS = dict(JUDGE_DIMENSIONS)
SHORT_LABELS = JUDGE_SHORT_LABELS
RUBRIC = JUDGE_RUBRIC
VERDICT_LABELS = {"readable": "readable", "not_readable": "not readable", "bad_quiz": "quiz is bad"}


@dataclass(frozen=True)
class ReviewItem:
    """One figure to rate, with what the reviewer has said about it so far."""

    run_id: str
    run_name: str
    uid: str
    question_md: str
    image: Path | None
    quizzes: list[tuple[str, dict[str, str]]]
    """(question, options) of each quiz, in order."""
    scores: dict[str, int] = field(default_factory=dict)
    verdicts: dict[int, str] = field(default_factory=dict)

    @property
    def rated(self) -> bool:
        """All five dimensions scored: the machine scores may be shown."""
        return all(dimension in self.scores for dimension in DIMENSIONS)

    @property
    def complete(self) -> bool:
        return self.rated and all(index in self.verdicts for index in range(len(self.quizzes)))

    def next_dimension(self) -> str | None:
        return next((d for d in DIMENSIONS if d not in self.scores), None)

    def next_quiz(self) -> int | None:
        return next((i for i in range(len(self.quizzes)) if i not in self.verdicts), None)


@dataclass(frozen=True)
class PairItem:
    """Two runs' figures of one problem, in the order shown, and the reviewer's pick so far."""

    run_a: str
    run_b: str
    uid: str
    question_md: str
    first_shown: str
    """'a' or 'b': whose figure is on the left."""
    images: tuple[Path | None, Path | None]
    """(left, right)."""
    names: tuple[str, str]
    """Run names (left, right): shown only once the reviewer has picked."""
    picked: str | None = None

    @property
    def rated(self) -> bool:
        return self.picked is not None


def generation_runs() -> dict[str, str]:
    """Generation runs with figures: name -> run_id."""
    return _generation_runs(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _generation_runs(home: str, version: str) -> dict[str, str]:
    runs = open_store(home).list_runs(kind="generation")
    return dict(zip(runs["name"].astype(str), runs["run_id"].astype(str), strict=True))


def open_session(reviewer: str, run_ids: Sequence[str], plan: str, size: int, seed: int) -> ReviewSession:
    """The reviewer's session for these choices (stored on first use, resumed after)."""
    return sessions.open_session(store(), reviewer=reviewer, run_ids=run_ids, plan=plan, size=size, seed=seed)


def peek_session(reviewer: str, run_ids: Sequence[str], plan: str, size: int, seed: int) -> ReviewSession | None:
    """The stored session for these choices, without creating one (viewer mode writes nothing)."""
    return store().review_session(sessions.session_id_of(reviewer.strip(), plan, run_ids, size, seed))


def resume_position(session: ReviewSession) -> int:
    return sessions.resume_position(store(), session)


def review_item(session: ReviewSession, position: int) -> ReviewItem:
    return _review_item(*cache_key(), session.reviewer, *session.items[position])


@st.cache_data(show_spinner=False, max_entries=64)
def _review_item(home: str, version: str, reviewer: str, run_id: str, uid: str) -> ReviewItem:
    the_store = open_store(home)
    problem = the_store.get_problem(uid)
    record = the_store.figure(run_id, uid) or {}
    run = the_store.get_run(run_id)
    ratings = the_store.review_ratings([run_id], reviewer=reviewer)
    ratings = ratings[(ratings["problem_uid"] == uid)].dropna(subset=["score"])
    verdicts = the_store.review_verdicts([run_id], reviewer=reviewer)
    verdicts = verdicts[verdicts["problem_uid"] == uid]
    return ReviewItem(
        run_id=run_id, run_name=run.name if run else run_id, uid=uid,
        question_md=to_markdown(problem.question) if problem else "(problem not in the store)",
        image=resolve_figure(home, record.get("image_path")),
        quizzes=[(quiz.question, dict(quiz.options)) for quiz in (problem.quizzes if problem else [])],
        scores={row.dimension: int(row.score) for row in ratings.itertuples()},
        verdicts={int(row.quiz_index): str(row.verdict) for row in verdicts.itertuples()},
    )


def pair_item(session: ReviewSession, position: int) -> PairItem:
    run_a, uid = session.items[position]
    return _pair_item(*cache_key(), session.reviewer, run_a, sessions.pair_of(session.run_ids)[1], uid, session.seed)


@st.cache_data(show_spinner=False, max_entries=64)
def _pair_item(home: str, version: str, reviewer: str, run_a: str, run_b: str, uid: str, seed: int) -> PairItem:
    the_store = open_store(home)
    problem = the_store.get_problem(uid)
    first = shown_first(seed, uid, run_b)
    order = (run_a, run_b) if first == "a" else (run_b, run_a)
    names = tuple((the_store.get_run(run_id).name if the_store.get_run(run_id) else run_id) for run_id in order)
    images = tuple(resolve_figure(home, (the_store.figure(run_id, uid) or {}).get("image_path")) for run_id in order)
    votes = the_store.pairwise_votes([run_a, run_b], reviewer=reviewer)
    votes = votes[votes["problem_uid"] == uid]
    return PairItem(run_a=run_a, run_b=run_b, uid=uid, first_shown=first, images=images, names=names,
                    question_md=to_markdown(problem.question) if problem else "(problem not in the store)",
                    picked=str(votes["picked"].iloc[0]) if len(votes) else None)


def save_vote(session: ReviewSession, item: PairItem, picked: str | None) -> None:
    """Store the reviewer's pick at once (None takes it back)."""
    store().save_pairwise_vote(PairwiseVote(run_a=item.run_a, run_b=item.run_b, problem_uid=item.uid,
                                            reviewer=session.reviewer, first_shown=item.first_shown, picked=picked,
                                            session_id=session.session_id))


def save_marks(session: ReviewSession, item: ReviewItem, scores: dict[str, int], verdicts: dict[int, str]) -> None:
    """Replace the reviewer's marks on ``item`` (saved at once: a reload resumes here)."""
    store().save_review_marks([ReviewMarks(run_id=item.run_id, problem_uid=item.uid, reviewer=session.reviewer,
                                           scores=scores, verdicts=verdicts, session_id=session.session_id)])


def machine_scores(item: ReviewItem) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(judge scores: judge x dimension, quiz answers: quiz x answerer correct) of the item's figure,
    latest evaluation run first; shown only once the item is rated."""
    return _machine_scores(*cache_key(), item.run_id, item.uid)


@st.cache_data(show_spinner=False, max_entries=64)
def _machine_scores(home: str, version: str, run_id: str, uid: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    the_store = open_store(home)
    judge = the_store.figure_judge_scores(run_id, uid).drop_duplicates(["judge", "dimension"])
    table = judge.pivot_table(index="judge", columns="dimension", values="score", aggfunc="first")
    table = table.reindex(columns=[d for d in DIMENSIONS if d in table.columns]).rename(columns=SHORT_LABELS)
    answers = the_store.figure_quiz_answers(run_id, uid)
    if not answers.empty:
        answers = answers.drop_duplicates(["answerer", "quiz_index"])
        answers = answers.pivot_table(index="quiz_index", columns="answerer", values="correct", aggfunc="first")
        answers = answers.map(lambda value: "right" if value else "wrong")
    return table.reset_index(), answers


def judge_check_notes() -> dict[str, str]:
    """Generation run name -> how its judge was checked against people (runs people rated only)."""
    return _judge_check_notes(*cache_key())


@st.cache_data(show_spinner=False, max_entries=4)
def _judge_check_notes(home: str, version: str) -> dict[str, str]:
    the_store = open_store(home)
    runs = the_store.list_runs(kind="generation")
    names = dict(zip(runs["run_id"], runs["name"], strict=True))
    return {names[run_id]: note for run_id, note in checks.judge_notes(the_store, list(names)).items()}


def judge_check(run_ids: Sequence[str]) -> checks.JudgeCheck:
    return _judge_check(*cache_key(), tuple(sorted(run_ids)))


@st.cache_data(show_spinner="Computing agreement …", max_entries=8)
def _judge_check(home: str, version: str, run_ids: tuple[str, ...]) -> checks.JudgeCheck:
    return checks.judge_check(open_store(home), run_ids)


def agreement_table(check: checks.JudgeCheck) -> pd.DataFrame:
    """The agreement table as people read it: dimension labels, numbers with intervals."""
    table = check.table.copy()
    if table.empty:
        return table

    def interval(value: float, low: float, high: float) -> str:
        if pd.isna(value):
            return "n/a"
        return f"{value:.2f}" + ("" if pd.isna(low) else f" [{low:.2f}, {high:.2f}]")

    return pd.DataFrame({
        "Judge": table["judge"],
        "Dimension": [LABELS.get(d, "all dimensions") for d in table["dimension"]],
        "Alpha (ordinal)": [interval(*row) for row in zip(table["alpha"], table["alpha_low"], table["alpha_high"],
                                                          strict=True)],
        "Weighted kappa": [interval(*row) for row in zip(table["kappa"], table["kappa_low"], table["kappa_high"],
                                                         strict=True)],
        "Items": table["n_items"], "Reviewers": table["n_reviewers"],
    })


def confusion(check: checks.JudgeCheck, dimension: str) -> pd.DataFrame:
    """Counts of (judge score, reviewer score) on one dimension, labelled for reading."""
    table = agreement.confusion_table(check.judge, check.human, dimension)
    return table.rename(index=lambda v: f"judge {v}", columns=lambda v: f"people {v}")


def disagreement_links(check: checks.JudgeCheck, run_names: dict[str, str]) -> pd.DataFrame:
    """The largest judge-people disagreements with a link to the figure in the Explorer."""
    rows = []
    for row in check.disagreements.itertuples():
        run_id, uid = checks.split_item_key(row.item)
        name = next((n for n, i in run_names.items() if i == run_id), run_id)
        rows.append({"Figure": f"/explorer?run={name}&uid={uid}", "Run": name, "Problem": uid, "Gap": row.gap,
                     "Where": row.detail})
    return pd.DataFrame(rows, columns=["Figure", "Run", "Problem", "Gap", "Where"])


ARENA_JUDGES = {"models": "the arena's judge models", "people": "people (Review page, pairwise plan)"}


def arena_runs(judges: str) -> list[str]:
    """Generation runs that took part in a stored comparison by ``judges``."""
    frame = _arena_comparisons(*cache_key(), judges)
    return sorted(set(frame["run_a"]) | set(frame["run_b"]))


@st.cache_data(show_spinner=False, max_entries=4)
def _arena_comparisons(home: str, version: str, judges: str) -> pd.DataFrame:
    return arena.comparisons(open_store(home), judges=judges)


def arena_standings(runs: Sequence[str], judges: str) -> arena.ArenaStandings:
    return _arena_standings(*cache_key(), tuple(sorted(runs)), judges)


@st.cache_data(show_spinner="Fitting Bradley-Terry ratings …", max_entries=8)
def _arena_standings(home: str, version: str, runs: tuple[str, ...], judges: str) -> arena.ArenaStandings:
    return arena.arena_standings(open_store(home), runs, judges=judges)


def ratings_table(standings: arena.ArenaStandings) -> pd.DataFrame:
    table = standings.ratings
    return pd.DataFrame({
        "Run": table["run"], "Rating": table["rating"].round(0),
        "95% interval": [f"[{low:.0f}, {high:.0f}]" for low, high in zip(table["ci_low"], table["ci_high"], strict=True)],
        "Wins": table["wins"], "Comparisons": table["comparisons"],
    })


def bias_line(standings: arena.ArenaStandings) -> str:
    bias = standings.bias
    if not bias["n"]:
        return "No decisive judgement yet: position bias unknown."
    verdict = "the judge favours a position" if bias["biased"] else "no position bias detected"
    return (f"Position bias: the figure shown first was picked in {bias['first_picked']:.0%} of {bias['n']} decisive "
            f"judgements [{bias['ci_low']:.0%}, {bias['ci_high']:.0%}]; 50% is none — {verdict}.")
