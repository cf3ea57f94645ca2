"""The importer on the real SciGenBench development split (../shared/scigenbench)."""

import json
from pathlib import Path

import pytest

from core.problems.importer import parse_file
from core.problems.markup import to_markdown
from core.problems.taxonomy import Subject, subject_of
from core.workspace import PROJECT_ROOT

SCIGENBENCH = PROJECT_ROOT.parent / "shared" / "scigenbench"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (SCIGENBENCH / "scigen.json").is_file(),
        reason=f"real SciGenBench data not found at {SCIGENBENCH}",
    ),
]
QUIZ_FIELDS = {"question", "options", "correct_option", "evidence_snippet"}


def _raw(name: str) -> list[dict]:
    return json.loads((SCIGENBENCH / name).read_text(encoding="utf-8"))


def _malformed(items: list[dict]) -> set[tuple[str, int]]:
    """An independent reading of 'malformed': keys other than A-D, correct not a key, extra fields."""
    found = set()
    for item in items:
        for i, quiz in enumerate(item["quizzes"]):
            if (
                set(quiz) != QUIZ_FIELDS
                or sorted(quiz["options"]) != ["A", "B", "C", "D"]
                or quiz["correct_option"] not in quiz["options"]
            ):
                found.add((str(item["id"]), i))
    return found


def _reported(report) -> set[tuple[str, int]]:
    return {(e.item_id, e.quiz_index) for e in report.entries if e.quiz_index is not None}


@pytest.fixture(scope="module")
def scigen():
    return parse_file(SCIGENBENCH / "scigen.json")


@pytest.fixture(scope="module")
def seephys():
    return parse_file(SCIGENBENCH / "seephys.json")


def test_scigen_imports_every_item(scigen):
    raw = _raw("scigen.json")
    assert len(scigen.problems) == len(raw) == 534
    assert scigen.report.source == "scigen" and scigen.report.items == 534
    assert scigen.report.quizzes_published == 2081
    assert [p.id for p in scigen.problems] == [item["id"] for item in raw]
    for problem, item in zip(scigen.problems, raw, strict=True):
        assert problem.source == "scigen"
        assert problem.image_type == item["image_type"]
        assert problem.subject == subject_of(item["image_type"])
        assert problem.question == item["question"]  # stored raw, markup kept
        assert problem.multimodal_question == item.get("multimodal_question")
    assert len({p.image_type for p in scigen.problems}) == 25


def test_scigen_report_names_every_malformed_quiz(scigen):
    expected = _malformed(_raw("scigen.json"))
    assert len(expected) == 20  # as the data's README says
    assert _reported(scigen.report) == expected
    assert scigen.report.quizzes_reported == 20
    text = scigen.report.to_text()
    for item_id, quiz_index in expected:
        assert f"(id {item_id!r})" in text and f"quizzes[{quiz_index}]" in text


def test_scigen_report_counts(scigen):
    report = scigen.report
    assert report.summary() == {
        "items": 534,
        "quizzes_published": 2081,
        "quizzes_kept": 2081,
        "quizzes_reported": 20,
        "quizzes_normalised": 19,
        "quizzes_noted": 1,
        "quizzes_dropped": 0,
        "item_findings": 0,
    }
    reasons = report.counts_by_reason()
    assert reasons["normalised: option_key_by_position"] == 12
    assert reasons["normalised: option_key_cleaned"] == 2
    assert reasons["normalised: option_key_text_swapped"] == 2
    assert reasons["normalised: stray_field"] == 3
    assert reasons["noted: option_count"] == 1
    assert sum(p.quizzes.__len__() for p in scigen.problems) == 2081


def test_scigen_repairs_keep_the_right_answer(scigen):
    by_id = {p.id: p for p in scigen.problems}
    # '3' sat in B's place; the correct option B is the text the evidence quotes
    quiz = by_id["webinstruct-476852"].quizzes[3]
    assert quiz.options == {
        "A": "Two decimal places",
        "B": "Three significant figures",
        "C": "Four significant figures",
        "D": "The nearest whole number",
    }
    assert quiz.correct_option == "B"
    # key and text swapped: {"4186.8 g": "D"}
    quiz = by_id["webinstruct-1960823"].quizzes[0]
    assert quiz.options["D"] == "4186.8 g" and quiz.correct_option == "B" and quiz.options["B"] == "690 g"
    # '|C' cleaned
    assert by_id["webinstruct-1545531"].quizzes[0].options["C"] == "20"
    # five options kept as published
    assert list(by_id["webinstruct-905344"].quizzes[0].options) == ["A", "B", "C", "D", "E"]


def test_every_stored_quiz_is_well_formed(scigen, seephys):
    for problem in scigen.problems + seephys.problems:
        for quiz in problem.quizzes:
            assert quiz.correct_option in quiz.options
            keys = sorted(quiz.options)  # two published quizzes list A, C, B, D: valid, kept in that order
            assert keys == ["A", "B", "C", "D"] or keys == ["A", "B", "C", "D", "E"]


def test_seephys_items(seephys):
    raw = _raw("seephys.json")
    assert len(seephys.problems) == len(raw) == 165
    assert seephys.report.source == "seephys" and seephys.report.quizzes_published == 536
    for problem, item in zip(seephys.problems, raw, strict=True):
        assert problem.id == str(item["id"])
        assert problem.subject == Subject.PHYSICS and problem.image_type is None
        assert problem.multimodal_question is None
        image = Path(problem.reference_image)
        assert image.is_absolute() and image.is_file()
        assert image == (SCIGENBENCH / "seephys_images" / f"{item['id']}.png").resolve()


def test_seephys_report(seephys):
    expected = _malformed(_raw("seephys.json"))
    assert len(expected) == 5
    assert _reported(seephys.report) == expected
    assert seephys.report.quizzes_normalised == 5 and seephys.report.quizzes_dropped == 0
    quiz = {p.id: p for p in seephys.problems}["1857"].quizzes[0]
    assert quiz.options["C"] == "10 cm" and quiz.correct_option == "C"


def test_jsonl_gives_the_same_problems(scigen, tmp_path):
    path = tmp_path / "scigen.jsonl"
    path.write_text(
        "\n".join(json.dumps(item, ensure_ascii=False) for item in _raw("scigen.json")) + "\n",
        encoding="utf-8",
    )
    result = parse_file(path)
    assert result.report.format == "jsonl" and result.report.source == "scigen"
    assert result.problems == scigen.problems
    assert [e.model_dump(exclude={"line"}) for e in result.report.entries] == [
        e.model_dump(exclude={"line"}) for e in scigen.report.entries
    ]
    assert result.report.entries[0].line == result.report.entries[0].item_index + 1


def test_seephys_under_another_name_needs_source(tmp_path):
    copy = tmp_path / "physics_items.json"
    copy.write_bytes((SCIGENBENCH / "seephys.json").read_bytes())
    with pytest.raises(Exception, match="image_type") as excinfo:
        parse_file(copy)  # inferred custom: untyped items need a subject
    assert "physics_items.json" in str(excinfo.value)
    result = parse_file(copy, source="seephys")
    assert len(result.problems) == 165
    # the figures are not next to the copy: each problem is stored without one, and the report says so
    missing = [e for e in result.report.entries if e.reason == "reference_image_missing"]
    assert len(missing) == 165 and all(p.reference_image is None for p in result.problems)


def _unescaped_dollars(text: str) -> int:
    count, i = 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        count += text[i] == "$"
        i += 1
    return count


def test_markup_renders_every_real_text(scigen, seephys):
    for problem in scigen.problems + seephys.problems:
        texts = [problem.question, problem.answer, problem.multimodal_question or "", *problem.elements]
        texts += [q.question for q in problem.quizzes] + [
            t for q in problem.quizzes for t in q.options.values()
        ]
        for text in texts:
            rendered = to_markdown(text)
            assert "{eq}" not in rendered and "{/eq}" not in rendered, problem.uid
            assert "<span" not in rendered, problem.uid
            if (
                "```" not in rendered and problem.id != "webinstruct-531926"
            ):  # that one is truncated as published
                assert _unescaped_dollars(rendered) % 2 == 0, (problem.uid, rendered)
