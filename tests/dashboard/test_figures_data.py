"""Figure pages' data: thumbnails, verdicts and disagreement rules (pure), and the cached accessors
over a workspace with real generation and evaluation runs (figure_workspaces.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from core.problems.selection import ProblemSelection
from dashboard import thumbnails
from dashboard.data import figures
from tests.dashboard import figure_workspaces as fw


@pytest.fixture(scope="module")
def _figures_home(tmp_path_factory) -> Path:
    return fw.figure_workspace(tmp_path_factory.mktemp("figures"))


@pytest.fixture
def figures_home(_figures_home, monkeypatch) -> Path:
    monkeypatch.setenv("SCIGEN_HOME", str(_figures_home))
    return _figures_home


# ---- thumbnails -----------------------------------------------------------------------------------


def test_thumbnail_is_small_cached_and_remade_when_the_figure_changes(tmp_path) -> None:
    home = tmp_path / "home"
    figure = home / "images" / "run" / "a.png"
    figure.parent.mkdir(parents=True)
    Image.new("RGBA", (1600, 800), (10, 20, 30, 255)).save(figure)
    thumb = thumbnails.thumbnail(home, "images/run/a.png", size=200)
    assert thumb is not None and thumb.parent == home / thumbnails.THUMBS_DIR
    with Image.open(thumb) as image:
        assert image.size == (200, 150) and image.format == "PNG"
        # 1600x800 fits as 200x100, centred: white bands of 25 px above and below
        assert image.getpixel((100, 10)) == (255, 255, 255) and image.getpixel((100, 75)) == (10, 20, 30)
    made = thumb.stat().st_mtime_ns
    assert thumbnails.thumbnail(home, "images/run/a.png", size=200) == thumb and thumb.stat().st_mtime_ns == made
    Image.new("RGB", (300, 600), "black").save(figure)
    os.utime(figure, ns=(made + 10**9, made + 10**9))
    again = thumbnails.thumbnail(home, figure, size=200)  # absolute paths work too
    assert again is not None and again != thumb
    with Image.open(again) as image:  # a tall figure is shown smaller in the same frame, not cropped
        assert image.size == (200, 150)
        assert image.getpixel((100, 75)) == (0, 0, 0) and image.getpixel((10, 75)) == (255, 255, 255)
        assert image.getpixel((100, 0)) == (0, 0, 0) and image.getpixel((100, 149)) == (0, 0, 0)
    assert not list((home / thumbnails.THUMBS_DIR).glob(".*.tmp"))  # no scratch files left behind
    assert thumbnails.prune_thumbnails(home, keep={again}) == 1 and again.is_file() and not thumb.exists()


def test_thumbnail_never_enlarges_and_keeps_palette_and_transparent_images(tmp_path) -> None:
    small = tmp_path / "small.png"
    palette = Image.new("P", (40, 30))
    palette.putpalette([200, 0, 0] * 256)
    palette.save(small)
    thumb = thumbnails.thumbnail(tmp_path, small, size=200)
    with Image.open(thumb) as image:
        assert image.size == (200, 150)
        assert image.getpixel((100, 75)) == (200, 0, 0)  # centred at its own size
        assert image.getpixel((100 - 21, 75)) == (255, 255, 255)
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (400, 300), (0, 0, 0, 0)).save(clear)
    with Image.open(thumbnails.thumbnail(tmp_path, clear, size=200)) as image:
        assert image.getpixel((100, 75)) == (255, 255, 255)  # transparent shows white, not black


def test_no_thumbnail_for_missing_or_unreadable_figures(tmp_path) -> None:
    assert thumbnails.thumbnail(tmp_path, None) is None
    assert thumbnails.thumbnail(tmp_path, "images/none.png") is None
    fake = tmp_path / "fake.png"
    fake.write_text("not an image", encoding="utf-8")
    assert thumbnails.thumbnail(tmp_path, fake) is None
    assert not (tmp_path / thumbnails.THUMBS_DIR).exists() or not list((tmp_path / thumbnails.THUMBS_DIR).iterdir())


# ---- verdicts and disagreements (pure) ----------------------------------------------------------


def test_verdicts() -> None:
    assert figures.verdict("ok", None, 4, 4) == "✓ 4/4 quizzes"
    assert figures.verdict("ok", None, 4, 3) == "✗ 3/4 quizzes"
    assert figures.verdict("failed", "runtime_error", 4, 0) == "✗ failed: runtime_error"
    assert figures.verdict("failed", None, None, None) == "✗ failed: unclassified"
    assert figures.verdict("ok", None, pd.NA, pd.NA) == "rendered · quizzes not answered"
    assert figures.quiz_passed("ok", 3, 3) is True
    assert figures.quiz_passed("ok", 3, 1) is False
    assert figures.quiz_passed("ok", None, None) is None
    assert figures.quiz_passed("failed", None, None) is False


@pytest.mark.parametrize(
    ("statuses", "passed", "expected"),
    [
        (["ok", "failed"], [True, False], True),  # rendered vs failed
        (["ok", "ok"], [True, False], True),  # all quizzes right vs not
        (["ok", "ok"], [False, False], False),
        (["ok", "ok"], [True, None], False),  # one run not evaluated: no quiz disagreement
        (["failed", "failed"], [False, False], False),
    ],
)
def test_disagreement_rule(statuses, passed, expected) -> None:
    assert figures.disagree(statuses, passed) is expected


def _outcome(run_id: str, uid: str, status: str, answered: int | None, correct: int | None) -> dict:
    return {
        "run_id": run_id, "problem_uid": uid, "subject": "Physics", "image_type": None, "status": status,
        "error_class": None if status == "ok" else "runtime_error", "n_answered": answered, "n_correct": correct,
    }


def test_comparison_covers_problems_drawn_by_every_run() -> None:
    outcomes = pd.DataFrame(
        [
            _outcome("r1", "p:1", "ok", 2, 2), _outcome("r2", "p:1", "ok", 2, 1),
            _outcome("r1", "p:2", "ok", 2, 2), _outcome("r2", "p:2", "ok", 2, 2),
            _outcome("r1", "p:3", "ok", 2, 2),  # only r1 drew it
            _outcome("r1", "p:4", "failed", None, None), _outcome("r2", "p:4", "ok", None, None),
        ]
    )
    names = {"r1": "code", "r2": "pixel"}
    everything = figures.comparison_from(outcomes, names, only_disagreements=False)
    assert everything.uids == ["p:1", "p:2", "p:4"] and everything.n_common == 3 and everything.n_disagree == 2
    assert list(everything.table.columns) == ["UID", "Subject", "Image type", "code", "pixel", "Disagree"]
    assert everything.table.loc[0, "pixel"] == "✗ 1/2 quizzes"
    assert everything.table.loc[2, "code"] == "✗ failed: runtime_error"
    assert everything.table.loc[0, "Image type"] == "Physics (untyped)"
    only = figures.comparison_from(outcomes, names, only_disagreements=True)
    assert only.uids == ["p:1", "p:4"] and only.n_common == 3


def test_detail_text_and_canvas_summary() -> None:
    assert figures.detail_text('{"covered": ["7 cm", "5 cm"], "missing": []}') == "covered: 7 cm, 5 cm; missing: —"
    assert figures.detail_text("plain words") == "plain words"
    assert figures.detail_text(None) == ""
    facts, summary = figures.canvas_facts('{"width_px": 120, "height_px": 80, "dpi": 40.0, "axes_count": 1, "texts": [{}]}')
    assert facts["axes_count"] == 1 and summary == "120×80 px · 40 dpi · 1 axes · 1 texts"
    assert figures.canvas_facts("not json") == (None, None)


# ---- cached accessors over real runs ------------------------------------------------------------


def test_generation_runs_newest_first(figures_home) -> None:
    assert list(figures.generation_runs()) == [fw.CODER_RUN, fw.CARD_RUN, fw.GOLD_RUN]
    assert figures.error_classes(fw.GOLD_RUN) == ["no_reference"]
    assert figures.error_classes(None) == [] and figures.error_classes("no-such-run") == []


def test_gallery_pages_filters_and_thumbnails(figures_home) -> None:
    first = figures.gallery_page(run=fw.GOLD_RUN, page_size=2)
    assert first.total == len(fw.FIGURE_UIDS) and first.num_pages == 3 and first.uids == list(fw.FIGURE_UIDS[:2])
    assert figures.gallery_page_count(run=fw.GOLD_RUN, page_size=2) == 3
    last = figures.gallery_page(run=fw.GOLD_RUN, page=99, page_size=2)  # clamped
    assert last.page == 3 and last.uids == [fw.SEEPHYS_UID]
    failed = last.tiles[0]
    assert failed.thumbnail is None and failed.verdict == "✗ failed: no_reference" and failed.passed is False
    for tile in first.tiles:
        assert tile.thumbnail is not None and Path(tile.thumbnail).parent == figures_home / thumbnails.THUMBS_DIR
        with Image.open(tile.thumbnail) as image:
            assert image.size == thumbnails.frame_size()  # every tile the same frame
    assert list(first.rows.columns) == figures.GALLERY_COLUMNS and len(first.rows) == 2
    quizzes_failed = figures.gallery_page(run=fw.GOLD_RUN, outcome="quizzes failed")
    assert 0 < quizzes_failed.total < first.total
    assert all(tile.passed is False for tile in quizzes_failed.tiles)
    assert figures.gallery_page(run=fw.GOLD_RUN, outcome="render failed").uids == [fw.SEEPHYS_UID]
    assert figures.gallery_page(run=fw.GOLD_RUN, error="no_reference").uids == [fw.SEEPHYS_UID]
    physics = figures.gallery_page(run=fw.CARD_RUN, problems=ProblemSelection(subject="Physics"))
    assert {tile.subject for tile in physics.tiles} == {"Physics"} and physics.total == 2
    searched = figures.gallery_page(run=fw.GOLD_RUN, problems=ProblemSelection(search=fw.SEEPHYS_UID.split(":")[1]))
    assert fw.SEEPHYS_UID in searched.uids and searched.total < first.total
    assert figures.gallery_page(run="no-such-run").total == 0


def test_item_of_an_evaluated_figure(figures_home) -> None:
    item = figures.figure_item(fw.GOLD_RUN, fw.SAMPLE_UIDS[2])
    assert item is not None and item.status == "ok" and item.image and Path(item.image).is_file()
    assert item.code and item.problem is not None and item.problem.uid == fw.SAMPLE_UIDS[2]
    answers = item.quiz_answers
    assert list(answers.columns) == figures.QUIZ_ANSWER_COLUMNS and len(answers) == 4
    assert set(answers["Result"]) <= {"✓", "✗", "–"} and answers["Reply"].str.len().gt(0).all()
    right = answers[answers["Result"] == "✓"].iloc[0]
    assert right["Chosen"] == right["Correct option"] and right["Chosen"][1:3] == ". "  # "B. 6 Ω"
    judge = item.judge_scores
    assert list(judge["Dimension"])[:2] == ["Correctness & Fidelity", "Layout & Precision"]
    assert judge["Rationale"].str.len().gt(0).all()
    assert {"Given-value coverage", "Overlapping texts", "Answer leak"} <= set(item.figure_facts["Fact"])
    assert "covered:" in " ".join(item.figure_facts["Detail"])
    assert item.canvas is not None and "axes" in (item.canvas_summary or "")
    assert item.verdict.endswith("quizzes")


def test_item_of_a_repaired_and_of_a_failed_figure(figures_home) -> None:
    repaired = figures.figure_item(fw.CODER_RUN, fw.REPAIRED_UID)
    assert [a.status for a in repaired.attempts] == ["failed", "ok"]
    first, second = repaired.attempts
    assert first.error_class == fw.CODER_ERROR and "NameError" in (first.traceback or "")
    assert first.raw_reply and first.code and first.title == f"Attempt 1 · initial · failed: {fw.CODER_ERROR}"
    assert second.image is not None and Path(second.image).parent.name == thumbnails.THUMBS_DIR
    assert repaired.plan and repaired.quiz_answers.empty and repaired.judge_scores.empty
    image, caption = repaired.reference
    assert image is not None and "Gold" in caption  # rendered by the SSIM evaluation
    failed = figures.figure_item(fw.GOLD_RUN, fw.SEEPHYS_UID)
    assert failed.image is None and "failed to render" in (failed.image_note or "")
    assert failed.error_class == "no_reference" and failed.verdict == "✗ failed: no_reference"
    assert failed.reference[0] is not None and failed.reference[1] == "Ground-truth figure"
    assert set(failed.quiz_answers["Error"]) == {"missing_image"}
    assert figures.figure_item(fw.CODER_RUN, fw.SEEPHYS_UID) is None  # not in that run
    assert figures.figure_item("no-such-run", fw.SEEPHYS_UID) is None


def test_comparison_and_compare_item(figures_home) -> None:
    runs = [fw.GOLD_RUN, fw.CARD_RUN]
    comparison = figures.comparison(runs)
    assert comparison.n_common == len(fw.FIGURE_UIDS) and comparison.runs == runs
    only = figures.comparison(runs, only_disagreements=True)
    assert fw.SEEPHYS_UID in only.uids and len(only.uids) == comparison.n_disagree
    assert only.table["Disagree"].all()
    # coder was never evaluated: only rendering can disagree (its broken figure, gold rendered it)
    coder = figures.comparison([fw.CODER_RUN, fw.GOLD_RUN])
    assert coder.n_common == len(fw.CODER_UIDS) and coder.n_disagree == 1
    assert figures.comparison([fw.CODER_RUN, fw.GOLD_RUN], only_disagreements=True).uids == [fw.BROKEN_UID]
    item = figures.compare_item(runs, fw.SAMPLE_UIDS[2])
    assert [side.run for side in item.sides] == runs and all(side.image for side in item.sides)
    assert item.sides[0].quiz_source == "gold · ocr" and item.sides[0].judge_source.startswith("gold · judge")
    assert list(item.quizzes.columns) == ["Q", "Question", "Correct option", *runs] and len(item.quizzes) == 4
    assert item.quizzes[fw.GOLD_RUN].str[0].isin(["✓", "✗", "–"]).all()
    assert list(item.judge.columns) == ["Dimension", *runs] and len(item.judge) == 5
    assert item.judge[fw.CARD_RUN].isna().all()  # card was never judged
    assert "SSIM" in set(item.metrics["Metric"])
    failed = figures.compare_item(runs, fw.SEEPHYS_UID)
    assert failed.sides[0].image is None and failed.sides[0].status == "failed" and failed.sides[1].image


def test_compare_opens_on_the_pair_sharing_the_most_problems() -> None:
    runs = {"newest": "r3", "middle": "r2", "oldest": "r1"}  # name -> run_id, newest first
    assert figures.best_compare_pair(runs, [("r1", "r2", 40), ("r2", "r3", 3), ("r1", "r3", 3)]) == ["middle", "oldest"]
    # a tie goes to the newer pair
    assert figures.best_compare_pair(runs, [("r1", "r2", 5), ("r1", "r3", 5)]) == ["newest", "oldest"]
    assert figures.best_compare_pair(runs, [("r1", "r3", 5), ("r2", "r3", 5)]) == ["newest", "middle"]
    # nothing shared, or runs unknown here: the two newest
    assert figures.best_compare_pair(runs, []) == ["newest", "middle"]
    assert figures.best_compare_pair(runs, [("r1", "gone", 9)]) == ["newest", "middle"]
