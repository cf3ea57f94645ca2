"""``scigen import`` and ``scigen problems``, through the same entry point a user calls."""

import json

import pytest

from core.workspace import PROJECT_ROOT

SCIGENBENCH = PROJECT_ROOT.parent / "shared" / "scigenbench"
needs_real_data = pytest.mark.skipif(
    not (SCIGENBENCH / "scigen.json").is_file(), reason=f"real SciGenBench data not found at {SCIGENBENCH}"
)

ITEM = {
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


@pytest.fixture
def scigen(scigen_with, tmp_path):
    """``scigen --home <tmp> ARGS`` with only the problems verbs."""
    return scigen_with("core.cli.problems_cmd", tmp_path / "home")


def write(path, items):
    path.write_text(items if isinstance(items, str) else json.dumps(items), encoding="utf-8")
    return path


def test_help(scigen, capsys):
    for verb, flag in (("import", "--report-json"), ("problems", "--format")):
        with pytest.raises(SystemExit) as excinfo:
            scigen(verb, "--help")
        assert excinfo.value.code == 0
        assert flag in capsys.readouterr().out


def test_import_small_file_and_report(scigen, tmp_path):
    bad_quiz = {
        **ITEM["quizzes"][0],
        "options": {"A": "1 kg", "0": "2 kg", "C": "3 kg", "D": "4 kg"},
        "group": "g",
    }
    items = [ITEM, {**ITEM, "id": "p2", "quizzes": [bad_quiz, {**bad_quiz, "correct_option": "E"}]}]
    path = write(tmp_path / "mine.jsonl", "\n".join(json.dumps(i) for i in items))
    status, out, err = scigen("import", path, "--source", "scigen", "--report-json", tmp_path / "r.json")
    assert status == 0, err
    assert "item 1 (id 'p2') line 2 quizzes[0]: normalised [stray_field]" in out
    assert "quizzes[0]: normalised [option_key_by_position]" in out
    assert "item 1 (id 'p2') line 2 quizzes[1]: dropped [correct_option_unknown]" in out
    assert "stored 2 problems: 2 inserted, 0 updated, 0 unchanged" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["store"] == [{"file": str(path), "inserted": 2, "updated": 0, "unchanged": 0}]
    assert report["files"][0]["summary"]["quizzes_dropped"] == 1
    stored = scigen.store().get_problem("scigen:p2")
    assert [q.correct_option for q in stored.quizzes] == ["B"] and stored.quizzes[0].options["B"] == "2 kg"


BROKEN = {
    "invalid JSON": ('[{"id": "x", ', ["invalid JSON"]),
    "wrong top level": (json.dumps({"problems": []}), ["top level is a JSON object"]),
    "item without question": (
        json.dumps(
            [{**ITEM, "id": "new1"}, {k: v for k, v in ITEM.items() if k != "question"} | {"id": "new2"}]
        ),
        ["item 1 (id 'new2')", "field 'question'", "missing"],
    ),
    "bad image type": (
        json.dumps([{**ITEM, "id": "new1", "image_type": "Physics - Circuits"}]),
        ["item 0", "field 'image_type'"],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_stores_nothing_and_keeps_what_was_stored(scigen, tmp_path, case):
    status, _, err = scigen("import", write(tmp_path / "scigen_ok.json", [ITEM]))
    assert status == 0, err
    before = scigen.store().list_problems()
    text, expected = BROKEN[case]
    broken = write(tmp_path / "scigen_broken.json", text)
    status, out, err = scigen("import", broken)
    assert status == 2
    assert str(broken) in err and "nothing was stored" in err
    for fragment in expected:
        assert fragment in err
    assert "stored" not in out
    after = scigen.store().list_problems()
    assert after.to_dict("records") == before.to_dict("records")
    assert scigen.store().get_problem("scigen:new1") is None
    assert scigen.store().get_problem("scigen:p1") is not None


def test_one_broken_file_among_several_stores_nothing(scigen, tmp_path):
    good = write(tmp_path / "a_scigen.json", [ITEM])
    broken = write(tmp_path / "b_scigen.json", [{"id": "q"}])
    status, _, err = scigen("import", good, broken)
    assert status == 2 and "b_scigen.json" in err
    assert scigen.store().count_problems() == 0


def test_same_id_in_two_files_is_refused(scigen, tmp_path):
    status, _, err = scigen(
        "import", write(tmp_path / "a_scigen.json", [ITEM]), write(tmp_path / "b_scigen.json", [ITEM])
    )
    assert status == 2 and "is also in" in err
    assert scigen.store().count_problems() == 0


def test_missing_path(scigen, tmp_path):
    status, _, err = scigen("import", tmp_path / "absent.json")
    assert status == 2 and "no such file or folder" in err


def test_problems_filters_and_formats(scigen, tmp_path):
    items = [
        ITEM,
        {**ITEM, "id": "p2", "image_type": "Physics - Circuit", "question": "A 5 Ω resistor."},
        {**ITEM, "id": "p10", "image_type": "Math - Plane Geometric", "question": "Triangle ABC."},
    ]
    assert scigen("import", write(tmp_path / "scigen.json", items))[0] == 0
    status, out, _ = scigen("problems", "--subject", "physics", "--format", "json")
    assert status == 0
    assert [r["uid"] for r in json.loads(out)] == ["scigen:p1", "scigen:p2"]
    status, out, _ = scigen("problems", "--type", "circuit", "--format", "csv")
    lines = out.strip().splitlines()
    assert (
        lines[0].startswith("uid,id,source,subject,image_type,question")
        and len(lines) == 2
        and "scigen:p2" in lines[1]
    )
    status, out, _ = scigen("problems", "--search", "TRIANGLE")
    assert "scigen:p10" in out and "scigen:p1 " not in out and out.strip().endswith("1 of 1 problems")
    status, out, _ = scigen("problems", "--limit", "2")
    assert out.splitlines()[0].split() == ["uid", "subject", "image_type", "n_quizzes", "question"]
    assert out.strip().endswith("2 of 3 problems")
    status, out, _ = scigen("problems", "--source", "seephys")
    assert status == 0 and "no problems match" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--subject", "Geology"), "unknown subject 'Geology'"),
        (("--type", "Circuits"), "unknown image type 'Circuits'"),
        (("--limit", "0"), "--limit must be a positive number"),
    ],
)
def test_problems_bad_arguments(scigen, args, message):
    status, _, err = scigen("problems", *args)
    assert status == 2 and message in err


@pytest.mark.slow
@pytest.mark.realdata
@needs_real_data
def test_real_import_and_reimport(scigen, tmp_path):
    status, out, err = scigen("import", SCIGENBENCH, "--report-json", tmp_path / "report.json")
    assert status == 0, err
    assert "scigen.json: stored 534 problems: 534 inserted, 0 updated, 0 unchanged" in out
    assert "seephys.json: stored 165 problems: 165 inserted, 0 updated, 0 unchanged" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert [f["summary"]["quizzes_reported"] for f in report["files"]] == [20, 5]
    for entry in report["files"][0]["entries"]:
        assert f"(id '{entry['item_id']}')" in out and f"quizzes[{entry['quiz_index']}]" in out
    store = scigen.store()
    stored = store.list_problems()
    assert len(stored) == 699 and stored["n_quizzes"].sum() == 2081 + 536

    version = store.data_version()
    for name, n in (("scigen.json", 534), ("seephys.json", 165)):
        status, out, _ = scigen("import", SCIGENBENCH / name)
        assert status == 0 and f"stored {n} problems: 0 inserted, 0 updated, {n} unchanged" in out
    assert store.list_problems().equals(stored)
    assert store.data_version() == version

    physics = store.list_problems(subject="Physics")
    assert (physics["source"] == "seephys").sum() == 165
    seephys = store.get_problem("seephys:1857")
    assert seephys.image_type is None and seephys.reference_image.endswith("seephys_images/1857.png")
