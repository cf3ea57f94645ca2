"""Quizzes for new problems, and the blind audit that finds quizzes answerable without a figure.

* :func:`generate_quizzes`: a model extracts the atomic visual elements of a problem and writes
  3-5 multiple-choice quizzes (4 options A-D, hard distractors, an evidence snippet copied from
  the problem text) as one JSON object. Every quiz is validated (the :class:`Quiz` model plus the
  rules in :func:`validate_quiz_payload`); when anything is rejected the model is asked once more,
  told what was wrong. Correct letters are then spread over A-D (models favour one letter).
* :func:`audit_quiz`: blind filtration. The quiz is asked WITHOUT any image and without the
  problem text, over several option shuffles that put the correct option at a different position
  each time; a quiz answered correctly every time is blind-solvable and flagged.

Both return records (no store access); ``scigen quizzes generate|audit`` stores them.
"""

from __future__ import annotations

import asyncio
import random
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.evaluation.prompts import ANSWER_GRADER, BLIND_QUIZ, QUIZGEN, QUIZGEN_RETRY
from core.evaluation.replies import call_model, last_json_object
from core.evaluation.vqa import answer_quiz, derive_seed, present_with_correct_at
from core.models.ledger import LedgerEntry
from core.models.messages import system_message, text_message
from core.problems import Problem, Quiz

if TYPE_CHECKING:
    from core.models import ModelClient

__all__ = [
    "DEFAULT_SHUFFLES",
    "MAX_QUIZZES",
    "MIN_QUIZZES",
    "OPTION_KEYS",
    "BlindAsk",
    "QuizAudit",
    "QuizGenResult",
    "audit_quiz",
    "balance_correct_options",
    "generate_quizzes",
    "validate_quiz_payload",
]

MIN_QUIZZES = 3
MAX_QUIZZES = 5
OPTION_KEYS: tuple[str, ...] = ("A", "B", "C", "D")
DEFAULT_SHUFFLES = 3
GENERATION_PROMPTS = (QUIZGEN.id, QUIZGEN_RETRY.id)
AUDIT_PROMPTS = (BLIND_QUIZ.id, ANSWER_GRADER.id)


def _cost(entries: Sequence[LedgerEntry]) -> float | None:
    known = [entry.cost_usd for entry in entries if entry.cost_usd is not None]
    return sum(known) if known else None


# ---- validation ------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower-case, NFKC, TeX dollars and markup removed, spaces collapsed: for "is it in the text"."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    text = re.sub(r"[$*`\\{}]", "", text)
    return " ".join(text.split()).lower()


def _snippet_in_text(snippet: str, text: str) -> bool:
    """Every fragment of the snippet (split at '...') is in the problem text."""
    haystack = _plain(text)
    fragments = [_plain(part).strip(" .,;:") for part in re.split(r"\.\.\.|…", snippet)]
    fragments = [fragment for fragment in fragments if fragment]
    return bool(fragments) and all(fragment in haystack for fragment in fragments)


def _options(raw: Any) -> dict[str, str] | str:
    """Options as {A..D: text}, from a dict or a list of 4; else a message saying what is wrong."""
    if isinstance(raw, list):
        raw = dict(zip(OPTION_KEYS, raw, strict=False)) if len(raw) == len(OPTION_KEYS) else raw
    if not isinstance(raw, dict):
        return f"options must be an object with keys A-D, got {type(raw).__name__}"
    options = {str(key).strip().strip("().").upper(): value for key, value in raw.items()}
    if sorted(options) != list(OPTION_KEYS):
        return f"options must have exactly the keys A, B, C, D, got {sorted(map(str, raw))}"
    if not all(isinstance(value, str | int | float) and str(value).strip() for value in options.values()):
        return "every option needs a non-empty text"
    texts = {key: str(options[key]).strip() for key in OPTION_KEYS}
    if len({_plain(text) for text in texts.values()}) != len(texts):
        return "two options have the same text"
    return texts


def _correct_key(raw: Any, options: dict[str, str]) -> str | None:
    if not isinstance(raw, str):
        return None
    key = raw.strip().strip("().").upper()
    if key in options:
        return key
    by_text = [k for k, text in options.items() if _plain(text) == _plain(raw)]
    return by_text[0] if len(by_text) == 1 else None


def _validate_quiz(raw: Any, problem: Problem, where: str) -> Quiz | str:
    if not isinstance(raw, dict):
        return f"{where}: not an object"
    fields = {str(key).lower(): value for key, value in raw.items()}
    question = fields.get("question")
    if not isinstance(question, str) or not question.strip():
        return f"{where}: 'question' is missing or empty"
    options = _options(fields.get("options"))
    if isinstance(options, str):
        return f"{where}: {options}"
    correct = _correct_key(fields.get("correct_option", fields.get("answer")), options)
    if correct is None:
        return f"{where}: 'correct_option' must be one of A, B, C, D, got {fields.get('correct_option')!r}"
    snippet = fields.get("evidence_snippet")
    if not isinstance(snippet, str) or not snippet.strip():
        return f"{where}: 'evidence_snippet' is missing"
    if not _snippet_in_text(snippet, problem.question):
        return f"{where}: evidence_snippet {snippet[:80]!r} is not a span of the problem text"
    correct_text = _plain(options[correct])
    if len(correct_text) >= 3 and correct_text in _plain(question):
        others = [_plain(text) for key, text in options.items() if key != correct]
        if not any(other in _plain(question) for other in others):
            return f"{where}: the question contains its own answer {options[correct]!r}"
    try:
        return Quiz(
            question=question.strip(),
            options=options,
            correct_option=correct,
            evidence_snippet=snippet.strip(),
        )
    except ValidationError as exc:
        return f"{where}: {exc.errors()[0]['msg']}"


def validate_quiz_payload(
    reply: str | None,
    problem: Problem,
    *,
    min_quizzes: int = MIN_QUIZZES,
    max_quizzes: int = MAX_QUIZZES,
) -> tuple[list[str], list[Quiz], list[str]]:
    """(elements, valid quizzes, issues) from a quiz-writer reply.

    A quiz is kept when it has a question, exactly four distinct options A-D, a correct key among
    them, an evidence snippet that is a span of the problem text (fragments split at '...'), and
    a question that does not contain its own answer; duplicate questions are dropped. Fewer than
    ``min_quizzes`` valid quizzes is an issue; more than ``max_quizzes`` are cut (not an issue).
    """
    issues: list[str] = []
    data = last_json_object(reply or "", lambda obj: any(str(key).lower() == "quizzes" for key in obj))
    if data is None:
        return [], [], ["no JSON object with a 'quizzes' list was found in the reply"]
    fields = {str(key).lower(): value for key, value in data.items()}
    raw_elements = fields.get("elements", [])
    elements: list[str] = []
    if not isinstance(raw_elements, list):
        issues.append("'elements' must be a list of strings")
    else:
        elements = [
            str(item).strip()
            for item in raw_elements
            if isinstance(item, str | int | float) and str(item).strip()
        ]
        if len(elements) != len(raw_elements):
            issues.append("some elements are not non-empty strings")
    if not elements:
        issues.append("no visual elements were listed")
    raw_quizzes = fields.get("quizzes")
    if not isinstance(raw_quizzes, list):
        return elements, [], [*issues, "'quizzes' must be a list"]
    quizzes: list[Quiz] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_quizzes):
        checked = _validate_quiz(raw, problem, f"quizzes[{index}]")
        if isinstance(checked, str):
            issues.append(checked)
            continue
        if _plain(checked.question) in seen:
            issues.append(f"quizzes[{index}]: the same question twice")
            continue
        seen.add(_plain(checked.question))
        quizzes.append(checked)
    if len(quizzes) < min_quizzes:
        issues.append(f"only {len(quizzes)} valid quizzes; {min_quizzes} to {max_quizzes} are needed")
    return elements, quizzes[:max_quizzes], issues


def balance_correct_options(quizzes: Sequence[Quiz], problem_uid: str) -> list[Quiz]:
    """Quizzes whose correct keys cycle through A-D from a uid-seeded start (by swapping the
    correct text with the text at the target key), so no letter is favoured."""
    start = random.Random(derive_seed(0, problem_uid, 0, purpose="quizgen-balance")).randrange(
        len(OPTION_KEYS)
    )
    balanced: list[Quiz] = []
    for index, quiz in enumerate(quizzes):
        target = OPTION_KEYS[(start + index) % len(OPTION_KEYS)]
        if target == quiz.correct_option or target not in quiz.options:
            balanced.append(quiz)
            continue
        options = dict(quiz.options)
        options[target], options[quiz.correct_option] = options[quiz.correct_option], options[target]
        balanced.append(quiz.model_copy(update={"options": options, "correct_option": target}))
    return balanced


# ---- generation --------------------------------------------------------------------------------


class QuizGenResult(BaseModel):
    """The quizzes (and elements) written for one problem, or why there are none."""

    problem_uid: str
    model: str
    status: Literal["ok", "failed"]
    elements: list[str] = Field(default_factory=list)
    quizzes: list[Quiz] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list, description="What validation rejected, per attempt.")
    attempts: int = Field(default=0, description="Model calls made.")
    error_class: str | None = Field(default=None, description="Model failure class, or 'invalid_quizzes'.")
    raw_replies: list[str] = Field(default_factory=list)
    ledger: list[LedgerEntry] = Field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        return _cost(self.ledger)


INVALID_QUIZZES = "invalid_quizzes"


async def generate_quizzes(
    problem: Problem,
    client: ModelClient,
    model: str,
    *,
    use_cache: bool = True,
    min_quizzes: int = MIN_QUIZZES,
    max_quizzes: int = MAX_QUIZZES,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> QuizGenResult:
    """Ask ``model`` for elements and quizzes of ``problem``; retry once when anything was
    rejected. The better attempt with at least ``min_quizzes`` valid quizzes wins."""
    answer_note = (
        f"(The problem's final answer is {problem.answer.strip()!r}: do not ask about it.)\n"
        if problem.answer.strip()
        else ""
    )
    messages: list[dict[str, Any]] = [
        system_message(QUIZGEN.system),
        text_message(
            QUIZGEN.render(
                question=problem.question,
                answer_note=answer_note,
                min_quizzes=min_quizzes,
                max_quizzes=max_quizzes,
            )
        ),
    ]
    result = QuizGenResult(problem_uid=problem.uid, model=model, status="failed")
    candidates: list[tuple[list[str], list[Quiz], list[str]]] = []
    for attempt in (1, 2):
        reply = await call_model(
            client, model, messages, use_cache=use_cache, temperature=temperature, max_tokens=max_tokens
        )
        result.ledger.extend(reply.ledger)
        result.attempts = attempt
        if not reply.ok:
            result.error_class = reply.failure_class
            result.issues.append(f"attempt {attempt}: model call failed: {reply.failure_class}")
            break
        result.raw_replies.append(reply.text or "")
        elements, quizzes, issues = validate_quiz_payload(
            reply.text, problem, min_quizzes=min_quizzes, max_quizzes=max_quizzes
        )
        result.issues.extend(f"attempt {attempt}: {issue}" for issue in issues)
        candidates.append((elements, quizzes, issues))
        if not issues:
            break
        messages = [
            *messages,
            {"role": "assistant", "content": reply.text or ""},
            text_message(
                QUIZGEN_RETRY.render(
                    problems="\n".join(f"- {issue}" for issue in issues),
                    min_quizzes=min_quizzes,
                    max_quizzes=max_quizzes,
                )
            ),
        ]
    usable = [candidate for candidate in candidates if len(candidate[1]) >= min_quizzes]
    if not usable:
        result.error_class = result.error_class or INVALID_QUIZZES
        return result
    # The latest usable attempt: it had the chance to fix the earlier one's problems.
    elements, quizzes, _ = usable[-1]
    result.status = "ok"
    result.error_class = None
    result.elements = elements
    result.quizzes = balance_correct_options(quizzes, problem.uid)
    return result


# ---- blind audit -------------------------------------------------------------------------------


class BlindAsk(BaseModel):
    """One ask of a quiz without figure or problem text."""

    model_config = ConfigDict(frozen=True)

    seed: int
    presented_keys: list[str] = Field(description="Original option keys in the order shown.")
    raw_reply: str | None = None
    parsed_key: str | None = Field(default=None, description="Original key chosen; None when none.")
    correct: bool
    error_class: str | None = None


class QuizAudit(BaseModel):
    """A quiz asked blind over several shuffles; flagged when right every time."""

    problem_uid: str
    quiz_index: int
    model: str
    quiz: Quiz
    asks: list[BlindAsk]
    ledger: list[LedgerEntry] = Field(default_factory=list)

    @property
    def shuffles(self) -> int:
        return len(self.asks)

    @property
    def n_correct(self) -> int:
        return sum(ask.correct for ask in self.asks)

    @property
    def n_errors(self) -> int:
        return sum(ask.error_class is not None for ask in self.asks)

    @property
    def flagged(self) -> bool:
        """Blind-solvable: answered correctly in every shuffle."""
        return bool(self.asks) and self.n_correct == len(self.asks)

    @property
    def seeds(self) -> list[int]:
        return [ask.seed for ask in self.asks]

    @property
    def cost_usd(self) -> float | None:
        return _cost(self.ledger)


async def audit_quiz(
    client: ModelClient,
    model: str,
    problem_uid: str,
    quiz_index: int,
    quiz: Quiz,
    *,
    shuffles: int = DEFAULT_SHUFFLES,
    seed: int = 0,
    grader: str | None = None,
    use_cache: bool = True,
    temperature: float | None = None,
) -> QuizAudit:
    """Ask ``quiz`` blind ``shuffles`` times. The correct option's position differs between asks
    (all positions are used before any repeats), so a model that favours one letter cannot pass
    by position alone; the other options are shuffled by a recorded seed."""
    if shuffles < 1:
        raise ValueError(f"shuffles must be >= 1, got {shuffles}")
    positions = list(range(len(quiz.options)))
    random.Random(derive_seed(seed, problem_uid, quiz_index, purpose="audit-positions")).shuffle(positions)
    presented = [
        present_with_correct_at(
            quiz,
            positions[repeat % len(positions)],
            derive_seed(seed, problem_uid, quiz_index, purpose="audit", repeat=repeat),
        )
        for repeat in range(shuffles)
    ]
    outcomes = await asyncio.gather(
        *(
            answer_quiz(
                client,
                model,
                shown,
                image=None,
                grader=grader or model,
                prompt=BLIND_QUIZ,
                use_cache=use_cache,
                temperature=temperature,
            )
            for shown in presented
        )
    )
    asks: list[BlindAsk] = []
    ledger: list[LedgerEntry] = []
    for shown, outcome in zip(presented, outcomes, strict=True):
        ledger.extend(outcome.ledger)
        assert shown.seed is not None
        asks.append(
            BlindAsk(
                seed=shown.seed,
                presented_keys=list(shown.presented_keys),
                raw_reply=outcome.raw_reply,
                parsed_key=outcome.original_key,
                correct=outcome.original_key == quiz.correct_option,
                error_class=outcome.error_class,
            )
        )
    return QuizAudit(
        problem_uid=problem_uid, quiz_index=quiz_index, model=model, quiz=quiz, asks=asks, ledger=ledger
    )
