"""The versioned prompts: what the system prompt asks for, and that templates format cleanly."""

from __future__ import annotations

import re

from core.generation.prompts import (
    IMGCODER_PROMPTS,
    PIXEL_PROMPT_VERSION,
    PIXEL_PROMPTS,
    PLAN_PARTS,
    PROMPT_VERSION,
    REPAIR_HINTS,
    library_list,
)
from core.sandbox import AVAILABLE_LIBRARIES
from core.sandbox.models import ErrorClass


def test_current_versions_exist_and_name_themselves() -> None:
    assert IMGCODER_PROMPTS[PROMPT_VERSION].version == PROMPT_VERSION
    assert PIXEL_PROMPTS[PIXEL_PROMPT_VERSION].version == PIXEL_PROMPT_VERSION


def test_system_prompt_asks_for_the_four_part_plan_and_one_script() -> None:
    system = IMGCODER_PROMPTS[PROMPT_VERSION].system_prompt(timeout_s=20)
    positions = [system.index(part) for part in PLAN_PARTS]
    assert positions == sorted(positions)  # the parts are asked for in order
    for rule in (
        "ONE self-contained Python script",
        "Draw only the initial setting",
        "Label every given value",
        "Never reveal the answer, a derivation",
        "Textbook style",
        'ax.set_aspect("equal")',
        "prefer plain text",
        "One figure",
        "under 20 seconds",
    ):
        assert rule in system, rule
    for library in AVAILABLE_LIBRARIES:
        assert f"- {library}" in system
    assert not re.search(r"\{\w+\}", system)  # every template field was filled


def test_library_list_follows_the_sandbox() -> None:
    listed = library_list(("matplotlib", "some_new_lib"))
    assert listed.splitlines() == [listed.splitlines()[0], "- some_new_lib"]
    assert listed.startswith("- matplotlib: ")


def test_user_prompt_is_the_question() -> None:
    prompts = IMGCODER_PROMPTS[PROMPT_VERSION]
    assert prompts.user_prompt("  Find x.  ") == "Problem:\nFind x.\n\nWrite the Plan, then the script."


def test_every_failure_class_has_a_repair_hint() -> None:
    assert {cls.value for cls in ErrorClass} | {"no_code", "truncated"} <= set(REPAIR_HINTS)


def test_critique_and_revision_templates() -> None:
    prompts = IMGCODER_PROMPTS[PROMPT_VERSION]
    critique = prompts.critique.format(question="A lens of focal length 10 cm.")
    assert "A lens of focal length 10 cm." in critique and "APPROVE" in critique and "PROBLEMS:" in critique
    revision = prompts.revision.format(problems="- add the focal points")
    assert "- add the focal points" in revision and "ONE" in revision


def test_pixel_prompt() -> None:
    prompt = PIXEL_PROMPTS[PIXEL_PROMPT_VERSION].prompt(
        "Two charges q1 = 2 μC and q2 = -3 μC are 10 cm apart."
    )
    assert "q1 = 2 μC and q2 = -3 μC" in prompt
    for rule in (
        "every entity",
        "given value",
        "Do not show the solution",
        "No decoration",
        "white background",
    ):
        assert rule in prompt
