"""Helpers shared by the generator tests (scripts, replies, problems with secret markers)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from core.generation import GenerationContext
from core.models import ModelClient
from core.problems import Problem, Quiz
from core.sandbox import RenderPool

T = TypeVar("T")

GOOD_SCRIPT = """\
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 4], [0, 0], color="black")
ax.plot([0, 4], [0, 2.3], color="black")
ax.text(2.2, 0.3, "30°")
ax.text(2.0, 1.6, "m = 2 kg")
ax.set_aspect("equal")
ax.axis("off")
fig.savefig("figure.png", dpi=100)
"""

BROKEN_SCRIPT = """\
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1], [0, 1])
weight = undefined_mass * 9.8
fig.savefig("figure.png")
"""

PLAN = """\
Plan
Image Content: a block of mass m on an incline at 30 degrees.
Layout: incline from (0, 0) to (4, 2.3); block at its middle.
Labels: "m = 2 kg" on the block, "30°" at the base angle.
Drawing Considerations: no acceleration value, no forces solved."""


def reply(code: str, plan: str = PLAN) -> str:
    """A well-formed ImgCoder reply: plan, then one fenced script."""
    return f"{plan}\n\n```python\n{code}```\n"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def context(pool: RenderPool | None, client: ModelClient | None = None, **extras: Any) -> GenerationContext:
    return GenerationContext(render_pool=pool, client=client, extras=dict(extras))


QUESTION = (
    "A block of mass m = 2 kg rests on a frictionless incline that makes an angle of 30° with the "
    "horizontal. Find the acceleration of the block down the incline."
)
ANSWER = "a = 4.9 m/s² (secret-answer-4711)"
ELEMENT = "secret-element-incline-drawn-with-hatching"
QUIZ_TEXT = "secret-quiz-what-is-the-angle"
MULTIMODAL = "secret-multimodal-read-the-mass-from-the-figure"


def make_problem(**fields: Any) -> Problem:
    """A physics problem whose answer, elements, quizzes and multimodal question carry markers."""
    values: dict[str, Any] = {
        "id": "incline-1",
        "source": "custom",
        "question": QUESTION,
        "subject": "Physics",
        "image_type": "Physics - Mechanical",
        "answer": ANSWER,
        "elements": [ELEMENT],
        "quizzes": [
            Quiz(
                question=QUIZ_TEXT,
                options={"A": "30°", "B": "45°"},
                correct_option="A",
                evidence_snippet="30°",
            )
        ],
        "multimodal_question": MULTIMODAL,
    }
    values.update(fields)
    return Problem(**values)
