"""The ``ocr`` quiz answerer: answers a quiz when the figure's texts prove exactly one option, and
abstains otherwise. No model, no network. It aims at being right when it answers, not at
answering often.

Where the texts come from:

* a code-made figure with figure facts that hold texts (``FigureUnderTest.facts``): the exact
  strings it drew, with their roles; no OCR is run;
* any other image: RapidOCR's lines (engine loaded lazily once per process; readings cached per
  image path, modification time and size, so several quizzes and repeated evaluations of one image
  cost one OCR pass). Lines with confidence >= ``min_score`` (default 0.5) are matched.

How a quiz is decided (matching and normalisation: :mod:`core.evaluation.text_match`; the
abstention rules, with the reasons recorded: :mod:`core.evaluation.quiz_evidence`): exactly one
option found with usable evidence -> that option (``parsed_key``); otherwise abstained
(``parsed_key`` None, ``abstained`` True, counted wrong): no option or several found, a number
only in axis ticks, captions or with a unit the quiz does not ask about, and, for OCR, weak
readings, one-character options, options nested in the chosen one, fragments of other options,
low-confidence look-alikes of an option; across the quizzes of a problem, one occurrence never
answers two quizzes.

No image (failed figure, missing or unreadable file) -> every quiz wrong with error_class
``missing_image``, not abstained, so answer rates can be read with or without those images.

``raw_reply`` is compact: ``one: B="5.0 kg" in "...m = 5.0 kg..."`` when answering,
``none: OCR read "..."``, ``several A,C: OCR read "..."`` or
``fragment B: "cm" may be part of A="1 cm"; OCR read "..."`` when abstaining (``drawn texts``
instead of ``OCR read`` when figure facts were used).

The evaluator also writes per-figure ``ocr_answer_rate`` and ``ocr_precision`` (%). Run-level
numbers should be pooled over quizzes with :func:`summarise_answers` (answer rate, precision when
answering, accuracy with abstentions wrong, R_inv), not averaged over figures.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.evaluation.aggregates import EvaluationRows, figure_aggregates, pooled_rate
from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
    QuizAnswer,
    register_evaluator,
)
from core.evaluation.quiz_evidence import Decision, FigureTexts, decide_quizzes
from core.metrics import Aggregate
from core.problems import Problem, Quiz
from core.sandbox.models import FigureFacts

ANSWERER = "ocr"
POOLED_METRICS = ("ocr_answer_rate", "ocr_precision")
"""Per figure as a share, per run pooled over quizzes (see :func:`pooled_answer_aggregates`)."""
MISSING_IMAGE = "missing_image"
OCR_ERROR = "ocr_error"
DEFAULT_MIN_SCORE = 0.5
CACHE_SIZE = 2048
RAW_TEXT_CHARS = 240


class ImageUnreadable(Exception):
    """The image file is absent or cannot be decoded."""


@dataclass(frozen=True)
class OcrLine:
    """One text line RapidOCR read, with its confidence and pixel box (x0, y0, x1, y1)."""

    text: str
    score: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrReading:
    """Everything read from one image."""

    lines: tuple[OcrLine, ...]
    seconds: float
    """Time the OCR pass took (a cache hit returns the first pass's reading and time)."""

    def text(self, min_score: float = DEFAULT_MIN_SCORE) -> str:
        """Lines at or above ``min_score`` joined by spaces, in reading order."""
        return " ".join(line.text for line in self.lines if line.score >= min_score)


_engine: Any = None
_engine_lock = threading.Lock()
_run_lock = threading.Lock()  # one OCR pass at a time: the engine is not documented as thread-safe
_cache: OrderedDict[tuple[str, int, int], OcrReading] = OrderedDict()
_cache_lock = threading.Lock()


def ocr_engine() -> Any:
    """The process's RapidOCR engine, created on first use (loading the models takes ~1 s)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from rapidocr_onnxruntime import RapidOCR

                _engine = RapidOCR()
    return _engine


def clear_ocr_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _load_bgr(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                rgb = Image.alpha_composite(canvas, rgba).convert("RGB")
            else:
                rgb = image.convert("RGB")
    except FileNotFoundError as exc:
        raise ImageUnreadable(f"{path}: no such file") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageUnreadable(f"{path}: cannot decode image ({exc})") from exc
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])  # RapidOCR takes OpenCV's BGR order


def read_image_text(path: str | Path) -> OcrReading:
    """OCR one image (cached per path, mtime and size within the process).

    Raises :class:`ImageUnreadable` when the file is missing or not an image.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise ImageUnreadable(f"{path}: no such file") from exc
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    pixels = _load_bgr(path)
    engine = ocr_engine()
    start = time.perf_counter()
    with _run_lock:
        result, _ = engine(pixels)
    lines = tuple(
        OcrLine(
            text=str(text),
            score=float(score),
            box=(
                float(min(p[0] for p in box)),
                float(min(p[1] for p in box)),
                float(max(p[0] for p in box)),
                float(max(p[1] for p in box)),
            ),
        )
        for box, text, score in (result or [])
    )
    reading = OcrReading(lines, time.perf_counter() - start)
    with _cache_lock:
        _cache[key] = reading
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return reading


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _raw_reply(quiz: Quiz, decision: Decision, figure: FigureTexts) -> str:
    found = f" {','.join(decision.found)}" if decision.found else ""
    if decision.chosen is None:
        detail = f" {decision.detail};" if decision.detail else ""
        return f"{decision.reason}{found}:{detail} {figure.describe(RAW_TEXT_CHARS)}"
    start, end = decision.span or (0, 0)
    haystack = figure.haystack
    left, right = max(0, start - 30), min(len(haystack), end + 30)
    context = ("…" if left else "") + haystack[left:right] + ("…" if right < len(haystack) else "")
    return f'{decision.reason}: {decision.chosen}="{quiz.options[decision.chosen]}" in "{context}"'


def answer_quizzes(problem_uid: str, quizzes: Sequence[Quiz], figure: FigureTexts) -> list[QuizAnswer]:
    """Answer every quiz of one problem from its figure's texts (abstaining unless the evidence
    singles out one option)."""
    decisions = decide_quizzes([(quiz.question, quiz.options) for quiz in quizzes], figure)
    return [
        QuizAnswer(
            problem_uid=problem_uid,
            quiz_index=index,
            answerer=ANSWERER,
            presented_keys=list(quiz.options),
            raw_reply=_raw_reply(quiz, decision, figure),
            parsed_key=decision.chosen,
            correct=decision.chosen is not None and decision.chosen == quiz.correct_option,
            abstained=decision.chosen is None,
        )
        for index, (quiz, decision) in enumerate(zip(quizzes, decisions, strict=True))
    ]


def reading_texts(reading: OcrReading, min_score: float = DEFAULT_MIN_SCORE) -> FigureTexts:
    """The texts of an OCR reading, as the decision rules take them."""
    return FigureTexts.from_ocr([(line.text, line.score, line.box) for line in reading.lines], min_score)


def facts_texts(facts: FigureFacts | None) -> FigureTexts | None:
    """The drawn texts of a code-made figure, or None when there are none to use (then OCR reads
    the pixels)."""
    if facts is None or not facts.texts:
        return None
    return FigureTexts.from_facts(facts)


def unanswered(problem_uid: str, quizzes: Sequence[Quiz], error_class: str, reason: str) -> list[QuizAnswer]:
    """Every quiz wrong for want of an image (or an OCR failure): not an abstention."""
    return [
        QuizAnswer(
            problem_uid=problem_uid,
            quiz_index=index,
            answerer=ANSWERER,
            presented_keys=list(quiz.options),
            raw_reply=reason,
            parsed_key=None,
            correct=False,
            abstained=False,
            error_class=error_class,
        )
        for index, quiz in enumerate(quizzes)
    ]


def answer_problem(
    problem: Problem,
    image_path: str | Path | None,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    facts: FigureFacts | None = None,
) -> list[QuizAnswer]:
    """Answer every quiz of the problem from the figure's drawn texts when ``facts`` hold texts,
    else from one OCR pass over the image (synchronous; used by the evaluator and the bench)."""
    drawn = facts_texts(facts)
    if drawn is not None:
        return answer_quizzes(problem.uid, problem.quizzes, drawn)
    if image_path is None:
        return unanswered(problem.uid, problem.quizzes, MISSING_IMAGE, "no image")
    try:
        reading = read_image_text(image_path)
    except ImageUnreadable as exc:
        return unanswered(problem.uid, problem.quizzes, MISSING_IMAGE, str(exc))
    except Exception as exc:  # an engine failure is recorded, never raised
        return unanswered(problem.uid, problem.quizzes, OCR_ERROR, f"{type(exc).__name__}: {exc}")
    return answer_quizzes(problem.uid, problem.quizzes, reading_texts(reading, min_score))


def _figure_metrics(problem_uid: str, answers: Sequence[QuizAnswer], failed: str | None) -> list[MetricValue]:
    if failed:
        return [
            MetricValue(problem_uid=problem_uid, metric=name, status="failed", detail=failed)
            for name in POOLED_METRICS
        ]
    answered = [a for a in answers if not a.abstained]
    rate = MetricValue(
        problem_uid=problem_uid, metric="ocr_answer_rate", value=100.0 * len(answered) / len(answers)
    )
    if answered:
        precision = MetricValue(
            problem_uid=problem_uid,
            metric="ocr_precision",
            value=100.0 * sum(a.correct for a in answered) / len(answered),
        )
    else:
        precision = MetricValue(
            problem_uid=problem_uid,
            metric="ocr_precision",
            status="unavailable",
            detail="OCR answered none of the quizzes (abstained on all)",
        )
    return [rate, precision]


def pooled_answer_aggregates(rows: EvaluationRows) -> list[Aggregate]:
    """``ocr_answer_rate`` = answered / quizzes of figures that exist (a figure whose every answer
    has an error_class is missing) and ``ocr_precision`` = correct / answered, per scope."""
    answers = rows.quiz_answers
    if answers.empty:
        return []
    error = answers["error_class"].notna().to_numpy()
    abstained = answers["abstained"].fillna(False).astype(bool).to_numpy()
    correct = answers["correct"].fillna(False).astype(bool).to_numpy()
    frame = pd.DataFrame(
        {
            "problem_uid": answers["problem_uid"].to_numpy(),
            "quizzes": 1,
            "errors": error.astype(int),
            "answered": (~abstained & ~error).astype(int),
            "correct_answered": (~abstained & ~error & correct).astype(int),
        }
    )
    per = frame.groupby("problem_uid").sum()
    per["present"] = np.where(per["errors"] == per["quizzes"], 0, per["quizzes"])
    per = per.reindex(rows.figures["problem_uid"]).fillna(0)
    answer_rate, precision = POOLED_METRICS
    return pooled_rate(rows.figures, answer_rate, per["answered"].to_numpy(float), per["present"].to_numpy(float)) + (
        pooled_rate(rows.figures, precision, per["correct_answered"].to_numpy(float), per["answered"].to_numpy(float))
    )


@register_evaluator
class OcrEvaluator(FigureEvaluator):
    """Answers quizzes from a figure's drawn texts (figure facts) or, without them, by OCR (params:
    ``min_score``, the OCR confidence a line needs to be matched, default 0.5)."""

    name = "ocr"
    label = "quizzes answered offline by reading the figure's text (abstains when unsure)"
    produces = ("quiz_answers", *POOLED_METRICS)
    needs_model = False

    @classmethod
    def aggregate(cls, rows: EvaluationRows) -> list[Aggregate]:
        """Quiz metrics per figure, and the answer rate and precision pooled over quizzes (as
        :func:`summarise_answers` defines them) rather than averaged over figures."""
        return figure_aggregates(rows.without_metrics(POOLED_METRICS)) + pooled_answer_aggregates(rows)

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        if not problem.quizzes:
            return EvaluationOutput(notes=[f"{problem.uid}: no quizzes to answer"])
        min_score = float(self.spec.param("min_score", DEFAULT_MIN_SCORE))
        if figure.status == "ok" and facts_texts(figure.facts) is not None:
            answers = answer_problem(problem, figure.image_path, facts=figure.facts)
        elif figure.status != "ok" or figure.image_path is None:
            reason = (
                f"figure failed ({figure.error_class or 'no image'})"
                if figure.status != "ok"
                else "no image path"
            )
            answers = unanswered(problem.uid, problem.quizzes, MISSING_IMAGE, reason)
        else:
            answers = await asyncio.to_thread(answer_problem, problem, figure.image_path, min_score=min_score)
        failed = answers[0].raw_reply if answers[0].error_class else None
        return EvaluationOutput(
            quiz_answers=answers, metric_values=_figure_metrics(problem.uid, answers, failed)
        )


@dataclass(frozen=True)
class OcrSummary:
    """Run-level numbers of an OCR answering pass, pooled over quizzes (percentages 0-100)."""

    images: int
    """Images (problems with at least one quiz)."""
    quizzes: int
    missing_images: int
    """Images with no readable image (their quizzes count wrong, are not abstentions)."""
    answered: int
    correct: int
    answer_rate: float
    """Answered quizzes / quizzes of images that exist."""
    precision: float | None
    """Correct / answered; None when nothing was answered."""
    accuracy: float
    """Correct / all quizzes (abstentions and missing images wrong)."""
    rinv: float
    """Images whose quizzes are all correct / all images."""

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def summarise_answers(answers: Iterable[QuizAnswer]) -> OcrSummary:
    by_image: dict[str, list[QuizAnswer]] = defaultdict(list)
    for answer in answers:
        by_image[answer.problem_uid].append(answer)
    all_answers = [a for group in by_image.values() for a in group]
    missing = {uid for uid, group in by_image.items() if all(a.error_class for a in group)}
    present = [a for a in all_answers if a.problem_uid not in missing]
    answered = [a for a in present if not a.abstained and not a.error_class]
    correct = sum(a.correct for a in all_answers)
    return OcrSummary(
        images=len(by_image),
        quizzes=len(all_answers),
        missing_images=len(missing),
        answered=len(answered),
        correct=correct,
        answer_rate=100.0 * len(answered) / len(present) if present else 0.0,
        precision=100.0 * sum(a.correct for a in answered) / len(answered) if answered else None,
        accuracy=100.0 * correct / len(all_answers) if all_answers else 0.0,
        rinv=100.0 * sum(all(a.correct for a in group) for group in by_image.values()) / len(by_image)
        if by_image
        else 0.0,
    )
