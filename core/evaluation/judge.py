"""LMM-as-judge: a vision model grades a figure for its problem on five dimensions, 0-2 each.

The judge sees the image and the problem question (never the answer), writes one short line of
reasoning per dimension and ends with a JSON object of integer scores (rubric in
:data:`core.evaluation.prompts.JUDGE`). The reply is read robustly: the LAST JSON object in it
(inside code fences or not, with prose after it, single quotes or trailing commas), keys matched
by name variants ("Correctness & Fidelity", "correctness", "cf", "judge_cf" ...), scores given as
2, 2.0, "2" or "2/2". An unreadable reply is asked again, at most ``parse_retries`` more times
(default 2; the reference code retries forever), then its dimensions are stored with
``score=None`` and ``error_class='unparsable'``. The reasoning line of each dimension is stored as
its rationale.

Several judges per run: one ``judge`` evaluator takes ``judges=[...]`` (or ``model=...`` for one)
and asks them all concurrently; every JudgeScore names its judge, so agreement between judges
(:mod:`core.evaluation.agreement`) is computed from the stored rows.

Spec parameters: judges (list of profile names / model strings) or model (one), parse_retries
(default 2), temperature, max_tokens, detail (image detail for providers that read it).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.evaluation.aggregates import EvaluationRows, figure_aggregates, judge_alpha_aggregates
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    JudgeScore,
    register_evaluator,
    resolve_model_settings,
)
from core.evaluation.prompts import JUDGE, JUDGE_JSON_KEYS, JUDGE_RETRY, Prompt
from core.evaluation.replies import (
    BAD_IMAGE,
    MISSING_IMAGE,
    UNPARSABLE,
    call_model,
    figure_image,
    last_object_span,
    optional_number,
)
from core.metrics import JUDGE_DIMENSIONS, Aggregate
from core.models.ledger import LedgerEntry
from core.models.messages import Message, image_message, system_message, text_message
from core.problems import Problem

__all__ = [
    "DIMENSIONS",
    "JudgeEvaluator",
    "JudgeReading",
    "dimension_of_key",
    "parse_judge_reply",
]

DIMENSIONS: tuple[str, ...] = tuple(name for name, _ in JUDGE_DIMENSIONS)
DEFAULT_PARSE_RETRIES = 2
NO_IMAGE_RATIONALE = "no image: the figure failed to render or its file is missing; every dimension scores 0"
"""A figure that was not drawn scores 0 on every dimension: nothing in it is correct, laid out,
readable, plausible or expressive (agreement between judges leaves these out)."""
_RATIONALE_LIMIT = 1_500


# ---- reading scores --------------------------------------------------------------------------

_WORDS: Mapping[str, tuple[str, str]] = {
    "judge_cf": ("correctness", "fidelity"),
    "judge_lp": ("layout", "precision"),
    "judge_ro": ("readability", "occlusion"),
    "judge_sp": ("scientific", "plausibility"),
    "judge_er": ("expressiveness", "richness"),
}


def _squash(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


_ALIASES: dict[str, str] = {}
for _dimension, (_first, _second) in _WORDS.items():
    for _alias in (
        _first + _second,
        _first + "and" + _second,
        _first,
        _second,
        _dimension,
        _dimension.removeprefix("judge_"),
        JUDGE_JSON_KEYS[_dimension],
    ):
        _ALIASES[_squash(_alias)] = _dimension
_ALIASES["plausibility"] = "judge_sp"
_ALIASES["expressiveness"] = "judge_er"


def dimension_of_key(key: object) -> str | None:
    """The dimension (judge_cf ...) a JSON key names, in any of its spellings; else None."""
    squashed = _squash(str(key))
    if squashed in _ALIASES:
        return _ALIASES[squashed]
    for suffix in ("score", "rating"):  # "correctness_score"
        if squashed.endswith(suffix) and squashed[: -len(suffix)] in _ALIASES:
            return _ALIASES[squashed[: -len(suffix)]]
    return None


def _score_value(value: object) -> int | None:
    """0, 1 or 2 from 2, 2.0, "2", "2/2", "2 (fully meets)"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*2\b)?", value)
        if match is None:
            return None
        number = float(match.group(1))
    else:
        return None
    if number not in (0.0, 1.0, 2.0):
        return None
    return int(number)


_RATIONALE_KEYS = ("reasoning", "rationale", "reason", "justification", "explanation", "comment")


def _read_scores(
    data: Mapping[str, Any], scores: dict[str, int], rationales: dict[str, str], issues: list[str]
) -> None:
    for key, value in data.items():
        dimension = dimension_of_key(key)
        if dimension is None:
            if isinstance(value, Mapping):  # {"scores": {...}}
                _read_scores(value, scores, rationales, issues)
            continue
        if isinstance(value, Mapping):  # {"correctness": {"score": 2, "reasoning": "..."}}
            inner = {str(k).lower(): v for k, v in value.items()}
            reason = next((inner[name] for name in _RATIONALE_KEYS if isinstance(inner.get(name), str)), None)
            if reason:
                rationales.setdefault(dimension, reason.strip())
            value = inner.get("score", inner.get("rating"))
        score = _score_value(value)
        if score is None:
            issues.append(f"{JUDGE_JSON_KEYS[dimension]} has {value!r}, not an integer 0-2")
        elif dimension not in scores:
            scores[dimension] = score


def _heading_pattern(dimension: str) -> re.Pattern[str]:
    first, second = _WORDS[dimension]
    name = (
        rf"(?:{first}(?:\s*(?:&|and|/|_|,)?\s*{second})?|{second}|{JUDGE_JSON_KEYS[dimension]}|{dimension})"
    )
    return re.compile(
        rf"^[ \t>#*\-\d.)]*(?:\*\*)?[ \t]*{name}\b[^\n:]{{0,30}}?(?:\*\*)?[ \t]*(?::|\s-\s|\s–\s)",
        re.IGNORECASE | re.MULTILINE,
    )


_HEADINGS = {dimension: _heading_pattern(dimension) for dimension in DIMENSIONS}


def _prose_rationales(prose: str) -> dict[str, str]:
    """The reasoning line(s) under each dimension's heading in the text before the JSON."""
    starts: list[tuple[int, int, str]] = []
    for dimension, pattern in _HEADINGS.items():
        match = pattern.search(prose)
        if match is not None:
            starts.append((match.start(), match.end(), dimension))
    starts.sort()
    found: dict[str, str] = {}
    for position, (_, body_start, dimension) in enumerate(starts):
        body_end = starts[position + 1][0] if position + 1 < len(starts) else len(prose)
        body = re.sub(r"\s*```[a-zA-Z]*\s*$", "", prose[body_start:body_end])
        body = re.sub(r"[*`]+", "", body).strip()
        if body:
            found[dimension] = body[:_RATIONALE_LIMIT]
    return found


@dataclass
class JudgeReading:
    """What one judge reply gave: scores found, a rationale per dimension, and what was wrong."""

    scores: dict[str, int] = field(default_factory=dict)
    rationales: dict[str, str] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(dimension in self.scores for dimension in DIMENSIONS)

    @property
    def missing(self) -> list[str]:
        return [dimension for dimension in DIMENSIONS if dimension not in self.scores]

    def problem(self) -> str:
        """One line for the retry prompt."""
        parts = list(self.issues)
        if self.missing:
            parts.append("no score for " + ", ".join(JUDGE_JSON_KEYS[d] for d in self.missing))
        return "; ".join(parts) or "no JSON object with the five scores was found"


def parse_judge_reply(text: str | None) -> JudgeReading:
    """Scores and rationales from a judge reply (see the module docstring for what is accepted)."""
    reading = JudgeReading()
    if not text or not text.strip():
        reading.issues.append("the reply was empty")
        return reading
    span = last_object_span(text, lambda data: _mentions_dimension(data))
    if span is None:
        reading.issues.append("no JSON object with the five scores was found")
        return reading
    start, _, data = span
    _read_scores(data, reading.scores, reading.rationales, reading.issues)
    prose = text[:start]
    for dimension, rationale in _prose_rationales(prose).items():
        reading.rationales[dimension] = rationale
    fallback = re.sub(r"\s*```(?:json)?\s*$", "", prose).strip()
    if fallback:
        for dimension in DIMENSIONS:
            reading.rationales.setdefault(dimension, fallback[:_RATIONALE_LIMIT])
    return reading


def _mentions_dimension(data: Mapping[str, Any]) -> bool:
    for key, value in data.items():
        if dimension_of_key(key) is not None:
            return True
        if isinstance(value, Mapping) and _mentions_dimension(value):
            return True
    return False


# ---- the evaluator -------------------------------------------------------------------------------


def _judges_param(spec: EvaluatorSpec) -> tuple[str, ...]:
    judges = spec.param("judges")
    model = spec.param("model")
    if judges is not None and model is not None:
        raise ValueError("evaluator 'judge': give either 'judges' (a list) or 'model' (one), not both")
    if judges is None:
        judges = [model] if model is not None else []
    if isinstance(judges, str):
        judges = [part for part in judges.split(",")]
    names = [str(judge).strip() for judge in judges if isinstance(judge, str) and judge.strip()]
    if not names or len(names) != len(judges):
        raise ValueError(
            "evaluator 'judge' needs 'judges': a list of profile names or LiteLLM model strings "
            f"(or 'model' for one judge); got {judges!r}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"evaluator 'judge': the same judge is listed twice in {names!r}")
    return tuple(names)


@register_evaluator
class JudgeEvaluator(FigureEvaluator):
    """The five-dimension LMM judge; several judges per evaluator, asked concurrently."""

    name: ClassVar[str] = "judge"
    label: ClassVar[str] = "five-dimension LMM judge (0-2 per dimension), one or more judge models"
    produces: ClassVar[tuple[str, ...]] = ("judge_scores",)
    needs_model: ClassVar[bool] = True
    prompts: ClassVar[tuple[Prompt, ...]] = (JUDGE, JUDGE_RETRY)

    @classmethod
    def complete_spec(cls, spec: EvaluatorSpec, *, config: Any = None, home: Any = None) -> EvaluatorSpec:
        """``model`` (one judge) or ``judges`` (a list or comma-separated text) becomes ``judges``,
        with each judge's secret-free fingerprint in ``judge_fingerprints``."""
        judges = list(_judges_param(spec))
        params = {key: value for key, value in spec.params if key not in ("model", "judges")}
        params["judges"] = judges
        params["judge_fingerprints"] = [resolve_model_settings(judge, config=config, home=home)[1] for judge in judges]
        completed = EvaluatorSpec.create(spec.name, **params)
        cls(completed)
        return completed

    @classmethod
    def model_names(cls, spec: EvaluatorSpec) -> tuple[str, ...]:
        return _judges_param(spec)

    @classmethod
    def aggregate(cls, rows: EvaluationRows) -> list[Aggregate]:
        """The judge dimensions per scope, and with two or more judges their agreement."""
        return figure_aggregates(rows) + judge_alpha_aggregates(rows)

    def __init__(self, spec: EvaluatorSpec) -> None:
        super().__init__(spec)
        self.judges = _judges_param(spec)
        retries = spec.param("parse_retries", DEFAULT_PARSE_RETRIES)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"evaluator 'judge': 'parse_retries' must be an integer >= 0, got {retries!r}")
        self.parse_retries = retries
        self.temperature = optional_number(spec, "temperature", float)
        self.max_tokens = optional_number(spec, "max_tokens", int)
        self.detail = spec.param("detail")

    def _rows(
        self, problem: Problem, judge: str, reading: JudgeReading | None, error_class: str | None
    ) -> list[JudgeScore]:
        rows = []
        for dimension in DIMENSIONS:
            score = reading.scores.get(dimension) if reading is not None else None
            rows.append(
                JudgeScore(
                    problem_uid=problem.uid,
                    judge=judge,
                    dimension=dimension,
                    score=0 if error_class == MISSING_IMAGE else score,
                    rationale=NO_IMAGE_RATIONALE if error_class == MISSING_IMAGE
                    else reading.rationales.get(dimension) if reading is not None else None,
                    error_class=None if score is not None else error_class or UNPARSABLE,
                )
            )
        return rows

    async def _ask(
        self, problem: Problem, judge: str, first: Message, ctx: EvaluationContext
    ) -> tuple[list[JudgeScore], list[LedgerEntry], str | None]:
        assert ctx.client is not None
        messages: list[Message] = [system_message(JUDGE.system), first]
        ledger: list[LedgerEntry] = []
        best: JudgeReading | None = None
        for attempt in range(self.parse_retries + 1):
            reply = await call_model(
                ctx.client,
                judge,
                messages,
                use_cache=ctx.use_cache,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
            )
            ledger.extend(reply.ledger)
            if not reply.ok:
                # A model failure (after the client's own retries) ends this judge's turn.
                return (
                    self._rows(problem, judge, best, reply.failure_class),
                    ledger,
                    (f"{problem.uid}: judge {judge} failed: {reply.failure_class}"),
                )
            reading = parse_judge_reply(reply.text)
            if best is None or len(reading.scores) > len(best.scores):
                best = reading
            if reading.complete:
                note = f"{problem.uid}: judge {judge} needed {attempt} retr{'y' if attempt == 1 else 'ies'}"
                return self._rows(problem, judge, reading, None), ledger, note if attempt else None
            # Ask again in the same conversation, saying what was wrong.
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text or ""},
                text_message(JUDGE_RETRY.render(problem=reading.problem())),
            ]
        note = (
            f"{problem.uid}: judge {judge} gave no readable scores after {self.parse_retries + 1} "
            f"tries ({best.problem() if best else 'no reply'})"
        )
        return self._rows(problem, judge, best, UNPARSABLE), ledger, note

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        image = figure_image(figure)
        if image is None:
            return EvaluationOutput(
                judge_scores=[
                    row for judge in self.judges for row in self._rows(problem, judge, None, MISSING_IMAGE)
                ],
                notes=[f"{problem.uid}: no image ({figure.error_class or figure.status}); not judged"],
            )
        if ctx.client is None:
            raise RuntimeError("evaluator 'judge' calls a model: give EvaluationContext a ModelClient")
        try:
            first = image_message(
                JUDGE.render(question=problem.question), image, detail=self.detail, text_first=False
            )
        except ValueError as exc:
            return EvaluationOutput(
                judge_scores=[
                    row for judge in self.judges for row in self._rows(problem, judge, None, BAD_IMAGE)
                ],
                notes=[f"{problem.uid}: {exc}"],
            )
        results = await asyncio.gather(*(self._ask(problem, judge, first, ctx) for judge in self.judges))
        output = EvaluationOutput()
        for rows, ledger, note in results:
            output.judge_scores.extend(rows)
            output.ledger.extend(ledger)
            if note:
                output.notes.append(note)
        return output
