"""The sample's gold TikZ figures (``data/sample/tikz/<id>.tex``): each renders in the TeX sandbox,
and its text layer draws every quiz's correct option and no distractor (the rule the Matplotlib
gold scripts follow), with no overlapping labels and nothing outside the picture."""

from __future__ import annotations

from collections import Counter

import pytest

from core.evaluation.text_match import find_option
from core.problems.sample import load_sample
from core.sandbox import SandboxConfig
from core.sandbox.tex import TexRenderer, find_tex
from core.workspace import SAMPLE_DIR

TIKZ_DIR = SAMPLE_DIR / "tikz"
GOLD = sorted(TIKZ_DIR.glob("*.tex"))


@pytest.fixture(scope="module")
def problems():
    return {problem.id: problem for problem in load_sample()}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if find_tex() is None:
        pytest.skip("TeX is not installed here")
    with TexRenderer(SandboxConfig(workers=2), cache_dir=tmp_path_factory.mktemp("tex-cache")) as tex:
        futures = {path.stem: tex.submit(path.read_text(encoding="utf-8"), timeout_s=30) for path in GOLD}
        yield {stem: future.result() for stem, future in futures.items()}


def test_at_least_twenty_gold_figures_of_sample_problems(problems) -> None:
    assert len(GOLD) >= 20
    assert {path.stem for path in GOLD} <= set(problems)
    kinds = Counter(problems[path.stem].image_type for path in GOLD)
    assert len(kinds) >= 10, kinds  # geometry, circuits, mechanics, optics, fields, graphs, molecules, tables...


def test_every_gold_figure_starts_with_a_comment_saying_what_it_draws() -> None:
    for path in GOLD:
        assert path.read_text(encoding="utf-8").startswith("% "), path.name


@pytest.mark.parametrize("stem", [path.stem for path in GOLD])
def test_gold_figure_renders_and_answers_only_its_correct_options(stem: str, rendered, problems) -> None:
    result = rendered[stem]
    assert result.ok, (result.one_line(), result.traceback_tail)
    facts = result.facts
    text = "\n".join(box.text for box in facts.texts)
    for quiz in problems[stem].quizzes:
        match = find_option(quiz.options, text, ocr=False)
        assert match.chosen == quiz.correct_option, (quiz.question, match, text)
    assert not facts.overlaps, [(facts.texts[o.first].text, facts.texts[o.second].text) for o in facts.overlaps]
    assert not facts.outside_canvas
