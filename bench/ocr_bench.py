"""How well the offline ``ocr`` quiz answerer does, measured in one run.

1. The real SeePhys reference figures (``../shared/scigenbench/seephys_images``, 165 PNGs, quizzes in
   ``seephys.json``): answer rate, precision when answering, accuracy (abstain = wrong), R_inv and
   OCR throughput (first pass, uncached).
2. The bundled sample's gold figures (``data/sample/scripts`` rendered in the sandbox): the sample's
   quizzes draw the correct option's text and not the distractors', so precision should be high.

Each set also runs a control: every problem's quizzes asked of the next problem's figure (no new
OCR). There the answerer should mostly abstain, and be right only by chance when it answers.

Usage: ``.venv/bin/python bench/ocr_bench.py [--limit N] [--skip-sample] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation.ocr import (  # noqa: E402
    answer_problem,
    clear_ocr_cache,
    ocr_engine,
    summarise_answers,
)
from core.problems import Problem  # noqa: E402
from core.workspace import PROJECT_ROOT, safe_name  # noqa: E402

SCIGENBENCH_DIR = PROJECT_ROOT.parent / "shared" / "scigenbench"


def _measure(label: str, items: list[tuple[Problem, Path | None]]) -> dict:
    clear_ocr_cache()
    answers = []
    start = time.perf_counter()
    for problem, image in items:
        answers.extend(answer_problem(problem, image))
    seconds = time.perf_counter() - start
    summary = summarise_answers(answers).as_dict()
    reasons = Counter(
        "missing" if a.error_class else (a.raw_reply or "").split(":", 1)[0].split(" ", 1)[0] for a in answers
    )
    wrong_answers = [
        (a.problem_uid, a.quiz_index, a.raw_reply)
        for a in answers
        if not a.abstained and not a.correct and not a.error_class
    ]
    # Control: each problem's quizzes asked of the next problem's figure (readings are cached, so no
    # new OCR). A good answerer mostly abstains here; its answers are right about by chance.
    shifted = [(problem, items[(index + 1) % len(items)][1]) for index, (problem, _) in enumerate(items)]
    control = summarise_answers(a for problem, image in shifted for a in answer_problem(problem, image))
    summary.update(
        control_answer_rate=control.answer_rate,
        control_precision=control.precision,
        control_accuracy=control.accuracy,
    )
    summary.update(
        label=label,
        seconds=round(seconds, 1),
        images_per_s=round(len(items) / seconds, 2) if seconds else None,
        decisions=dict(reasons),
        wrong_answers=wrong_answers,
    )
    return summary


def seephys_items(limit: int | None) -> list[tuple[Problem, Path | None]]:
    from core.problems.importer import parse_file

    problems = parse_file(SCIGENBENCH_DIR / "seephys.json").problems
    items = [(p, Path(p.reference_image) if p.reference_image else None) for p in problems if p.quizzes]
    return items[:limit] if limit else items


def sample_items(folder: Path, limit: int | None) -> tuple[list[tuple[Problem, Path | None]], float]:
    from core.problems.sample import load_sample
    from core.sandbox import render

    problems = [p for p in load_sample() if p.quizzes and p.reference_code]
    problems = problems[:limit] if limit else problems
    items: list[tuple[Problem, Path | None]] = []
    start = time.perf_counter()
    for problem in problems:
        result = render(problem.reference_code or "")
        path = None
        if result.ok and result.png:
            path = folder / f"{safe_name(problem.uid)}.png"
            path.write_bytes(result.png)
        else:
            print(f"  render failed: {problem.uid}: {result.one_line()}", file=sys.stderr)
        items.append((problem, path))
    return items, time.perf_counter() - start


def _print(summary: dict) -> None:
    precision = summary["precision"]
    print(f"== {summary['label']}")
    print(
        f"  images {summary['images']}, quizzes {summary['quizzes']}, missing images {summary['missing_images']}"
    )
    print(f"  answer rate          {summary['answer_rate']:.1f}%  ({summary['answered']} answered)")
    print(f"  precision answering  {'n/a' if precision is None else f'{precision:.1f}%'}")
    print(f"  accuracy (abstain=wrong) {summary['accuracy']:.1f}%")
    print(f"  R_inv                {summary['rinv']:.1f}%")
    print(f"  OCR throughput       {summary['images_per_s']} images/s ({summary['seconds']} s)")
    print(f"  decisions            {summary['decisions']}")
    control_precision = summary["control_precision"]
    print(
        f"  control (quizzes asked of another problem's figure): answer rate {summary['control_answer_rate']:.1f}%, "
        f"precision {'n/a' if control_precision is None else f'{control_precision:.1f}%'}, "
        f"accuracy {summary['control_accuracy']:.1f}%"
    )
    for uid, index, reply in summary["wrong_answers"][:15]:
        print(f"  wrong: {uid} quiz {index}: {reply}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N problems of each set")
    parser.add_argument("--skip-sample", action="store_true", help="skip rendering the bundled sample")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    start = time.perf_counter()
    ocr_engine()
    load_s = time.perf_counter() - start
    results = []
    if (SCIGENBENCH_DIR / "seephys.json").is_file():
        results.append(_measure("SeePhys reference figures", seephys_items(args.limit)))
    else:
        print(f"SeePhys data not found at {SCIGENBENCH_DIR}; skipping", file=sys.stderr)
    if not args.skip_sample:
        with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
            items, render_s = sample_items(Path(tmp), args.limit)
            summary = _measure("bundled sample gold figures (sandbox render, script dpi)", items)
            summary["render_seconds"] = round(render_s, 1)
            results.append(summary)
    if args.json:
        print(json.dumps({"engine_load_s": round(load_s, 2), "results": results}, indent=2))
    else:
        print(f"OCR engine load: {load_s:.2f} s")
        for summary in results:
            _print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
