"""Inverse validation: a vision model answers each quiz from the image alone.

For every figure and every quiz the answering model gets only the image, the quiz question and
its options, never the problem text. Options are shuffled per call with a seed derived from the
run seed, the problem uid and the quiz index (the published quizzes' correct letters are skewed:
C 40 %, B 37 %, A 10 %), shown relabelled A, B, C, ..., and the chosen label is mapped back to the
quiz's ORIGINAL key before it is stored.

Reading the reply is deterministic first (a lone letter, "Answer: C", "(C)", "C.", "**C**",
"The answer is C", the option's text itself); only a free-text reply that none of these rules
can read goes to a grader model with a strict prompt, which maps it to one option or NONE.

Also here: the ``mmq`` evaluator, which has the vision model solve the problem's
``multimodal_question`` from the image and a strict LLM grader compare the result with the
reference answer (stored as the per-item metric ``mmq_correct``).

Registered evaluators and their spec parameters::

    vqa:  model (required; profile name or LiteLLM model string), grader (default: model),
          seed (run seed, default 0), shuffle (default true), temperature, max_tokens, detail
    mmq:  model (required), grader (default: model), temperature, max_tokens,
          grade_retries (default 1)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from core.evaluation.aggregates import EvaluationRows, figure_aggregates, scaled_values
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    EvaluatorSpec,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
    QuizAnswer,
    register_evaluator,
)
from core.evaluation.prompts import ANSWER_GRADER, MMQ_ANSWER, MMQ_GRADER, VQA_ANSWER, Prompt
from core.evaluation.replies import (
    BAD_IMAGE,
    MISSING_IMAGE,
    UNPARSABLE,
    call_model,
    figure_image,
    grader_suffix,
    known_cost,
    last_json_object,
    model_param,
    optional_number,
    require_client,
    resolved_model_params,
    total_latency,
)
from core.metrics import Aggregate
from core.models.ledger import LedgerEntry
from core.models.messages import Message, image_message, system_message, text_message
from core.problems import Problem, Quiz

if TYPE_CHECKING:
    from core.models import ModelClient

__all__ = [
    "MISSING_IMAGE",
    "NO_OPTION",
    "OPTION_LABELS",
    "UNPARSABLE",
    "AnswerOutcome",
    "MmqEvaluator",
    "PresentedQuiz",
    "VqaEvaluator",
    "answer_quiz",
    "derive_seed",
    "parse_grader_reply",
    "parse_option_reply",
    "present_quiz",
    "present_with_correct_at",
]

OPTION_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# error_class values of this module (model failures use core.models.FailureClass values).
NO_OPTION = "no_option"  # the grader says the reply chose no single option


# ---- seeds and option order ------------------------------------------------------------------


def derive_seed(
    run_seed: int, problem_uid: str, quiz_index: int, *, purpose: str = "vqa", repeat: int = 0
) -> int:
    """A 63-bit seed from the run seed, the problem and the quiz (stable across processes and
    Python versions, unlike ``hash``); ``purpose`` and ``repeat`` keep other uses independent."""
    text = f"{purpose}|{run_seed}|{problem_uid}|{quiz_index}|{repeat}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class PresentedQuiz:
    """A quiz as shown to a model: options in a (shuffled) order under labels A, B, C, ..."""

    question: str
    presented_keys: tuple[str, ...]
    """Original option keys, in the order shown."""
    texts: tuple[str, ...]
    seed: int | None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(OPTION_LABELS[: len(self.presented_keys)])

    def original_key(self, label: str) -> str:
        return self.presented_keys[self.labels.index(label)]

    def label_of(self, original_key: str) -> str:
        return self.labels[self.presented_keys.index(original_key)]

    def options_block(self) -> str:
        return "\n".join(f"{label}. {text}" for label, text in zip(self.labels, self.texts, strict=True))

    def label_list(self) -> str:
        """``A, B, C or D``."""
        labels = list(self.labels)
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def present_quiz(quiz: Quiz, seed: int | None) -> PresentedQuiz:
    """The quiz with options shuffled by ``random.Random(seed)``; ``seed=None`` keeps the order."""
    if len(quiz.options) > len(OPTION_LABELS):
        raise ValueError(f"a quiz with {len(quiz.options)} options cannot be labelled A-Z")
    keys = list(quiz.options)
    if seed is not None:
        random.Random(seed).shuffle(keys)
    return PresentedQuiz(quiz.question, tuple(keys), tuple(quiz.options[key] for key in keys), seed)


def present_with_correct_at(quiz: Quiz, position: int, seed: int) -> PresentedQuiz:
    """A shuffle (seeded) that puts the correct option at ``position``: blind audits use it so a
    model that always picks one letter cannot look as if it knew the answer."""
    rng = random.Random(seed)
    others = [key for key in quiz.options if key != quiz.correct_option]
    rng.shuffle(others)
    position = max(0, min(position, len(others)))
    keys = [*others[:position], quiz.correct_option, *others[position:]]
    return PresentedQuiz(quiz.question, tuple(keys), tuple(quiz.options[key] for key in keys), seed)


# ---- reading a reply ---------------------------------------------------------------------------

_MARKUP = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")
_MAX_EXTRA_WORDS = 8  # "The plates are 26 cm." still reads as the option "26 cm"
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " "})


def _normalise(text: str) -> str:
    """Lower-case, NFKC, unicode minus as '-', spaces collapsed, surrounding punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = " ".join(text.split())
    return text.strip(" .,;:!?\"'()[]{}").lower()


def _lone_letter(text: str, labels: Sequence[str]) -> str | None:
    """The whole reply is one label, optionally bracketed or followed by . : ! (any case)."""
    letters = "".join(labels)
    clean = _MARKUP.sub("", text).strip()
    lone = re.fullmatch(rf"[\(\[]?\s*([{letters}])\s*[\)\]]?\s*[.:!]?", clean, re.IGNORECASE)
    return lone.group(1).upper() if lone else None


def _letter_statements(text: str, labels: Sequence[str]) -> str | None:
    """A label named in a sentence, by these rules in order:

    - the last "answer / option / choice [is|:|=] X" statement ("Answer: C", "The answer is C");
    - the reply starts with a label and a delimiter: "C. 26 cm", "(C) 26 cm", "C) ...", "C is ...";
    - exactly one distinct label written bracketed or bold anywhere: "(C)", "[C]", "**C**".
    """
    letters = "".join(labels)
    bold = {m.group(1) for m in re.finditer(rf"\*\*\s*([{letters}])\s*\*\*", text)}
    clean = _MARKUP.sub("", text).strip()
    stated = re.findall(
        rf"(?i:answer|option|choice)(?:\s+(?i:is|would\s+be|should\s+be))?\s*[:=]?\s*(?i:option\s+)?"
        rf"[\(\[]?\s*([{letters}])(?![A-Za-z0-9])",
        clean,
    )
    if stated:
        return stated[-1]
    leading = re.match(
        rf"^(?:\(([{letters}])\)|\[([{letters}])\]|([{letters}])\s*[.:)\]]|([{letters}])\s*\n"
        rf"|([{letters}])\s+(?:is|would be|should be)\b)",
        clean,
    )
    if leading:
        return next(group for group in leading.groups() if group)
    bracketed = {m.group(1) for m in re.finditer(rf"[\(\[]\s*([{letters}])\s*[\)\]]", clean)} | bold
    if len(bracketed) == 1:
        return bracketed.pop()
    return None


def _letter_rules(text: str, labels: Sequence[str]) -> str | None:
    return _lone_letter(text, labels) or _letter_statements(text, labels)


def _equal_text(text: str, presented: PresentedQuiz) -> str | None:
    """The label whose option text the whole reply is (exactly, else after normalising)."""
    stripped = _MARKUP.sub("", text).strip().strip(" .")
    pairs = list(zip(presented.labels, presented.texts, strict=True))
    for candidate in (text.strip(), stripped):  # raw first: option texts may hold '*' or '_'
        exact = [label for label, option in pairs if option.strip() == candidate]
        if len(exact) == 1:
            return exact[0]
    reply = _normalise(stripped)
    equal = [label for label, option in pairs if reply and _normalise(option) == reply]
    return equal[0] if len(equal) == 1 else None


def _contained_text(text: str, presented: PresentedQuiz) -> str | None:
    """The label of the one option whose text a short reply contains ("The plates are 26 cm.")."""
    reply = _normalise(_MARKUP.sub("", text))
    found: list[tuple[str, str]] = []
    for label, option in zip(presented.labels, (_normalise(t) for t in presented.texts), strict=True):
        if len(option) < 2:
            continue  # one-character options ("m", "θ") would match inside any word
        if re.search(rf"(?<![0-9a-z]){re.escape(option)}(?![0-9a-z])", reply):
            found.append((label, option))
    # "1.7e+5 ly" also contains "1.7e+5": keep only options not inside another found option.
    maximal = [
        (label, option)
        for label, option in found
        if not any(option != other and option in other for _, other in found)
    ]
    if len(maximal) != 1:
        return None
    label, option = maximal[0]
    # A longer text may mention an option only to reject it: leave it to the grader.
    return label if len(reply.split()) - len(option.split()) <= _MAX_EXTRA_WORDS else None


def parse_option_reply(reply: str | None, presented: PresentedQuiz) -> str | None:
    """The LABEL (A, B, ...) a reply chose, by deterministic rules only; None when free text.

    Rules in order: a lone lower-case letter that is exactly one option's text (SeePhys options
    such as "m", "a") is that option; a lone letter is a label; a reply that IS one option's text
    is that option; a label stated in a sentence ("Answer: C", "C. 26 cm", "(C)", "**C**"); a short
    reply containing exactly one option's text.
    """
    if reply is None or not reply.strip():
        return None
    labels = presented.labels
    stripped = _MARKUP.sub("", reply).strip()
    if len(stripped) == 1 and stripped.islower():
        same = [
            label for label, option in zip(labels, presented.texts, strict=True) if option.strip() == stripped
        ]
        if len(same) == 1:
            return same[0]
    return (
        _lone_letter(reply, labels)
        or _equal_text(reply, presented)
        or _letter_statements(reply, labels)
        or _contained_text(reply, presented)
    )


def parse_grader_reply(reply: str | None, presented: PresentedQuiz) -> tuple[str | None, bool]:
    """(label, readable): the grader's verdict. ``(None, True)`` means it answered NONE."""
    if reply is None:
        return None, False
    clean = _MARKUP.sub("", reply).strip().strip(".!").strip()
    if re.fullmatch(r"(?i)none", clean) or re.search(r"(?i)\bnone\b\s*$", clean):
        return None, True
    label = _letter_rules(reply, presented.labels)
    return label, label is not None


# ---- answering one quiz ------------------------------------------------------------------------


@dataclass
class AnswerOutcome:
    """What one quiz call gave: the label chosen and the ORIGINAL key it maps back to."""

    presented: PresentedQuiz
    raw_reply: str | None
    label: str | None
    original_key: str | None
    error_class: str | None
    grader_reply: str | None = None
    ledger: list[LedgerEntry] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        return known_cost(self.ledger)

    @property
    def latency_s(self) -> float | None:
        return total_latency(self.ledger)


def _answer_messages(
    prompt: Prompt, presented: PresentedQuiz, image: bytes | None, detail: str | None
) -> list[Message]:
    text = prompt.render(
        question=presented.question, options=presented.options_block(), example=presented.labels[-1]
    )
    user = (
        image_message(text, image, detail=detail, text_first=False)
        if image is not None
        else text_message(text)
    )
    return [system_message(prompt.system), user]


async def answer_quiz(
    client: ModelClient,
    model: str,
    presented: PresentedQuiz,
    *,
    image: bytes | None,
    grader: str | None = None,
    prompt: Prompt = VQA_ANSWER,
    use_cache: bool = True,
    temperature: float | None = None,
    max_tokens: int | None = None,
    detail: str | None = None,
) -> AnswerOutcome:
    """Ask ``model`` the presented quiz (with ``image`` when given, else text only) and read the
    chosen option: deterministic rules first, then one call to ``grader`` for free text."""
    try:
        messages = _answer_messages(prompt, presented, image, detail)
    except ValueError as exc:  # image bytes of an unknown format
        return AnswerOutcome(presented, None, None, None, BAD_IMAGE, grader_reply=str(exc))
    reply = await call_model(
        client, model, messages, use_cache=use_cache, temperature=temperature, max_tokens=max_tokens
    )
    if not reply.ok:
        return AnswerOutcome(presented, None, None, None, reply.failure_class, ledger=list(reply.ledger))
    ledger = list(reply.ledger)
    label = parse_option_reply(reply.text, presented)
    if label is not None:
        return AnswerOutcome(presented, reply.text, label, presented.original_key(label), None, ledger=ledger)
    if not (reply.text or "").strip():
        return AnswerOutcome(presented, reply.text, None, None, UNPARSABLE, ledger=ledger)

    grade_messages = [
        system_message(ANSWER_GRADER.system),
        text_message(
            ANSWER_GRADER.render(
                question=presented.question,
                options=presented.options_block(),
                reply=reply.text,
                labels=", ".join(presented.labels),
            )
        ),
    ]
    graded = await call_model(client, grader or model, grade_messages, use_cache=use_cache, temperature=0.0)
    ledger.extend(graded.ledger)
    if not graded.ok:
        return AnswerOutcome(presented, reply.text, None, None, graded.failure_class, ledger=ledger)
    label, readable = parse_grader_reply(graded.text, presented)
    if label is None:
        error = NO_OPTION if readable else UNPARSABLE
        return AnswerOutcome(
            presented, reply.text, None, None, error, grader_reply=graded.text, ledger=ledger
        )
    return AnswerOutcome(
        presented,
        reply.text,
        label,
        presented.original_key(label),
        None,
        grader_reply=graded.text,
        ledger=ledger,
    )


# ---- evaluators ---------------------------------------------------------------------------------


@register_evaluator
class VqaEvaluator(FigureEvaluator):
    """Quiz answering by a vision model from the image alone (inverse validation)."""

    name: ClassVar[str] = "vqa"
    label: ClassVar[str] = "quizzes answered from the image by a vision model (inverse validation)"
    produces: ClassVar[tuple[str, ...]] = ("quiz_answers",)
    needs_model: ClassVar[bool] = True
    prompts: ClassVar[tuple[Prompt, ...]] = (VQA_ANSWER, ANSWER_GRADER)

    @classmethod
    def complete_spec(cls, spec: EvaluatorSpec, *, config: Any = None, home: Any = None) -> EvaluatorSpec:
        params = {"seed": 0, "shuffle": True, **dict(spec.params)}
        completed = EvaluatorSpec.create(spec.name, **resolved_model_params(spec.name, params, config=config, home=home))
        cls(completed)
        return completed

    @classmethod
    def run_label(cls, spec: EvaluatorSpec) -> str:
        """``vqa:<model>``, then `` seed=<n>`` for a seed other than 0, `` grader=<g>`` when a
        grader is named, `` unshuffled`` when options keep their order."""
        label = f"vqa:{spec.param('model')}"
        if spec.param("seed", 0) not in (0, None):
            label += f" seed={spec.param('seed')}"
        label += grader_suffix(spec)
        return label + (" unshuffled" if spec.param("shuffle", True) is False else "")

    def __init__(self, spec: EvaluatorSpec) -> None:
        super().__init__(spec)
        self.model = model_param(spec)
        self.grader = model_param(spec, "grader") if spec.param("grader") is not None else self.model
        seed = spec.param("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"evaluator 'vqa': parameter 'seed' must be an integer, got {seed!r}")
        self.run_seed = seed
        self.shuffle = bool(spec.param("shuffle", True))
        self.temperature = optional_number(spec, "temperature", float)
        self.max_tokens = optional_number(spec, "max_tokens", int)
        self.detail = spec.param("detail")

    def seed_for(self, problem_uid: str, quiz_index: int) -> int | None:
        """The recorded shuffle seed of one quiz call (None when shuffling is off)."""
        return derive_seed(self.run_seed, problem_uid, quiz_index) if self.shuffle else None

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        if not problem.quizzes:
            return EvaluationOutput(notes=[f"{problem.uid}: no quizzes to answer"])
        image = figure_image(figure)
        if image is None:
            return EvaluationOutput(
                quiz_answers=[
                    QuizAnswer(
                        problem_uid=problem.uid,
                        quiz_index=index,
                        answerer=self.model,
                        correct=False,
                        error_class=MISSING_IMAGE,
                    )
                    for index in range(len(problem.quizzes))
                ],
                notes=[
                    f"{problem.uid}: no image ({figure.error_class or figure.status}); every quiz counts as wrong"
                ],
            )
        client = require_client(ctx, self.name)
        outcomes = await asyncio.gather(
            *(
                answer_quiz(
                    client,
                    self.model,
                    present_quiz(quiz, self.seed_for(problem.uid, index)),
                    image=image,
                    grader=self.grader,
                    use_cache=ctx.use_cache,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                    detail=self.detail,
                )
                for index, quiz in enumerate(problem.quizzes)
            )
        )
        answers: list[QuizAnswer] = []
        ledger: list[LedgerEntry] = []
        for index, (quiz, outcome) in enumerate(zip(problem.quizzes, outcomes, strict=True)):
            ledger.extend(outcome.ledger)
            answers.append(
                QuizAnswer(
                    problem_uid=problem.uid,
                    quiz_index=index,
                    answerer=self.model,
                    shuffle_seed=outcome.presented.seed,
                    presented_keys=list(outcome.presented.presented_keys),
                    raw_reply=outcome.raw_reply,
                    parsed_key=outcome.original_key,
                    correct=outcome.original_key == quiz.correct_option,
                    error_class=outcome.error_class,
                    cost_usd=outcome.cost_usd,
                    latency_s=outcome.latency_s,
                )
            )
        return EvaluationOutput(quiz_answers=answers, ledger=ledger)


# ---- the multimodal question ---------------------------------------------------------------------

MMQ_METRIC = "mmq_correct"
UNGRADABLE = "ungradable"  # the grader's verdict could not be read (after its retries)


def parse_verdict(reply: str | None) -> tuple[bool | None, str | None]:
    """(correct, reason) from a grader reply: the JSON verdict when there is one, else the last
    CORRECT/INCORRECT word; (None, None) when neither is there."""

    if not reply:
        return None, None
    found = last_json_object(reply, lambda data: any(str(key).lower() == "verdict" for key in data))
    if found is not None:
        verdict = next(value for key, value in found.items() if str(key).lower() == "verdict")
        reason = next(
            (str(value) for key, value in found.items() if str(key).lower() in ("reason", "rationale")), None
        )
        word = str(verdict).strip().upper()
        if word in ("CORRECT", "INCORRECT"):
            return word == "CORRECT", reason
    words = re.findall(r"\b(INCORRECT|CORRECT)\b", reply.upper())
    if words:
        return words[-1] == "CORRECT", None
    return None, None


@register_evaluator
class MmqEvaluator(FigureEvaluator):
    """The multimodal question solved from the image, graded against the reference answer."""

    name: ClassVar[str] = "mmq"
    label: ClassVar[str] = "the multimodal question solved from the image, graded against the answer"
    produces: ClassVar[tuple[str, ...]] = (MMQ_METRIC,)
    needs_model: ClassVar[bool] = True
    prompts: ClassVar[tuple[Prompt, ...]] = (MMQ_ANSWER, MMQ_GRADER)

    @classmethod
    def complete_spec(cls, spec: EvaluatorSpec, *, config: Any = None, home: Any = None) -> EvaluatorSpec:
        params = resolved_model_params(spec.name, dict(spec.params), config=config, home=home)
        completed = EvaluatorSpec.create(spec.name, **params)
        cls(completed)
        return completed

    @classmethod
    def run_label(cls, spec: EvaluatorSpec) -> str:
        return f"mmq:{spec.param('model')}{grader_suffix(spec)}"

    @classmethod
    def aggregate(cls, rows: EvaluationRows) -> list[Aggregate]:
        """``mmq_correct`` is stored per figure as 1/0 and declared in percent."""
        return figure_aggregates(rows.with_values(scaled_values(rows.metric_values, MMQ_METRIC, 100.0)))

    def __init__(self, spec: EvaluatorSpec) -> None:
        super().__init__(spec)
        self.model = model_param(spec)
        self.grader = model_param(spec, "grader") if spec.param("grader") is not None else self.model
        self.temperature = optional_number(spec, "temperature", float)
        self.max_tokens = optional_number(spec, "max_tokens", int)
        retries = spec.param("grade_retries", 1)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"evaluator 'mmq': 'grade_retries' must be an integer >= 0, got {retries!r}")
        self.grade_retries = retries

    def _value(self, problem: Problem, value: float | None, status: str, **detail: Any) -> MetricValue:
        return MetricValue(
            problem_uid=problem.uid,
            metric=MMQ_METRIC,
            value=value,
            status=status,  # type: ignore[arg-type]
            detail=json.dumps({"answerer": self.model, "grader": self.grader, **detail}, ensure_ascii=False),
        )

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        question = (problem.multimodal_question or "").strip()
        if not question:
            return EvaluationOutput(notes=[f"{problem.uid}: no multimodal_question"])
        image = figure_image(figure)
        if image is None:
            # Counted as wrong, like a quiz of a figure that failed to render.
            return EvaluationOutput(
                metric_values=[self._value(problem, 0.0, "failed", error_class=MISSING_IMAGE)]
            )
        client = require_client(ctx, self.name)
        try:
            messages = [
                system_message(MMQ_ANSWER.system),
                image_message(MMQ_ANSWER.render(question=question), image, text_first=False),
            ]
        except ValueError as exc:
            return EvaluationOutput(
                metric_values=[self._value(problem, 0.0, "failed", error_class=BAD_IMAGE, message=str(exc))]
            )
        answer = await call_model(
            client,
            self.model,
            messages,
            use_cache=ctx.use_cache,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        ledger = list(answer.ledger)
        if not answer.ok:
            value = self._value(problem, 0.0, "failed", error_class=answer.failure_class)
            return EvaluationOutput(metric_values=[value], ledger=ledger)

        grade_messages = [
            system_message(MMQ_GRADER.system),
            text_message(MMQ_GRADER.render(question=question, reference=problem.answer, reply=answer.text)),
        ]
        verdict: bool | None = None
        reason: str | None = None
        grader_reply: str | None = None
        grader_failure: str | None = None
        for attempt in range(self.grade_retries + 1):
            graded = await call_model(
                client, self.grader, grade_messages, use_cache=ctx.use_cache, sample=attempt, temperature=0.0
            )
            ledger.extend(graded.ledger)
            if not graded.ok:
                grader_failure = graded.failure_class
                break
            grader_reply = graded.text
            verdict, reason = parse_verdict(graded.text)
            if verdict is not None:
                break
        if verdict is None:
            # No grade is not the answerer's fault: no value rather than a made-up 0.
            value = self._value(
                problem,
                None,
                "failed",
                error_class=grader_failure or UNGRADABLE,
                reply=answer.text,
                grader_reply=grader_reply,
            )
            return EvaluationOutput(metric_values=[value], ledger=ledger)
        value = self._value(
            problem,
            1.0 if verdict else 0.0,
            "ok",
            verdict="CORRECT" if verdict else "INCORRECT",
            reason=reason,
            reply=answer.text,
        )
        return EvaluationOutput(metric_values=[value], ledger=ledger)
