"""Pairwise arena: a judge model sees two figures of the same problem, drawn by two generation runs,
and picks the more scientifically correct one, or a tie, with a reason.

An arena evaluation run scores generation run A (the run evaluated, as for any evaluator) against
the run its spec names as ``opponent`` (B): per problem one comparison, stored as per-figure
metric values of A's evaluation run, so resume, the model cache and the ledger work as for any
evaluation:

* ``arena_win``: 1 when A's figure was picked, 0.5 for a tie, 0 when B's was; ``detail`` (JSON)
  holds the opponent, which figure was shown first (``a``/``b``), what the judge picked
  (``first``/``second``/``tie``) and its reason;
* ``arena_first_picked``: 1 when the judge picked the figure shown first, 0 for the second;
  unavailable for ties (the position bias is the share of 1s).

The order is drawn per problem from (seed, problem uid, opponent), so a rerun asks the same
question and hits the cache. A figure that failed to render loses to one that rendered without a
model call; with neither rendered there is nothing to compare (unavailable). Ratings over many
runs: :mod:`core.evaluation.pairwise` (Bradley-Terry).

Spec parameters: model (the judge), opponent (a generation run name or id), seed (default 0),
parse_retries (default 1), temperature, max_tokens, detail.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Literal

from core.evaluation.aggregates import EvaluationRows, figure_aggregates, scaled_values
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
    register_evaluator,
)
from core.evaluation.prompts import Prompt
from core.evaluation.replies import (
    call_model,
    figure_image,
    last_object_span,
    model_param,
    optional_number,
    require_client,
    resolved_model_params,
)
from core.metrics import Aggregate, MetricSpec, declare_metric
from core.models.messages import Message, image_message, system_message, text_message
from core.problems import Problem

__all__ = ["ARENA", "ArenaEvaluator", "COMPARED_FIGURES", "outcome_of", "parse_arena_reply", "shown_first"]

WIN, FIRST_PICKED = "arena_win", "arena_first_picked"
declare_metric(MetricSpec(
    WIN, "Arena win rate", True, 0.0, 100.0, "%",
    "Share of pairwise comparisons against the arena run's opponent that this run's figure won (a tie "
    "counts half), as judged by the arena's judge model.", "arena", "Arena win"))
declare_metric(MetricSpec(
    FIRST_PICKED, "Arena first-shown picked", False, 0.0, 100.0, "%",
    "Position bias of the arena judge: share of its decisive picks that went to the figure shown first "
    "(50% = no bias).", "arena", "First picked"))
COMPARED_FIGURES = "compared_figures"
"""ctx.extras key: generation run name -> {problem uid: FigureUnderTest} of each compared run."""
Picked = Literal["first", "second", "tie"]

ARENA = Prompt(
    name="arena",
    version=1,
    system=(
        "You are an expert reviewer of scientific figures. You compare two figures drawn for the same "
        "problem and decide which one depicts the problem more scientifically correctly: every stated "
        "element, label, value and relation present and right, nothing invented, and physically or "
        "mathematically plausible. Layout and style matter only where they hide or distort content. "
        "Judge only what the figures show; neither is expected to show the problem's answer."
    ),
    template=(
        "Problem:\n$question\n\n"
        "The first image above is Figure 1, the second is Figure 2. Which figure is more scientifically "
        "correct for this problem? Say so in one or two sentences, then end with one JSON object and "
        'nothing after it: {"winner": "1" or "2" or "tie", "reason": "<one sentence>"}'
    ),
)
ARENA_RETRY = Prompt(
    name="arena_retry",
    version=1,
    system="",
    template='Your reply could not be read. End with exactly one JSON object: {"winner": "1" or "2" or "tie", '
    '"reason": "<one sentence>"}',
)
_WORDS: dict[str, Picked] = {
    "1": "first", "first": "first", "figure1": "first", "a": "first", "left": "first",
    "2": "second", "second": "second", "figure2": "second", "b": "second", "right": "second",
    "tie": "tie", "equal": "tie", "both": "tie", "neither": "tie", "draw": "tie",
}


def parse_arena_reply(text: str | None) -> tuple[Picked | None, str | None]:
    """(what the judge picked, its reason) from the last JSON object with a ``winner``."""
    if not text:
        return None, None
    span = last_object_span(text, lambda data: any(str(key).lower() == "winner" for key in data))
    if span is None:
        return None, None
    data = {str(key).lower(): value for key, value in span[2].items()}
    word = "".join(ch for ch in str(data.get("winner", "")).lower() if ch.isalnum())
    reason = data.get("reason")
    return _WORDS.get(word), str(reason).strip() if reason else None


def shown_first(seed: int, problem_uid: str, opponent: str) -> Literal["a", "b"]:
    """Whose figure the judge sees first: a fair coin fixed by (seed, problem, opponent)."""
    digest = hashlib.sha256(f"{seed}|{problem_uid}|{opponent}".encode()).digest()
    return "a" if digest[0] % 2 == 0 else "b"


def outcome_of(picked: Picked, first: str) -> float:
    """1 when run a's figure was picked, 0.5 for a tie, 0 when run b's (``first``: 'a' or 'b')."""
    if picked == "tie":
        return 0.5
    picked_run = first if picked == "first" else ("b" if first == "a" else "a")
    return 1.0 if picked_run == "a" else 0.0


@register_evaluator
class ArenaEvaluator(FigureEvaluator):
    """A judge model picks the better of two runs' figures of each problem (or a tie)."""

    name: ClassVar[str] = "arena"
    label: ClassVar[str] = "pairwise arena: a judge model picks the more correct of two runs' figures (needs opponent)"
    produces: ClassVar[tuple[str, ...]] = (WIN, FIRST_PICKED)
    needs_model: ClassVar[bool] = True
    prompts: ClassVar[tuple[Prompt, ...]] = (ARENA, ARENA_RETRY)

    @classmethod
    def complete_spec(cls, spec: EvaluatorSpec, *, config: Any = None, home: Any = None) -> EvaluatorSpec:
        params = {"seed": 0, "parse_retries": 1, **dict(spec.params)}
        completed = EvaluatorSpec.create(spec.name, **resolved_model_params(spec.name, params, config=config, home=home))
        cls(completed)
        return completed

    @classmethod
    def compared_runs(cls, spec: EvaluatorSpec) -> tuple[str, ...]:
        return (str(spec.param("opponent")),)

    @classmethod
    def run_label(cls, spec: EvaluatorSpec) -> str:
        seed = spec.param("seed", 0)
        return f"arena:{spec.param('model')} vs {spec.param('opponent')}" + (f" seed={seed}" if seed else "")

    @classmethod
    def aggregate(cls, rows: EvaluationRows) -> list[Aggregate]:
        """Win rate and first-shown share per scope, in percent, intervals clustered by problem."""
        values = scaled_values(scaled_values(rows.metric_values, WIN, 100.0), FIRST_PICKED, 100.0)
        return figure_aggregates(rows.with_values(values))

    def __init__(self, spec: EvaluatorSpec) -> None:
        super().__init__(spec)
        self.model = model_param(spec)
        opponent = spec.param("opponent")
        if not isinstance(opponent, str) or not opponent.strip():
            raise ValueError("evaluator 'arena' needs 'opponent': the generation run to compare against")
        self.opponent = opponent.strip()
        self.seed = int(spec.param("seed", 0) or 0)
        retries = spec.param("parse_retries", 1)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"evaluator 'arena': 'parse_retries' must be an integer >= 0, got {retries!r}")
        self.parse_retries = retries
        self.temperature = optional_number(spec, "temperature", float)
        self.max_tokens = optional_number(spec, "max_tokens", int)
        self.detail = spec.param("detail")

    def _values(self, uid: str, outcome: float | None, first: str, picked: Picked | None, reason: str | None,
                status: Literal["ok", "unavailable", "failed"] = "ok") -> list[MetricValue]:
        detail = json.dumps({"opponent": self.opponent, "first_shown": first, "picked": picked, "reason": reason},
                            ensure_ascii=False)
        first_picked = None if picked not in ("first", "second") else float(picked == "first")
        return [
            MetricValue(problem_uid=uid, metric=WIN, value=outcome, status=status, detail=detail),
            MetricValue(problem_uid=uid, metric=FIRST_PICKED, value=first_picked,
                        status="ok" if first_picked is not None else "unavailable", detail=detail),
        ]

    async def evaluate(self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext) -> EvaluationOutput:
        opponents = (ctx.extras.get(COMPARED_FIGURES) or {}).get(self.opponent, {})
        other = opponents.get(problem.uid)
        mine, theirs = figure_image(figure), figure_image(other) if other is not None else None
        first = shown_first(self.seed, problem.uid, self.opponent)
        if mine is None or theirs is None:
            if mine is None and theirs is None:
                return EvaluationOutput(metric_values=self._values(
                    problem.uid, None, first, None, "neither run has an image of this problem", "unavailable"))
            outcome = 1.0 if theirs is None else 0.0
            loser = "the opponent's" if theirs is None else "this run's"
            return EvaluationOutput(metric_values=self._values(
                problem.uid, outcome, first, None, f"{loser} figure has no image"))
        images = [mine, theirs] if first == "a" else [theirs, mine]
        client = require_client(ctx, self.name)
        messages: list[Message] = [
            system_message(ARENA.system),
            image_message(ARENA.render(question=problem.question), images, detail=self.detail, text_first=False),
        ]
        output = EvaluationOutput()
        for _ in range(self.parse_retries + 1):
            reply = await call_model(client, self.model, messages, use_cache=ctx.use_cache,
                                     temperature=self.temperature, max_tokens=self.max_tokens)
            output.ledger.extend(reply.ledger)
            if not reply.ok:
                output.metric_values = self._values(problem.uid, None, first, None, reply.failure_class, "failed")
                output.notes.append(f"{problem.uid}: arena judge {self.model} failed: {reply.failure_class}")
                return output
            picked, reason = parse_arena_reply(reply.text)
            if picked is not None:
                output.metric_values = self._values(problem.uid, outcome_of(picked, first), first, picked, reason)
                return output
            messages = [*messages, {"role": "assistant", "content": reply.text or ""},
                        text_message(ARENA_RETRY.render())]
        output.metric_values = self._values(problem.uid, None, first, None, "unparsable reply", "failed")
        output.notes.append(f"{problem.uid}: arena judge {self.model} gave no readable pick")
        return output
