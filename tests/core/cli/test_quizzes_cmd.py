"""``scigen quizzes generate|audit|flagged`` through the same entry point a user calls, with the
model profiles in the workspace's scigen.toml pointing at a scripted server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.models.fake_server import FakeOpenAIServer, ReceivedRequest
from core.problems import Problem, Quiz
from core.workspace import PROJECT_ROOT

SCIGENBENCH = PROJECT_ROOT.parent / "shared" / "scigenbench"
TEXT = (
    "A 2 kg block rests on a ramp inclined at 30° to the horizontal. A rope pulls it up the ramp "
    "with a force of 15 N. The coefficient of friction is 0.25. Find the acceleration."
)
QUIZ_ANGLE = Quiz(
    question="What angle does the ramp make with the horizontal?",
    options={"A": "45°", "B": "60°", "C": "30°", "D": "15°"},
    correct_option="C",
    evidence_snippet="inclined at 30° to the horizontal",
)
QUIZ_MASS = Quiz(
    question="What mass is labelled on the block?",
    options={"A": "1 kg", "B": "2 kg", "C": "3 kg", "D": "4 kg"},
    correct_option="B",
    evidence_snippet="A 2 kg block",
)
QUIZ_FORCE = Quiz(
    question="What force does the rope apply?",
    options={"A": "15 N", "B": "20 N", "C": "10 N", "D": "25 N"},
    correct_option="A",
    evidence_snippet="a force of 15 N",
)
GENERATED = json.dumps(
    {
        "elements": ["A block labelled '2 kg'.", "A ramp at 30°.", "A rope force of 15 N."],
        "quizzes": [quiz.model_dump() for quiz in (QUIZ_ANGLE, QUIZ_MASS, QUIZ_FORCE)],
    }
)


def problem(pid: str, source: str = "custom", quizzes: list[Quiz] | None = None) -> Problem:
    return Problem(
        id=pid,
        source=source,
        question=TEXT,
        subject="Physics",
        image_type="Physics - Mechanical",
        answer="0.83 m/s^2",
        quizzes=quizzes or [],
    )


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "SCIGEN_CONFIG", "SCIGEN_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def server():
    with FakeOpenAIServer(reply="?", hang_s=5) as fake:
        yield fake


@pytest.fixture
def scigen(scigen_with, tmp_path, server):
    """``scigen --home <tmp> ARGS`` with only the quizzes verbs; profiles 'quizgen' and 'blind'."""
    home = tmp_path / "home"
    home.mkdir()
    profiles = "\n".join(
        f'[profiles.{name}]\nmodel = "openai/{name}"\napi_base = "{server.api_base}"\ntimeout_s = 5\nmax_retries = 0\n'
        for name in ("quizgen", "blind")
    )
    (home / "scigen.toml").write_text(profiles, encoding="utf-8")
    return scigen_with("core.cli.quizzes_cmd", home)


def test_help(scigen, capsys) -> None:
    for action, flag in (("generate", "--overwrite"), ("audit", "--shuffles"), ("flagged", "--model")):
        with pytest.raises(SystemExit) as excinfo:
            scigen("quizzes", action, "--help")
        assert excinfo.value.code == 0
        assert flag in capsys.readouterr().out


# ---- generate ------------------------------------------------------------------------------------


def test_generate_writes_quizzes_only_for_problems_without_them(scigen, server) -> None:
    server.reply = GENERATED
    store = scigen.store()
    store.upsert_problems(
        [
            problem("new"),
            problem("has", quizzes=[QUIZ_MASS]),
            problem("pub", source="scigen", quizzes=[QUIZ_MASS]),
        ]
    )
    status, out, err = scigen("quizzes", "generate")
    assert status == 0, err
    assert "custom:new: 3 quizzes, 3 elements" in out
    assert "generated quizzes for 1 of 1 problems with quizgen; skipped 2 that already have quizzes" in out
    stored = store.get_problem("custom:new")
    assert len(stored.quizzes) == 3 and len(stored.elements) == 3
    assert {q.options[q.correct_option] for q in stored.quizzes} == {"30°", "2 kg", "15 N"}
    assert store.get_problem("custom:has").quizzes == [QUIZ_MASS]
    (request,) = server.requests
    assert request.model == "quizgen" and TEXT in "\n".join(request.texts)
    provenance = store.quiz_generations()
    assert list(provenance["problem_uid"]) == ["custom:new"]
    assert provenance.iloc[0]["model"] == "quizgen" and provenance.iloc[0]["n_quizzes"] == 3

    status, out, _ = scigen("quizzes", "generate")
    assert status == 0 and "no selected problem needs quizzes (3 already have quizzes" in out
    assert server.request_count == 1


def test_overwrite_touches_custom_problems_unless_a_source_is_named(scigen, server) -> None:
    server.reply = GENERATED
    store = scigen.store()
    store.upsert_problems(
        [problem("has", quizzes=[QUIZ_MASS]), problem("pub", source="scigen", quizzes=[QUIZ_MASS])]
    )
    status, out, err = scigen("quizzes", "generate", "--overwrite", "--format", "json")
    assert status == 0, err
    report = json.loads(out)
    assert [r["problem_uid"] for r in report["results"]] == ["custom:has"] and report["generated"] == 1
    assert len(store.get_problem("custom:has").quizzes) == 3
    assert store.get_problem("scigen:pub").quizzes == [QUIZ_MASS]  # imported quizzes untouched
    status, out, _ = scigen("quizzes", "generate", "--overwrite", "--ids", "scigen:pub")
    assert status == 0 and "scigen:pub: 3 quizzes" in out
    assert len(store.get_problem("scigen:pub").quizzes) == 3


def test_generate_reports_invalid_output_and_stores_nothing(scigen, server) -> None:
    server.reply = "I'd rather write a poem."
    store = scigen.store()
    store.upsert_problems([problem("new")])
    status, out, _ = scigen("quizzes", "generate")
    assert status == 1
    assert "custom:new: FAILED (invalid_quizzes)" in out
    assert "attempt 2: no JSON object with a 'quizzes' list was found in the reply" in out
    assert store.get_problem("custom:new").quizzes == [] and server.request_count == 2
    assert store.quiz_generations().empty


def test_generate_without_a_model_profile_is_a_clear_error(scigen, server) -> None:
    (scigen.home / "scigen.toml").write_text("", encoding="utf-8")
    scigen.store().upsert_problems([problem("new")])
    status, _, err = scigen("quizzes", "generate")
    assert status == 2 and "no profile named 'quizgen'" in err and "--model" in err
    status, _, err = scigen("quizzes", "generate", "--ids", "custom:nope")
    assert status == 2 and "no problem 'custom:nope'" in err


# ---- audit ---------------------------------------------------------------------------------------


def blind_model(request: ReceivedRequest) -> str:
    """Knows the angle quiz cold; knows the mass quiz except when the answer is shown first."""
    text = "\n".join(request.texts)
    shown = dict(re.findall(r"^([A-Z])\. (.+)$", text, flags=re.MULTILINE))
    wanted = "30°" if QUIZ_ANGLE.question in text else "2 kg"
    label = next(label for label, option in shown.items() if option == wanted)
    return "D" if (wanted == "2 kg" and label == "A") else f"Answer: {label}"


def test_audit_flags_only_quizzes_right_in_every_shuffle(scigen, server) -> None:
    server.reply = blind_model
    store = scigen.store()
    store.upsert_problems([problem("aud", quizzes=[QUIZ_ANGLE, QUIZ_MASS])])
    status, out, err = scigen("quizzes", "audit", "--model", "blind", "--shuffles", "4")
    assert status == 0, err
    assert "FLAGGED custom:aud#0: 4/4 right without the figure" in out
    assert "custom:aud#1" not in out
    assert (
        "audited 2 quizzes with blind over 4 shuffles: 1 flagged blind-solvable (50.0%), 0 incomplete" in out
    )
    assert server.request_count == 8
    for request in server.requests:
        assert request.images == [] and TEXT not in "\n".join(request.texts)

    audits = store.quiz_audits()
    assert list(audits["flagged"]) == [True, False] and list(audits["n_correct"]) == [4, 3]
    assert all(len(seeds) == 4 for seeds in audits["seeds"])
    assert store.flagged_quiz_keys() == {("custom:aud", 0)}

    status, out, _ = scigen("quizzes", "flagged")
    assert status == 0 and "custom:aud#0  blind  4/4" in out and "1 flagged quiz audits" in out

    status, out, _ = scigen("quizzes", "audit", "--model", "blind", "--shuffles", "4")
    assert "skipped 2 already audited" in out and server.request_count == 8
    status, out, _ = scigen(
        "quizzes", "audit", "--model", "blind", "--shuffles", "4", "--redo", "--format", "json"
    )
    report = json.loads(out)
    assert report["audited"] == 2 and report["flagged"] == [
        {"problem_uid": "custom:aud", "quiz_index": 0, "n_correct": 4, "shuffles": 4}
    ]
    assert server.request_count == 8  # the same asks again: answered from the cache
    status, out, _ = scigen("quizzes", "audit", "--model", "blind", "--shuffles", "4", "--redo", "--no-cache")
    assert status == 0 and server.request_count == 16


def test_audit_of_a_seed_changes_the_shuffles_and_records_incomplete_audits(scigen, server) -> None:
    server.reply = blind_model
    store = scigen.store()
    store.upsert_problems([problem("aud", quizzes=[QUIZ_ANGLE])])
    scigen("quizzes", "audit", "--model", "blind", "--seed", "1")
    first = store.quiz_audits().iloc[0]
    scigen("quizzes", "audit", "--model", "blind", "--seed", "2", "--redo")
    second = store.quiz_audits().iloc[0]
    assert list(first["seeds"]) != list(second["seeds"])
    asks = json.loads(second["answers_json"])
    assert [ask["seed"] for ask in asks] == list(second["seeds"])
    assert all(ask["parsed_key"] == "C" and ask["correct"] for ask in asks)

    server.reply = "%%%"  # unreadable, and so is the grader's verdict
    status, out, _ = scigen("quizzes", "audit", "--model", "blind", "--seed", "3", "--redo")
    assert status == 0 and "incomplete custom:aud#0: 3 asks failed (unparsable)" in out
    assert store.flagged_quiz_keys() == set()  # the newer, incomplete audit replaced the flag


def test_flagged_audits_lapse_when_the_quiz_changes(scigen, server) -> None:
    server.reply = blind_model
    store = scigen.store()
    store.upsert_problems([problem("aud", quizzes=[QUIZ_ANGLE])])
    scigen("quizzes", "audit", "--model", "blind")
    assert store.flagged_quiz_keys() == {("custom:aud", 0)}
    changed = QUIZ_ANGLE.model_copy(update={"question": "Which angle is marked at the base of the ramp?"})
    store.upsert_problems([problem("aud", quizzes=[changed])])
    assert store.flagged_quiz_keys() == set()
    status, out, _ = scigen("quizzes", "flagged", "--format", "json")
    assert status == 0 and json.loads(out) == []


@pytest.mark.realdata
@pytest.mark.skipif(
    not (SCIGENBENCH / "scigen.json").is_file(), reason=f"real SciGenBench data not found at {SCIGENBENCH}"
)
def test_audit_works_on_imported_scigenbench_quizzes(scigen, server) -> None:
    from core.problems.importer import parse_file

    imported = parse_file(SCIGENBENCH / "scigen.json").problems[:2]
    store = scigen.store()
    store.upsert_problems(imported)
    server.reply = "C"  # the published letters' favourite, always: never right in every shuffle
    status, out, err = scigen("quizzes", "audit", "--model", "blind", "--source", "scigen")
    assert status == 0, err
    n_quizzes = sum(len(p.quizzes) for p in imported)
    assert f"audited {n_quizzes} quizzes with blind over 3 shuffles: 0 flagged" in out
    assert len(store.quiz_audits(model="blind")) == n_quizzes
