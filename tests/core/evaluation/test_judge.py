"""The five-dimension judge: robust reading of replies, bounded retries, several judges, failures —
against a scripted vision server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.evaluation import create_evaluator
from core.evaluation.base import EvaluationContext, EvaluatorSpec, FigureUnderTest
from core.evaluation.judge import (
    DIMENSIONS,
    JudgeEvaluator,
    dimension_of_key,
    parse_judge_reply,
)
from core.evaluation.prompts import JUDGE, JUDGE_JSON_KEYS
from core.evaluation.replies import last_json_object
from core.metrics import METRICS
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer, Fault, ReceivedRequest, solid_png
from core.models.testing import FAST_RETRY, profile_for
from core.problems import Problem

PROBLEM = Problem(
    id="incline",
    source="custom",
    subject="Physics",
    image_type="Physics - Mechanical",
    question="A 2 kg block rests on a 30° incline with friction coefficient 0.3.",
    answer="9.8 N",
)
GOOD = """Correctness & Fidelity: the block, the 30° angle and the 2 kg label are all present.
Layout & Precision: lines meet cleanly.
Readability & Occlusion: the angle label touches the incline slightly.
Scientific Plausibility: the forces are drawn in sensible directions.
Expressiveness & Richness: shows the whole setting.
```json
{"correctness_fidelity": 2, "layout_precision": 2, "readability_occlusion": 1, "scientific_plausibility": 2, "expressiveness_richness": 1}
```"""
GOOD_SCORES = {"judge_cf": 2, "judge_lp": 2, "judge_ro": 1, "judge_sp": 2, "judge_er": 1}


pytestmark = pytest.mark.usefixtures("model_env")


@pytest.fixture
def server_defaults() -> dict:
    return {"hang_s": 5}


def run(coroutine):
    return asyncio.run(coroutine)


def context(server: FakeOpenAIServer, tmp_path: Path, *names: str) -> EvaluationContext:
    profiles = {
        name: profile_for(server, model=f"openai/{name}", name=name, max_retries=0)
        for name in names or ("judge-a",)
    }
    client = ModelClient(
        cache=ResponseCache(tmp_path / "cache"),
        retry=FAST_RETRY,
        config=ProfileConfig(None, profiles, {}, {}),
    )
    return EvaluationContext(client=client)


@pytest.fixture
def figure(tmp_path: Path) -> FigureUnderTest:
    path = tmp_path / "figure.png"
    path.write_bytes(solid_png(32, 32))
    return FigureUnderTest(run_id="gen", problem_uid=PROBLEM.uid, status="ok", image_path=path)


def scores_of(rows, judge: str | None = None) -> dict[str, int | None]:
    return {row.dimension: row.score for row in rows if judge is None or row.judge == judge}


# ---- reading replies ------------------------------------------------------------------------------


def test_fenced_json_with_rationales_per_dimension() -> None:
    reading = parse_judge_reply(GOOD)
    assert reading.complete and reading.scores == GOOD_SCORES and not reading.issues
    assert reading.rationales["judge_cf"] == "the block, the 30° angle and the 2 kg label are all present."
    assert reading.rationales["judge_ro"] == "the angle label touches the incline slightly."
    assert reading.rationales["judge_er"] == "shows the whole setting."


def test_trailing_prose_name_variants_and_the_last_object() -> None:
    reply = (
        'The format is {"correctness": 0, "layout": 0, "readability": 0, "plausibility": 0, "richness": 0}.\n'
        "**1. Correctness and Fidelity** - all labels right.\n"
        "Final scores:\n"
        "{'Correctness & Fidelity': 2, 'Layout': '1', 'readability_occlusion': 2.0, "
        "'Plausibility': {'score': 1, 'reasoning': 'the normal force is slanted'}, 'judge_er': '2/2',}\n"
        "Hope this helps! Let me know if you need more detail."
    )
    reading = parse_judge_reply(reply)
    assert reading.scores == {"judge_cf": 2, "judge_lp": 1, "judge_ro": 2, "judge_sp": 1, "judge_er": 2}
    assert reading.rationales["judge_sp"] == "the normal force is slanted"
    assert reading.rationales["judge_cf"].startswith("all labels right.")


def test_nested_scores_object_and_key_spellings() -> None:
    reply = '{"scores": {"CF": 0, "LP": 1, "RO": 2, "SP": 0, "ER": 1}, "summary": "meh"}'
    assert parse_judge_reply(reply).scores == {
        "judge_cf": 0,
        "judge_lp": 1,
        "judge_ro": 2,
        "judge_sp": 0,
        "judge_er": 1,
    }
    for key, dimension in [
        ("Correctness_Fidelity", "judge_cf"),
        ("layout-precision score", "judge_lp"),
        ("Readability & Occlusion", "judge_ro"),
        ("scientific plausibility", "judge_sp"),
        ("expressiveness", "judge_er"),
        ("overall", None),
    ]:
        assert dimension_of_key(key) == dimension


@pytest.mark.parametrize(
    ("reply", "missing"),
    [
        ("", list(DIMENSIONS)),
        ("The figure looks fine overall, I'd give it high marks.", list(DIMENSIONS)),
        (
            '{"correctness_fidelity": 3, "layout_precision": 2, "readability_occlusion": 2, '
            '"scientific_plausibility": 2, "expressiveness_richness": 2}',
            ["judge_cf"],
        ),
        (
            '{"correctness_fidelity": 2, "layout_precision": 1.5, "readability_occlusion": 2}',
            ["judge_lp", "judge_sp", "judge_er"],
        ),
        ('{"correctness_fidelity": 2, "layout_precision": 2', list(DIMENSIONS)),  # cut off
    ],
)
def test_unreadable_or_incomplete_replies(reply: str, missing: list[str]) -> None:
    reading = parse_judge_reply(reply)
    assert not reading.complete and reading.missing == missing
    assert reading.problem()


def test_last_json_object_picks_the_outermost_last_one() -> None:
    text = 'a {"x": 1} b ```json\n{"y": {"z": 2}}\n``` c'
    assert last_json_object(text) == {"y": {"z": 2}}
    assert last_json_object(text, lambda obj: "x" in obj) == {"x": 1}
    assert last_json_object("no json here") is None


def test_the_prompt_carries_the_rubric() -> None:
    for key in JUDGE_JSON_KEYS.values():
        assert key in JUDGE.system + JUDGE.template
    assert "nothing is invented" in JUDGE.system and "heavy occlusion" in JUDGE.system
    assert "2 = conveys the full scenario" in JUDGE.system
    for name in DIMENSIONS:
        assert METRICS[name].upper == 2.0


# ---- the evaluator against the server ------------------------------------------------------------


def test_judge_sends_image_and_question_and_stores_scores_with_rationales(
    make_server, tmp_path, figure
) -> None:
    server = make_server(script=[GOOD])
    evaluator = create_evaluator(EvaluatorSpec.create("judge", model="judge-a"))
    assert isinstance(evaluator, JudgeEvaluator) and evaluator.judges == ("judge-a",)
    output = run(evaluator.evaluate(PROBLEM, figure, context(server, tmp_path)))
    assert scores_of(output.judge_scores) == GOOD_SCORES
    assert all(row.judge == "judge-a" and row.error_class is None for row in output.judge_scores)
    assert {row.dimension: row.rationale for row in output.judge_scores}["judge_lp"] == "lines meet cleanly."
    (request,) = server.requests
    assert request.images == [figure.image_path.read_bytes()]
    text = "\n".join(request.texts)
    assert PROBLEM.question in text and "9.8 N" not in text
    assert "Correctness & Fidelity" in text  # the rubric (system message)
    assert output.notes == [] and len(output.ledger) == 1


def test_unparsable_reply_is_retried_in_the_same_conversation(make_server, tmp_path, figure) -> None:
    server = make_server(script=["Looks good to me!", GOOD])
    output = run(
        create_evaluator(EvaluatorSpec.create("judge", model="judge-a")).evaluate(
            PROBLEM, figure, context(server, tmp_path)
        )
    )
    assert scores_of(output.judge_scores) == GOOD_SCORES
    assert server.request_count == 2
    retry = server.requests[1]
    messages = retry.body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "Looks good to me!"
    assert "could not be read" in messages[3]["content"]
    assert retry.images == [figure.image_path.read_bytes()]
    assert output.notes == [f"{PROBLEM.uid}: judge judge-a needed 1 retry"]


def test_retries_are_bounded_then_scores_are_none_unparsable(make_server, tmp_path, figure) -> None:
    server = make_server(reply="I refuse to give numbers.")  # forever unreadable
    output = run(
        create_evaluator(EvaluatorSpec.create("judge", model="judge-a")).evaluate(
            PROBLEM, figure, context(server, tmp_path)
        )
    )
    assert server.request_count == 3  # first try + the default 2 retries, never more
    assert scores_of(output.judge_scores) == dict.fromkeys(DIMENSIONS)
    assert {row.error_class for row in output.judge_scores} == {"unparsable"}
    assert "no readable scores after 3 tries" in output.notes[0]

    server_once = make_server(reply="still no numbers")
    output = run(
        create_evaluator(EvaluatorSpec.create("judge", model="judge-a", parse_retries=0)).evaluate(
            PROBLEM, figure, context(server_once, tmp_path / "b")
        )
    )
    assert server_once.request_count == 1 and all(row.score is None for row in output.judge_scores)


def test_partial_scores_keep_the_best_attempt(make_server, tmp_path, figure) -> None:
    partial = '{"correctness_fidelity": 2, "layout_precision": 1}'
    server = make_server(reply=partial)
    output = run(
        create_evaluator(EvaluatorSpec.create("judge", model="judge-a", parse_retries=1)).evaluate(
            PROBLEM, figure, context(server, tmp_path)
        )
    )
    assert server.request_count == 2
    rows = {row.dimension: row for row in output.judge_scores}
    assert (rows["judge_cf"].score, rows["judge_lp"].score) == (2, 1)
    assert rows["judge_cf"].error_class is None
    assert rows["judge_ro"].score is None and rows["judge_ro"].error_class == "unparsable"


def test_several_judges_are_asked_and_named(make_server, tmp_path, figure) -> None:
    def reply(request: ReceivedRequest) -> str:
        score = 2 if request.model == "judge-a" else 0
        return json.dumps({key: score for key in JUDGE_JSON_KEYS.values()})

    server = make_server(reply=reply)
    spec = EvaluatorSpec.create("judge", judges=["judge-a", "judge-b"])
    output = run(
        create_evaluator(spec).evaluate(PROBLEM, figure, context(server, tmp_path, "judge-a", "judge-b"))
    )
    assert len(output.judge_scores) == 10
    assert set(scores_of(output.judge_scores, "judge-a").values()) == {2}
    assert set(scores_of(output.judge_scores, "judge-b").values()) == {0}
    assert sorted(request.model for request in server.requests) == ["judge-a", "judge-b"]


def test_missing_image_and_model_failure(make_server, tmp_path, figure) -> None:
    server = make_server(script=[Fault.AUTH])
    evaluator = create_evaluator(EvaluatorSpec.create("judge", judges=["judge-a"]))
    ctx = context(server, tmp_path)
    missing = FigureUnderTest(run_id="gen", problem_uid=PROBLEM.uid, status="failed")
    output = run(evaluator.evaluate(PROBLEM, missing, ctx))
    assert server.request_count == 0
    assert {(row.score, row.error_class) for row in output.judge_scores} == {(0, "missing_image")}
    output = run(evaluator.evaluate(PROBLEM, figure, ctx))
    assert server.request_count == 1  # an auth failure is not retried as "unparsable"
    assert {(row.score, row.error_class) for row in output.judge_scores} == {(None, "auth")}
    assert len(output.ledger) == 1 and not output.ledger[0].ok


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "needs 'judges'"),
        ({"judges": []}, "needs 'judges'"),
        ({"judges": ["a", "a"]}, "listed twice"),
        ({"judges": ["a"], "model": "b"}, "not both"),
        ({"model": "a", "parse_retries": -1}, "parse_retries"),
    ],
)
def test_spec_validation(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_evaluator(EvaluatorSpec.create("judge", **params))
