"""How well the offline ``ocr`` quiz answerer does, measured in one run.

1. The real SeePhys reference figures (``../shared/scigenbench/seephys_images``, 165 PNGs, quizzes in
   ``seephys.json``): pixels only, so OCR.
2. The bundled sample's gold figures (``data/sample/scripts`` rendered in the sandbox), answered as
   the evaluator does for code-made figures: from the drawn texts of their figure facts, no OCR.
   The sample's quizzes draw the correct option's text and not the distractors'.
3. The same gold figures read by OCR, as if they were imported pictures without facts.
4. The text-card baseline on the sample (the question's given values and labels as plain text,
   no diagram; ``core.generation.text_card``): drawn texts, and OCR. Quizzes it passes are quizzes
   a figure passes without drawing anything.

Per set: answer rate, precision when answering with its 95% Wilson interval (quizzes counted as
independent trials), accuracy (abstain = wrong), R_inv, the abstention reasons, and the answers
that were wrong. Each set also runs a control: every problem's quizzes asked of the next problem's
figure, where the answerer should abstain, and the rule used before issue 14 (answer when exactly
one option is found in the joined OCR text) on the same readings, for comparison.

OCR readings are cached on disk under ``bench/out/ocr_cache`` (keyed by the image's SHA-256), so
iterating on the rules costs no OCR; ``--fresh`` ignores (and rewrites) the cache. Throughput is
measured on the OCR passes actually run, or read from the cached first passes.

Usage: ``.venv/bin/python bench/ocr_bench.py [--limit N] [--skip-sample] [--fresh] [--json]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation.base import QuizAnswer  # noqa: E402
from core.evaluation.ocr import (  # noqa: E402
    DEFAULT_MIN_SCORE,
    OcrLine,
    OcrReading,
    answer_quizzes,
    facts_texts,
    ocr_engine,
    read_image_text,
    reading_texts,
    summarise_answers,
)
from core.evaluation.quiz_evidence import FigureTexts  # noqa: E402
from core.evaluation.text_match import find_option  # noqa: E402
from core.jobs.runs import wilson_interval  # noqa: E402
from core.problems import Problem  # noqa: E402
from core.sandbox.models import FigureFacts  # noqa: E402
from core.workspace import PROJECT_ROOT, safe_name  # noqa: E402

SCIGENBENCH_DIR = PROJECT_ROOT.parent / "shared" / "scigenbench"
CACHE_DIR = PROJECT_ROOT / "bench" / "out" / "ocr_cache"


class ReadingCache:
    """OCR readings on disk, keyed by the image bytes' SHA-256 (so renamed or re-rendered identical
    images hit)."""

    def __init__(self, folder: Path, fresh: bool) -> None:
        self.folder = folder
        self.fresh = fresh
        self.ocr_runs = 0
        self.ocr_seconds = 0.0
        self.cached_seconds = 0.0

    def read(self, image: Path) -> OcrReading:
        path = self.folder / f"{hashlib.sha256(image.read_bytes()).hexdigest()}.json"
        if not self.fresh and path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            reading = OcrReading(
                tuple(OcrLine(text, score, tuple(box)) for text, score, box in data["lines"]),
                data["seconds"],
            )
            self.cached_seconds += reading.seconds
            return reading
        reading = read_image_text(image)
        self.ocr_runs += 1
        self.ocr_seconds += reading.seconds
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [[line.text, line.score, list(line.box)] for line in reading.lines]
        path.write_text(json.dumps({"seconds": reading.seconds, "lines": lines}, ensure_ascii=False))
        return reading


Item = tuple[Problem, FigureTexts | None, OcrReading | None]
"""A problem with the texts of its figure (None: no image) and the OCR reading, when OCR was used."""


def _interval(successes: int, n: int) -> list[float] | None:
    if n == 0:
        return None
    low, high = wilson_interval(successes, n)
    return [round(100 * low, 1), round(100 * high, 1)]


def _answers(items: Sequence[Item]) -> list[QuizAnswer]:
    from core.evaluation.ocr import MISSING_IMAGE, unanswered

    answers: list[QuizAnswer] = []
    for problem, texts, _ in items:
        if texts is None:
            answers.extend(unanswered(problem.uid, problem.quizzes, MISSING_IMAGE, "no image"))
        else:
            answers.extend(answer_quizzes(problem.uid, problem.quizzes, texts))
    return answers


def _previous_rule(items: Sequence[Item]) -> dict:
    """The rule before issue 14, on the same OCR readings: exactly one option in the joined text."""
    answered = correct = quizzes = 0
    for problem, _, reading in items:
        if reading is None:
            continue
        text = reading.text(DEFAULT_MIN_SCORE)
        for quiz in problem.quizzes:
            quizzes += 1
            chosen = find_option(quiz.options, text, ocr=True).chosen
            answered += chosen is not None
            correct += chosen is not None and chosen == quiz.correct_option
    return {
        "answer_rate": round(100 * answered / quizzes, 1) if quizzes else None,
        "precision": round(100 * correct / answered, 1) if answered else None,
        "precision_ci95": _interval(correct, answered),
        "answered": answered,
    }


def measure(label: str, items: list[Item]) -> dict:
    start = time.perf_counter()
    answers = _answers(items)
    decide_seconds = time.perf_counter() - start
    summary = summarise_answers(answers).as_dict()
    missing = {a.problem_uid for a in answers if a.error_class}
    present = [a for a in answers if a.problem_uid not in missing]
    summary["correct_answered"] = sum(a.correct for a in present if not a.abstained)
    summary["precision_ci95"] = _interval(summary["correct_answered"], summary["answered"])
    summary["answer_rate_ci95"] = _interval(summary["answered"], len(present))
    summary["decisions"] = dict(
        Counter(
            "missing" if a.error_class else (a.raw_reply or "").split(":", 1)[0].split(" ", 1)[0]
            for a in answers
        ).most_common()
    )
    summary["wrong_answers"] = [
        (a.problem_uid, a.quiz_index, a.raw_reply)
        for a in answers
        if not a.abstained and not a.correct and not a.error_class
    ]
    # Control: each problem's quizzes asked of the next problem's figure. A sound answerer mostly
    # abstains here, and is right only by chance when it answers.
    shifted = [(problem, items[(i + 1) % len(items)][1], None) for i, (problem, _, _) in enumerate(items)]
    control = summarise_answers(_answers(shifted))
    summary["control"] = {
        "answer_rate": round(control.answer_rate, 1),
        "precision": None if control.precision is None else round(control.precision, 1),
        "answered": control.answered,
    }
    if any(reading is not None for _, _, reading in items):
        summary["previous_rule"] = _previous_rule(items)
    summary.update(label=label, decide_seconds=round(decide_seconds, 2))
    return summary


def seephys_items(limit: int | None, cache: ReadingCache) -> list[Item]:
    from core.problems.importer import parse_file

    problems = [p for p in parse_file(SCIGENBENCH_DIR / "seephys.json").problems if p.quizzes]
    items: list[Item] = []
    for problem in problems[:limit] if limit else problems:
        image = Path(problem.reference_image) if problem.reference_image else None
        if image is None or not image.is_file():
            items.append((problem, None, None))
            continue
        reading = cache.read(image)
        items.append((problem, reading_texts(reading), reading))
    return items


Render = tuple[Problem, Path | None, FigureFacts | None]


def sample_renders(folder: Path, limit: int | None, *, text_card: bool = False) -> tuple[list[Render], float]:
    """The sample's gold scripts rendered (or, with ``text_card``, the text-card baseline's cards)."""
    from core.generation.text_card import TEXT_CARD_DEFAULTS, card_content, card_script
    from core.problems.sample import load_sample
    from core.sandbox import render

    problems = [p for p in load_sample() if p.quizzes and p.reference_code]
    problems = problems[:limit] if limit else problems
    renders = []
    start = time.perf_counter()
    for problem in problems:
        if text_card:
            code = card_script(card_content(problem, TEXT_CARD_DEFAULTS["max_lines"]))
            result = render(code, dpi=TEXT_CARD_DEFAULTS["dpi"])
        else:
            result = render(problem.reference_code or "")
        path = None
        if result.ok and result.png:
            path = folder / f"{safe_name(problem.uid)}{'-card' if text_card else ''}.png"
            path.write_bytes(result.png)
        else:
            print(f"  render failed: {problem.uid}: {result.one_line()}", file=sys.stderr)
        renders.append((problem, path, result.facts))
    return renders, time.perf_counter() - start


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _print(summary: dict) -> None:
    ci = summary["precision_ci95"]
    print(f"== {summary['label']}")
    print(
        f"  images {summary['images']}, quizzes {summary['quizzes']}, missing images {summary['missing_images']}"
    )
    print(f"  answer rate          {_pct(summary['answer_rate'])}  ({summary['answered']} answered)")
    print(
        f"  precision answering  {_pct(summary['precision'])}"
        + (f"  (95% Wilson interval {ci[0]:.1f}-{ci[1]:.1f}%)" if ci else "")
        + f"  ({summary['correct_answered']} of {summary['answered']})"
    )
    print(f"  accuracy (abstain=wrong) {summary['accuracy']:.1f}%")
    print(f"  R_inv                {summary['rinv']:.1f}%")
    print(f"  decisions            {summary['decisions']}")
    control = summary["control"]
    print(
        f"  control (quizzes asked of another problem's figure): answer rate {_pct(control['answer_rate'])}, "
        f"precision {_pct(control['precision'])} ({control['answered']} answered)"
    )
    previous = summary.get("previous_rule")
    if previous:
        print(
            f"  rule before issue 14 (one option in the joined OCR text), same readings: answer rate "
            f"{_pct(previous['answer_rate'])}, precision {_pct(previous['precision'])} "
            f"({previous['answered']} answered)"
        )
    if "ocr_images_per_s" in summary:
        print(f"  OCR throughput       {summary['ocr_images_per_s']} images/s ({summary['ocr_note']})")
    for uid, index, reply in summary["wrong_answers"][:15]:
        print(f"  wrong: {uid} quiz {index}: {reply}")


def _throughput(summary: dict, cache: ReadingCache, images: int, before: tuple[int, float, float]) -> None:
    runs = cache.ocr_runs - before[0]
    ran = cache.ocr_seconds - before[1]
    cached = cache.cached_seconds - before[2]
    seconds = ran + cached
    summary["ocr_images_per_s"] = round(images / seconds, 2) if seconds else None
    summary["ocr_note"] = f"{runs} OCR passes run now, {images - runs} from the disk cache's first passes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N problems of each set")
    parser.add_argument("--skip-sample", action="store_true", help="skip rendering the bundled sample")
    parser.add_argument(
        "--fresh", action="store_true", help="run OCR again instead of reading the disk cache"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    cache = ReadingCache(CACHE_DIR, fresh=args.fresh)
    start = time.perf_counter()
    ocr_engine()
    load_s = time.perf_counter() - start
    results = []
    if (SCIGENBENCH_DIR / "seephys.json").is_file():
        before = (cache.ocr_runs, cache.ocr_seconds, cache.cached_seconds)
        items = seephys_items(args.limit, cache)
        summary = measure("SeePhys reference figures (OCR)", items)
        _throughput(summary, cache, sum(reading is not None for _, _, reading in items), before)
        results.append(summary)
    else:
        print(f"SeePhys data not found at {SCIGENBENCH_DIR}; skipping", file=sys.stderr)
    if not args.skip_sample:
        with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
            for text_card, name in (
                (False, "bundled sample gold figures"),
                (True, "text-card baseline on the sample"),
            ):
                renders, render_s = sample_renders(Path(tmp), args.limit, text_card=text_card)
                drawn = [
                    (problem, facts_texts(facts) if path else None, None) for problem, path, facts in renders
                ]
                summary = measure(f"{name} (drawn texts from figure facts, no OCR)", drawn)
                summary["render_seconds"] = round(render_s, 1)
                results.append(summary)
                before = (cache.ocr_runs, cache.ocr_seconds, cache.cached_seconds)
                read: list[Item] = []
                for problem, path, _ in renders:
                    reading = cache.read(path) if path else None
                    read.append((problem, reading_texts(reading) if reading else None, reading))
                summary = measure(f"{name} (OCR, as if imported without facts)", read)
                _throughput(summary, cache, sum(path is not None for _, path, _ in renders), before)
                results.append(summary)
    if args.json:
        print(
            json.dumps({"engine_load_s": round(load_s, 2), "results": results}, indent=2, ensure_ascii=False)
        )
    else:
        print(f"OCR engine load: {load_s:.2f} s")
        for summary in results:
            _print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
