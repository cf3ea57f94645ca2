"""The classifier against the loopback model: a type from the 25, a problem that needs no figure,
a reply naming no known type, a model failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from core.evaluation.classify import CLASSIFY_SYSTEM, classify_problem
from core.models import ModelClient, ProfileConfig
from core.models.fake_server import FakeOpenAIServer, Fault
from core.models.testing import FAST_RETRY, profile_for
from core.problems.models import Problem

PROBLEM = Problem(id="c1", source="custom", question="Two resistors of 2 and 3 ohm in series.", subject="Physics")


@pytest.fixture
def classify(make_server: Callable[..., FakeOpenAIServer], model_env: None):
    def run(reply: str | Fault) -> tuple[object, FakeOpenAIServer]:
        server = make_server(script=[reply])
        config = ProfileConfig(None, {"fake": profile_for(server, name="fake", max_retries=0)}, {}, {})
        client = ModelClient(cache=False, retry=FAST_RETRY, config=config)
        return asyncio.run(classify_problem(PROBLEM, client, "fake")), server

    return run


def test_a_visualisable_problem_gets_its_type_and_the_types_subject(classify) -> None:
    verdict, server = classify('Sure. {"visualisable": true, "image_type": "Physics - Circuit", "reason": "a circuit"}')
    assert (verdict.visualisable, verdict.image_type, verdict.subject) == (True, "Physics - Circuit", "Physics")
    assert verdict.reason == "a circuit" and verdict.error_class is None and len(verdict.ledger) == 1
    assert "Biology - Genetics" in CLASSIFY_SYSTEM and PROBLEM.question in "\n".join(server.requests[0].texts)


def test_a_problem_that_needs_no_figure(classify) -> None:
    verdict, _ = classify('{"visualisable": false, "image_type": null, "reason": "pure arithmetic"}')
    assert verdict.visualisable is False and verdict.image_type is None and verdict.error_class is None


def test_an_unknown_type_or_no_json_or_a_failure_is_never_a_guess(classify) -> None:
    unknown, _ = classify('{"visualisable": true, "image_type": "Physics - Spaceship"}')
    assert unknown.visualisable is None and unknown.error_class == "invalid_reply" and "Spaceship" in unknown.reason
    prose, _ = classify("It would be a circuit diagram.")
    assert prose.visualisable is None and prose.error_class == "invalid_reply"
    failed, _ = classify(Fault.AUTH)
    assert failed.visualisable is None and failed.error_class == "auth"
