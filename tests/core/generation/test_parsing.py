"""parse_reply on messy model replies: fences, several blocks, prose, truncation, no code."""

from __future__ import annotations

import ast

import pytest

from core.generation.parsing import draws, missing_names, parse_reply

SCRIPT = 'import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\nfig.savefig("figure.png")'
PLAN = "Plan\nImage Content: a line.\nLayout: unit square.\nLabels: none.\nDrawing Considerations: no answer shown."


def test_well_formed_reply() -> None:
    parsed = parse_reply(f"{PLAN}\n\n```python\n{SCRIPT}\n```\n")
    assert parsed.ok and parsed.error_class is None
    assert parsed.code == SCRIPT
    assert (
        parsed.plan is not None and parsed.plan.startswith("Plan") and "Drawing Considerations" in parsed.plan
    )
    assert parsed.notes == ["code from one fenced block (python)"]


@pytest.mark.parametrize(
    ("opening", "closing", "language"),
    [
        ("```py", "```", "py"),
        ("```python3", "```", "python3"),
        ("```Python", "```", "python"),
        ("``` python", "```", "python"),
        ("~~~python", "~~~", "python"),
        ("````python", "````", "python"),
        ("```{python}", "```", "python"),
        ("```", "```", "no language"),
    ],
)
def test_fence_variants(opening: str, closing: str, language: str) -> None:
    parsed = parse_reply(f"{PLAN}\n{opening}\n{SCRIPT}\n{closing}\nThat is all.")
    assert parsed.ok
    assert parsed.code == SCRIPT
    assert f"code from one fenced block ({language})" in parsed.notes


def test_prose_around_and_between() -> None:
    text = (
        "Sure! Here is my approach.\n\n"
        f"{PLAN}\n\nNow the code:\n\n```python\n{SCRIPT}\n```\n\n"
        "This script draws the figure. Let me know if you want changes."
    )
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT
    assert parsed.plan is not None and parsed.plan.startswith("Plan")
    assert "Let me know" not in parsed.plan and "Sure!" not in parsed.plan


def test_several_blocks_takes_the_last_that_draws() -> None:
    text = (
        f"{PLAN}\n```python\nimport numpy as np\nprint(np.sqrt(2))\n```\n"
        f"A first try:\n```python\n{SCRIPT.replace('[0, 1]', '[0, 2]')}\n```\n"
        f"Better:\n```python\n{SCRIPT}\n```\n"
        "```python\nprint('done')\n```"
    )
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT
    assert "4 Python blocks; chose block 3 (the last that draws)" in parsed.notes


def test_split_script_is_concatenated() -> None:
    text = (
        "Plan: a line.\n```python\nimport matplotlib.pyplot as plt\nimport numpy as np\n```\n"
        "Then draw:\n```python\nfig, ax = plt.subplots()\nax.plot(np.arange(3))\n```"
    )
    parsed = parse_reply(text)
    assert parsed.code is not None
    assert parsed.code.startswith("import matplotlib.pyplot as plt") and parsed.code.endswith(
        "ax.plot(np.arange(3))"
    )
    ast.parse(parsed.code)
    assert any("concatenated blocks 1-2" in note for note in parsed.notes)


def test_self_contained_last_block_is_not_concatenated() -> None:
    text = f"```python\nimport numpy as np\nx = np.arange(3)\n```\n```python\n{SCRIPT}\n```"
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT
    assert not any("concatenated" in note for note in parsed.notes)


def test_non_python_blocks_are_prose() -> None:
    text = (
        "```text\nPlan\nImage Content: a line\nLayout: square\nLabels: none\nDrawing Considerations: none\n```\n"
        f'```bash\npip install matplotlib\n```\n```python\n{SCRIPT}\n```\n```json\n{{"ok": true}}\n```'
    )
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT
    assert parsed.plan is not None and "Image Content: a line" in parsed.plan
    assert any("non-Python block(s) read as prose (text, bash, json)" in note for note in parsed.notes)


def test_unlabelled_prose_block_is_not_code() -> None:
    text = f"```\nPlan: just a sentence about the figure.\n```\n```\n{SCRIPT}\n```"
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT


def test_no_fences_at_all() -> None:
    text = f"Plan: draw a line across the square.\n\n{SCRIPT}\n\nThis script draws the requested figure."
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT
    assert parsed.plan == "Plan: draw a line across the square."
    assert any(note.startswith("no code fence") for note in parsed.notes)
    assert "dropped 1 trailing prose line(s)" in parsed.notes


def test_missing_closing_fence_not_truncated() -> None:
    parsed = parse_reply(f"{PLAN}\n```python\n{SCRIPT}\n", truncated=False)
    assert parsed.ok and parsed.code == SCRIPT
    assert "the code block has no closing fence; took it to the end of the reply" in parsed.notes


def test_missing_closing_fence_with_trailing_prose() -> None:
    parsed = parse_reply(f"```python\n{SCRIPT}\nThis draws the figure as requested.")
    assert parsed.code == SCRIPT
    assert "dropped 1 trailing prose line(s)" in parsed.notes


def test_truncated_block_is_classified_truncated() -> None:
    cut = SCRIPT[: SCRIPT.index("ax.plot") + 9]
    parsed = parse_reply(f"{PLAN}\n```python\n{cut}", truncated=True)
    assert not parsed.ok and parsed.code is None
    assert parsed.error_class == "truncated"
    assert parsed.plan is not None and parsed.plan.startswith("Plan")
    assert "the reply stopped at the output limit (max_tokens)" in parsed.notes


def test_truncated_before_any_code() -> None:
    parsed = parse_reply("Plan\nImage Content: a very long description that never ends", truncated=True)
    assert parsed.error_class == "truncated" and parsed.code is None


def test_truncated_after_a_complete_block_keeps_it() -> None:
    text = f"{PLAN}\n```python\n{SCRIPT}\n```\nAn improved version:\n```python\nimport matplotlib"
    parsed = parse_reply(text, truncated=True)
    assert parsed.ok and parsed.code == SCRIPT
    assert "an unclosed block after the chosen one was ignored" in parsed.notes


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, I cannot help with drawing this figure.",
        "Plan\nImage Content: a triangle\nLayout: origin at A\nLabels: AB = 3\nDrawing Considerations: none",
        "```text\nno code here, only words\n```",
    ],
)
def test_no_code(text: str) -> None:
    parsed = parse_reply(text)
    assert parsed.error_class == "no_code" and parsed.code is None and not parsed.ok
    assert "no Python code found" in parsed.notes


@pytest.mark.parametrize("text", ["", "   \n ", None])
def test_empty_reply(text: str | None) -> None:
    parsed = parse_reply(text)
    assert parsed.error_class == "no_code" and parsed.notes == ["the reply is empty"]


def test_doubled_opening_and_stray_fence() -> None:
    parsed = parse_reply(f"```python\n```python\n{SCRIPT}\n```\n```")
    assert parsed.code == SCRIPT
    assert "ignored a repeated opening fence" in parsed.notes
    assert "ignored an empty fenced block" in parsed.notes


def test_closing_fence_glued_to_code() -> None:
    parsed = parse_reply(f"```python\n{SCRIPT}```")
    assert parsed.code == SCRIPT
    assert "a closing fence was glued to a code line" in parsed.notes


def test_opening_fence_after_prose_on_one_line() -> None:
    parsed = parse_reply(f"Here is the code: ```python\n{SCRIPT}\n```")
    assert parsed.code == SCRIPT
    assert "an opening fence followed prose on the same line" in parsed.notes


def test_think_section_is_removed() -> None:
    text = f"<think>Maybe:\n```python\nimport os\nos.remove('x')\n```\nno.</think>\n{PLAN}\n```python\n{SCRIPT}\n```"
    parsed = parse_reply(text)
    assert parsed.code == SCRIPT
    assert "removed a <think> reasoning section" in parsed.notes


@pytest.mark.parametrize(
    ("opening", "closing"), [("<python>", "</python>"), ("<code>", "</code>"), ("[PYTHON]", "[/PYTHON]")]
)
def test_code_in_tags(opening: str, closing: str) -> None:
    parsed = parse_reply(f"Plan: a line.\n{opening}\n{SCRIPT}\n{closing}")
    assert parsed.code == SCRIPT
    assert "code was wrapped in tags instead of fences" in parsed.notes


def test_windows_line_endings() -> None:
    parsed = parse_reply(f"{PLAN}\r\n```python\r\n{SCRIPT}\r\n```\r\n".replace("\n", "\r\n"))
    assert parsed.code is not None and "\r" not in parsed.code
    assert parsed.code == SCRIPT


def test_plan_without_heading_starts_at_first_part() -> None:
    text = (
        "Let me think about the figure.\n1. **Image Content**: a line\n2. **Layout**: square\n"
        f"3. **Labels**: none\n4. **Drawing Considerations**: none\n```python\n{SCRIPT}\n```"
    )
    parsed = parse_reply(text)
    assert parsed.plan is not None and parsed.plan.startswith("1. **Image Content**")
    assert "no Plan heading; the plan starts at its first part" in parsed.notes


def test_markdown_plan_heading_and_code_heading() -> None:
    text = f"## Step 1 - Plan\n**Image Content:** a line\n\n## Step 2 - Code\n```python\n{SCRIPT}\n```"
    parsed = parse_reply(text)
    assert parsed.plan is not None and parsed.plan.startswith("## Step 1 - Plan")
    assert "Step 2" not in parsed.plan
    assert any(note.startswith("plan parts found 1/4") for note in parsed.notes)


def test_plan_after_code() -> None:
    text = f"```python\n{SCRIPT}\n```\nPlan\nImage Content: a line"
    parsed = parse_reply(text)
    assert parsed.plan is not None and parsed.plan.startswith("Plan")
    assert "the Plan came after the code" in parsed.notes


def test_code_that_does_not_compile_is_still_returned() -> None:
    broken = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(\nax.plot([1])"
    parsed = parse_reply(f"```python\n{broken}\n```")
    assert parsed.ok and parsed.code == broken  # the sandbox reports the syntax error


def test_missing_names_and_draws() -> None:
    assert missing_names("fig, ax = plt.subplots()\nax.plot(x)") == {"plt", "x"}
    assert missing_names(SCRIPT) == set()
    assert missing_names("def f(a):\n    return a + len([])\nf(1)") == set()
    assert missing_names("this is ( not python") == set()
    assert draws(SCRIPT) and not draws("x = 1\nprint(x)")


def test_unused_names_in_lone_block_are_noted() -> None:
    parsed = parse_reply("```python\nfig, ax = plt.subplots()\n```")
    assert parsed.code == "fig, ax = plt.subplots()"
    assert "the code uses names it never defines: plt" in parsed.notes
