"""The importer on broken files: a clear error naming file, item and field; never a partial result."""

import json

import pytest

from core.problems.importer import ImportFileError, infer_source, parse_file

GOOD = {
    "id": "p1",
    "question": "A 2 kg block rests on a 30° incline.",
    "image_type": "Physics - Mechanical",
    "answer": "9.8 N",
    "elements": ["A block labelled '2 kg'."],
    "quizzes": [
        {
            "question": "What mass is labelled?",
            "options": {"A": "1 kg", "B": "2 kg", "C": "3 kg", "D": "4 kg"},
            "correct_option": "B",
            "evidence_snippet": "2 kg block",
        }
    ],
}


def write_json(tmp_path, data, name="scigen_small.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_good_file_parses(tmp_path):
    result = parse_file(write_json(tmp_path, [GOOD]))
    assert [p.uid for p in result.problems] == ["scigen:p1"]
    assert result.report.entries == []


def test_missing_file(tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        parse_file(tmp_path / "absent.json")


def test_invalid_json_names_file_and_position(tmp_path):
    path = write_json(tmp_path, '[{"id": "p1", "question": "q",]')
    with pytest.raises(ImportFileError) as excinfo:
        parse_file(path)
    message = str(excinfo.value)
    assert str(path) in message and "invalid JSON" in message and "line 1 column" in message


@pytest.mark.parametrize(
    ("data", "kind"), [({"items": [GOOD]}, "object"), ('"text"', "string"), ("3", "number")]
)
def test_wrong_top_level_type(tmp_path, data, kind):
    path = write_json(tmp_path, data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(ImportFileError, match=f"top level is a JSON {kind}; expected an array"):
        parse_file(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "scigen.json"
    path.write_bytes(b'[{"id": "\xff"}]')
    with pytest.raises(ImportFileError, match="not UTF-8"):
        parse_file(path)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"question": None}, "question", "missing"),
        ({"question": "   "}, "question", "non-empty string"),
        ({"question": 5}, "question", "non-empty string"),
        ({"id": None}, "id", "missing"),
        ({"id": ""}, "id", "non-empty"),
        ({"id": True}, "id", "string or an integer"),
        ({"image_type": "Physics - Circuits"}, "image_type", "not one of the 25"),
        ({"image_type": ""}, "image_type", "scigen items need"),
        ({"elements": "a block"}, "elements", "expected an array of strings"),
        ({"elements": ["ok", 3]}, "elements[1]", "expected a string"),
        ({"quizzes": {"question": "x"}}, "quizzes", "expected an array"),
        ({"answer": ["9.8 N"]}, "answer", "expected a string"),
        ({"multimodal_question": 7}, "multimodal_question", "expected a string"),
        ({"subject": "Math"}, "subject", "contradicts image_type"),
        ({"reference_script": "scripts/none.py"}, "reference_script", "does not exist"),
    ],
)
def test_invalid_item_field_names_file_item_and_field(tmp_path, change, field, message):
    bad = {k: v for k, v in {**GOOD, "id": "p2", **change}.items() if v is not None}
    path = write_json(tmp_path, [GOOD, bad])
    with pytest.raises(ImportFileError) as excinfo:
        parse_file(path)
    error = excinfo.value
    assert error.file == str(path)
    assert error.item_index == 1
    assert error.field == field
    assert message in str(error)
    assert str(path) in str(error) and "item 1" in str(error) and repr(field) in str(error)
    if "id" not in change:
        assert error.item_id == "p2" and "(id 'p2')" in str(error)


def test_item_not_an_object(tmp_path):
    with pytest.raises(ImportFileError, match=r"item 1: item is a JSON array; expected an object"):
        parse_file(write_json(tmp_path, [GOOD, ["not", "an", "object"]]))


def test_duplicate_id(tmp_path):
    with pytest.raises(
        ImportFileError, match=r"item 1 \(id 'p1'\), field 'id': duplicate id \(also item 0\)"
    ):
        parse_file(write_json(tmp_path, [GOOD, GOOD]))


def test_every_error_is_collected(tmp_path):
    items = [GOOD, {**GOOD, "id": "p2", "question": ""}, {"id": "p3"}, 7]
    with pytest.raises(ImportFileError) as excinfo:
        parse_file(write_json(tmp_path, items))
    located = [(e.item_index, e.field) for e in excinfo.value.errors]
    assert located == [(1, "question"), (2, "question"), (2, "image_type"), (3, None)]
    assert "(and 3 more)" in str(excinfo.value)


def test_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "mine.jsonl"
    lines = [
        json.dumps(GOOD),
        "",
        json.dumps({**GOOD, "id": "p2"}),
        "{broken",
        json.dumps({**GOOD, "id": "p4", "question": ""}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as excinfo:
        parse_file(path)
    assert excinfo.value.errors[0].line == 4 and "invalid JSON" in str(excinfo.value)
    path.write_text("\n".join(lines[:3] + lines[4:]) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as excinfo:
        parse_file(path)
    assert (excinfo.value.errors[0].line, excinfo.value.field, excinfo.value.item_id) == (4, "question", "p4")
    assert "line 4" in str(excinfo.value)


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(GOOD) + "\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"item 1, line 2: item is a JSON array"):
        parse_file(path)


def test_source_inference_and_override(tmp_path):
    assert infer_source("x/seephys.json") == "seephys"
    assert infer_source("SciGen_part2.jsonl") == "scigen"
    assert infer_source("my_problems.jsonl") == "custom"
    path = write_json(tmp_path, [GOOD], name="mine.json")
    assert parse_file(path).problems[0].uid == "custom:p1"
    assert parse_file(path, source="scigen").problems[0].uid == "scigen:p1"
    with pytest.raises(ValueError, match="unknown source"):
        parse_file(path, source="elsewhere")


def test_custom_items_may_give_a_subject_instead_of_a_type(tmp_path):
    item = {**GOOD, "image_type": "", "subject": "Biology"}
    problem = parse_file(write_json(tmp_path, [item], name="mine.json")).problems[0]
    assert problem.subject.value == "Biology" and problem.image_type is None
    with pytest.raises(ImportFileError, match="give an image type or a subject"):
        parse_file(write_json(tmp_path, [{**GOOD, "image_type": ""}], name="mine.json"))


def test_seephys_ids_subject_and_missing_figure(tmp_path):
    (tmp_path / "seephys_images").mkdir()
    (tmp_path / "seephys_images" / "12.png").write_bytes(b"\x89PNG")
    items = [{**GOOD, "id": 12, "image_type": ""}, {**GOOD, "id": 13, "image_type": ""}]
    result = parse_file(write_json(tmp_path, items, name="seephys.json"))
    first, second = result.problems
    assert (first.id, first.subject.value, first.image_type) == ("12", "Physics", None)
    assert first.reference_image == str((tmp_path / "seephys_images" / "12.png").resolve())
    assert second.reference_image is None
    [entry] = result.report.entries
    assert (entry.item_id, entry.action, entry.reason) == ("13", "noted", "reference_image_missing")


def test_reference_script_text_becomes_reference_code(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "p1.py").write_text("print('figure')\n", encoding="utf-8")
    path = write_json(tmp_path, [{**GOOD, "reference_script": "scripts/p1.py"}], name="mine.json")
    assert parse_file(path).problems[0].reference_code == "print('figure')\n"


def test_unknown_item_field_is_noted(tmp_path):
    result = parse_file(write_json(tmp_path, [{**GOOD, "difficulty": 3}]))
    [entry] = result.report.entries
    assert (entry.field, entry.action, entry.reason, entry.quiz_index) == (
        "difficulty",
        "noted",
        "unknown_item_field",
        None,
    )


def test_a_dropped_quiz_keeps_the_problem_and_is_reported(tmp_path):
    bad_quiz = {**GOOD["quizzes"][0], "correct_option": "Z"}
    item = {**GOOD, "quizzes": [bad_quiz, GOOD["quizzes"][0]]}
    result = parse_file(write_json(tmp_path, [item]))
    assert len(result.problems[0].quizzes) == 1
    assert result.report.quizzes_published == 2 and result.report.quizzes_dropped == 1
    [entry] = result.report.entries
    assert (entry.item_id, entry.quiz_index, entry.action, entry.reason) == (
        "p1",
        0,
        "dropped",
        "correct_option_unknown",
    )
    assert entry.field == "quizzes[0].correct_option"
