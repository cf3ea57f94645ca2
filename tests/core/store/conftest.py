"""Shared fixtures for store tests: a fresh store per test and a Problem builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.problems.models import Problem, Quiz
from core.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "scigen.duckdb")


@pytest.fixture
def make_problem() -> Callable[..., Problem]:
    """``make_problem("p1", source=..., n_quizzes=..., **fields)`` -> a valid Problem."""
    return build_problem


def build_problem(
    pid: str,
    *,
    source: str = "scigen",
    subject: str = "Physics",
    image_type: str | None = "Physics - Circuit",
    question: str | None = None,
    n_quizzes: int = 3,
    **fields: object,
) -> Problem:
    quizzes = [
        Quiz(
            question=f"Quiz {index} of {pid}?",
            options={"A": f"a{index}", "B": f"b{index}", "C": f"c{index}", "D": f"d{index}"},
            correct_option="ABCD"[index % 4],
            evidence_snippet=f"evidence {index}",
        )
        for index in range(n_quizzes)
    ]
    return Problem(
        id=pid,
        source=source,
        question=question if question is not None else f"Problem {pid}: a resistor of 5 ohm.",
        subject=subject,
        image_type=image_type,
        answer=f"answer {pid}",
        elements=[f"element 1 of {pid}", f"element 2 of {pid}"],
        quizzes=quizzes,
        **fields,
    )
