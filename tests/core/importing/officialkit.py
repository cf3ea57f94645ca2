"""Fixture files in the official SciGenBench output format (written by tests, never copied from
real results) and an independent computation of the official summary's rules.

Two scigen models over six problems:

* ``alpha-imgcoder`` writes the open question as ``quiz_idx = -2`` rows of its quiz CSV (the
  current official layout); problem 3 has no image (a ``-1`` row), problem 4's image is corrupted
  (a ``-1`` row, and a file that is not an image), problem 6 has no quiz rows (an API failure)
  but a correct open question, an errored open question on problem 5, a judge row with a blank
  score on problem 2.
* ``beta`` writes the open question to ``vqa/beta_eval_cot.csv`` (the older layout), with an
  errored row and a quiz row with ``error_msg = "Corrupted image"`` (it counts as wrong).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from PIL import Image

from core.problems.models import Problem, Quiz

QUIZ_COUNTS = {"1": 3, "2": 2, "3": 3, "4": 2, "5": 1, "6": 2}
SUBJECTS = {"1": "Physics", "2": "Physics", "3": "Chemistry", "4": "Chemistry", "5": "Biology", "6": "Biology"}
QUIZ_HEADER = ["id", "model", "quiz_idx", "question_text", "pred", "gt", "is_correct", "error_msg"]
JUDGE_HEADER = [
    "id", "model", "image_type", "question_snippet", "Correctness_Fidelity", "Layout_Precision",
    "Readability_Occlusion", "Scientific_Plausibility", "Expressiveness_Richness", "raw_response", "error",
]
JUDGE_COLUMNS = JUDGE_HEADER[4:9]
MODELS = ("alpha-imgcoder", "beta")


def problems(source: str = "scigen") -> list[Problem]:
    return [
        Problem(
            id=pid, source=source, question=f"Problem {pid}: a block of 2 kg on a 30 degree slope.",
            subject=SUBJECTS[pid], image_type=None, answer=f"answer {pid}",
            elements=[f"element of {pid}"], multimodal_question=f"What does figure {pid} show?",
            quizzes=[
                Quiz(question=f"Quiz {i} of {pid}?", options={"A": "x", "B": "y", "C": "z", "D": "w"},
                     correct_option="B", evidence_snippet="e")
                for i in range(count)
            ],
        )
        for pid, count in QUIZ_COUNTS.items()
    ]


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # pandas writes utf-8-sig there
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


def _jpg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="JPEG")
    return out.getvalue()


def quiz_row(model: str, pid: str, index: int, correct: int, error: str = "") -> list[object]:
    return [pid, model, index, f"Quiz {index}?", "B" if correct else "A", "B", correct, error]


def write_official(root: Path) -> tuple[Path, Path]:
    """Write the fixture's results/ and images/ folders under ``root``; returns both."""
    results, images = root / "results", root / "images"
    quiz = results / "scigen" / "quiz"
    judge = results / "scigen" / "llm_as_judge"
    alpha = "alpha-imgcoder"
    _csv(quiz / f"{alpha}_detailed_evaluation.csv", QUIZ_HEADER, [
        quiz_row(alpha, "1", 0, 1), quiz_row(alpha, "1", 1, 1), quiz_row(alpha, "1", 2, 1),
        quiz_row(alpha, "2", 0, 1), quiz_row(alpha, "2", 1, 0),
        ["3", alpha, -1, "", "", "", 0, "Image not found"],
        ["4", alpha, -1, "", "", "", 0, "Image not found"],
        quiz_row(alpha, "5", 0, 1),
        ["1", alpha, -2, "open", "ok", "answer 1", 1, ""],
        ["2", alpha, -2, "open", "ok", "answer 2", 1, ""],
        ["5", alpha, -2, "open", "", "answer 5", 0, "Vision API call failed"],
        ["6", alpha, -2, "open", "ok", "answer 6", 1, ""],
        ["3", alpha, "", "", "", "", 0, "Image not found"],  # ve_infer.py's row without quiz_idx
    ])
    _csv(judge / f"{alpha}_quality_scores.csv", JUDGE_HEADER, [
        ["1", alpha, "", "", 2, 2, 1, 2, 1, "{}", ""],
        ["2", alpha, "", "", 1, "", 2, 1, 1, "{}", ""],  # a blank score: left out of every mean
        ["5", alpha, "", "", 0, 1, 1, 0, 0, "{}", ""],
        ["6", alpha, "", "", 1, 1, 2, 2, 1, "{}", ""],
    ])
    beta = "beta"
    _csv(quiz / f"{beta}_detailed_evaluation.csv", QUIZ_HEADER, [
        quiz_row(beta, "1", 0, 1), quiz_row(beta, "1", 1, 0), quiz_row(beta, "1", 2, 1),
        quiz_row(beta, "2", 0, 1), quiz_row(beta, "2", 1, 1),
        quiz_row(beta, "3", 0, 1), quiz_row(beta, "3", 1, 1), quiz_row(beta, "3", 2, 1),
        quiz_row(beta, "4", 0, 0, "Corrupted image"), quiz_row(beta, "4", 1, 0, "Corrupted image"),
        ["5", beta, -1, "", "", "", 0, "Image not found"],
        quiz_row(beta, "6", 0, 1), quiz_row(beta, "6", 1, 1),
    ])
    _csv(results / "scigen" / "vqa" / f"{beta}_eval_cot.csv", ["id", "model", "question_text", "pred", "gt", "is_correct", "error_msg"], [
        ["1", beta, "q", "p", "a", 1, ""],
        ["2", beta, "q", "p", "a", 1, ""],
        ["3", beta, "q", "", "a", 0, "Verification API call failed"],
        ["6", beta, "q", "p", "a", 0, ""],
    ])
    _csv(judge / f"{beta}_quality_scores.csv", JUDGE_HEADER, [
        ["1", beta, "", "", 1, 1, 1, 1, 1, "{}", ""],
        ["2", beta, "", "", 2, 2, 2, 2, 2, "{}", ""],
        ["3", beta, "", "", 0, 0, 1, 0, 1, "{}", ""],
        ["6", beta, "", "", "", "", "", "", "", "", "timeout"],
    ])
    folder = images / "scigen"
    (folder / alpha / "images").mkdir(parents=True)
    (folder / alpha / "1.png").write_bytes(_png((200, 0, 0)))
    (folder / alpha / "images" / "2.jpg").write_bytes(_jpg((0, 200, 0)))
    (folder / alpha / "4.png").write_bytes(b"not an image at all")  # corrupted
    (folder / alpha / "5.png").write_bytes(_png((0, 0, 200)))
    (folder / beta).mkdir(parents=True)
    for pid in ("1", "2", "3", "4", "6"):
        (folder / beta / f"{pid}.png").write_bytes(_png((10 * int(pid), 0, 0)))
    return results, images


# ---- the official summary, computed independently (run.py summarize_results) -------------------


def official_summary(results: Path, model: str, dataset: str = "scigen") -> dict[str, float]:
    """Question accuracy and perfect image rate (in %) and judge means, by the official rules."""
    folder = results / dataset
    frame = pd.read_csv(folder / "quiz" / f"{model}_detailed_evaluation.csv")
    quizzes = frame[frame["quiz_idx"] >= 0].copy()
    open_rows = frame[frame["quiz_idx"] == -2].copy()
    vqa_file = folder / "vqa" / f"{model}_eval_cot.csv"
    if vqa_file.exists():  # the older layout kept the open question in its own file
        open_rows = pd.concat([open_rows, pd.read_csv(vqa_file)], ignore_index=True)
    open_rows = open_rows[open_rows["error_msg"].isna() | (open_rows["error_msg"] == "")]
    quizzes["is_correct"] = pd.to_numeric(quizzes["is_correct"], errors="coerce").fillna(0)
    open_rows["is_correct"] = pd.to_numeric(open_rows["is_correct"], errors="coerce").fillna(0)
    combined = pd.concat([quizzes[["id", "is_correct"]], open_rows[["id", "is_correct"]]], ignore_index=True)
    per_image = combined.groupby("id")["is_correct"].mean()
    judge = pd.read_csv(folder / "llm_as_judge" / f"{model}_quality_scores.csv").dropna(subset=JUDGE_COLUMNS)
    dimensions = ("judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er")
    return {
        "question_accuracy": 100 * combined["is_correct"].sum() / len(combined),
        "perfect_image_rate": 100 * (per_image == 1.0).sum() / len(per_image),
        **{name: judge[column].mean() for name, column in zip(dimensions, JUDGE_COLUMNS, strict=True)},
    }
