"""Protocols: identity by definition, problem sets, merging the parts of several evaluation runs."""

from __future__ import annotations

import json

import pytest

from core.protocols import (
    PAPER_PROTOCOL,
    Answerer,
    Protocol,
    build_protocol,
    merge_protocols,
    official_protocol,
    problem_set_of,
    protocol_from_json,
)

QUIZ_PART = {"quiz_set": "quizzes", "answerer": Answerer(model="ocr"), "missing_image_rule": "counted_failed"}


def test_identity_is_the_definition_not_the_name() -> None:
    named = PAPER_PROTOCOL.model_copy(update={"name": "another name"})
    assert named.protocol_id == PAPER_PROTOCOL.protocol_id
    assert official_protocol("seephys").protocol_id != PAPER_PROTOCOL.protocol_id
    again = protocol_from_json(json.dumps(PAPER_PROTOCOL.definition()), PAPER_PROTOCOL.name)
    assert again == PAPER_PROTOCOL


def test_problem_sets_differ_by_any_problem_and_not_by_order() -> None:
    first = problem_set_of(["scigen:2", "scigen:1"])
    assert first == problem_set_of(["scigen:1", "scigen:2", "scigen:1"])
    assert (first.source, first.count) == ("scigen", 2)
    assert problem_set_of(["scigen:1", "scigen:3"]).fingerprint != first.fingerprint
    assert problem_set_of(["scigen:1", "seephys:1"]).source == "scigen+seephys"


def test_parts_of_one_figure_set_merge_and_conflicts_make_a_mixed_protocol() -> None:
    uids = ["custom:a", "custom:b"]
    quizzes = build_protocol(uids, QUIZ_PART)
    judged = build_protocol(uids, {"judges": ["m2", "m1"]})
    merged = merge_protocols([quizzes, judged])
    assert merged.judges == ("m1", "m2") and merged.answerer.model == "ocr"
    assert merge_protocols([quizzes]) == quizzes and merge_protocols([]) is None
    other_answerer = build_protocol(uids, {**QUIZ_PART, "answerer": Answerer(model="gpt")})
    mixed = merge_protocols([quizzes, other_answerer])
    assert mixed.mixed_of == tuple(sorted({quizzes.protocol_id, other_answerer.protocol_id}))
    assert mixed.describe().startswith("mixed:")
    assert merge_protocols([quizzes, build_protocol(["custom:a"], {"judges": ["m"]})]).mixed_of


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['answerr'\]"):
        build_protocol(["custom:a"], {"answerr": "x"})


def test_the_papers_protocol_says_what_it_is() -> None:
    text = PAPER_PROTOCOL.describe()
    assert "quizzes + open multimodal question" in text and "missing images left out" in text
    assert PAPER_PROTOCOL.answerer.model == "gemini-3-flash-preview" and PAPER_PROTOCOL.answerer.shuffle is False
    assert isinstance(PAPER_PROTOCOL, Protocol) and official_protocol("seephys").quiz_set == "quizzes"
    with pytest.raises(ValueError, match="unknown official dataset"):
        official_protocol("mmmu")
