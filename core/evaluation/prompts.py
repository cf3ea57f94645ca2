"""Every prompt the model-based evaluators send, versioned.

A prompt is a named, numbered template. Changing the wording of a prompt means bumping its
``version`` (never editing a released version in place), so a stored run can say which wording
scored it: evaluators report :func:`prompt_ids` of the prompts they used, and the text is part of
every request, hence of every cache key.

Templates use ``string.Template`` (``$field``), so JSON examples need no brace escaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template

from core.metrics import JUDGE_DIMENSIONS

__all__ = [
    "ANSWER_GRADER",
    "BLIND_QUIZ",
    "JUDGE",
    "JUDGE_JSON_KEYS",
    "JUDGE_RUBRIC",
    "JUDGE_RETRY",
    "MMQ_ANSWER",
    "MMQ_GRADER",
    "PROMPTS",
    "QUIZGEN",
    "QUIZGEN_RETRY",
    "VQA_ANSWER",
    "Prompt",
    "get_prompt",
    "prompt_ids",
]


@dataclass(frozen=True)
class Prompt:
    """A system message and a user-message template, with a name and a version."""

    name: str
    version: int
    system: str
    template: str

    @property
    def id(self) -> str:
        """``name@vN``: what a run records to say which wording it used."""
        return f"{self.name}@v{self.version}"

    def render(self, **fields: object) -> str:
        """The user message with ``$field`` placeholders filled (a missing field raises KeyError)."""
        return Template(self.template).substitute({key: str(value) for key, value in fields.items()})


# ---- inverse validation: answering a quiz from the image alone -------------------------------

VQA_ANSWER = Prompt(
    name="vqa_answer",
    version=1,
    system=(
        "You answer multiple-choice questions about a scientific figure. Use only what is visible "
        "in the figure: its drawing, labels, numbers and symbols. Do not rely on outside knowledge "
        "of how such a problem usually looks."
    ),
    template=(
        "Question: $question\n"
        "Options:\n$options\n\n"
        "Look at the figure and choose the one option it supports. "
        "Reply with the option letter only (for example: $example)."
    ),
)

BLIND_QUIZ = Prompt(
    name="blind_quiz",
    version=1,
    system=(
        "You answer multiple-choice questions. No figure and no other context are available; "
        "pick the option that is most likely correct anyway. Always choose exactly one option."
    ),
    template=(
        "Question: $question\n"
        "Options:\n$options\n\n"
        "Reply with the option letter only (for example: $example)."
    ),
)

ANSWER_GRADER = Prompt(
    name="answer_grader",
    version=1,
    system=(
        "You map a free-text reply to a multiple-choice question onto the option it chose. You "
        "do not solve the question yourself and you do not judge whether the reply is right."
    ),
    template=(
        "Question: $question\n"
        "Options:\n$options\n\n"
        "Reply to map:\n<<<\n$reply\n>>>\n\n"
        "Which single option does the reply choose as its answer? Rules: the reply must commit to "
        "exactly one option, by letter or by its content. If it chooses none, several, or only "
        "says it cannot tell, answer NONE. Reply with one token only: one of $labels, or NONE."
    ),
)

# ---- the multimodal question: solving the problem with values read from the figure -----------

MMQ_ANSWER = Prompt(
    name="mmq_answer",
    version=1,
    system=(
        "You solve science problems whose given values are shown in an accompanying figure. "
        "Read every value you need from the figure."
    ),
    template=(
        "$question\n\n"
        "Solve the problem using the values shown in the figure. Be brief, then end with one line "
        "of the form 'Final answer: <answer with units>'."
    ),
)

MMQ_GRADER = Prompt(
    name="mmq_grader",
    version=1,
    system=(
        "You are a strict grader. You compare a candidate's final answer with a reference answer "
        "and say whether they agree. You never solve the problem yourself and never give credit "
        "for the method alone."
    ),
    template=(
        "Problem:\n$question\n\n"
        "Reference answer:\n$reference\n\n"
        "Candidate reply:\n<<<\n$reply\n>>>\n\n"
        "Grade only the candidate's final answer. It is CORRECT when it states the same result as "
        "the reference: numbers agree within 2% relative difference after converting units, "
        "symbolic expressions are mathematically equivalent, and every part of a multi-part "
        "reference is present. It is INCORRECT when it differs, is missing, is ambiguous (several "
        "different final results), or hedges.\n"
        'Reply with one JSON object only: {"verdict": "CORRECT" or "INCORRECT", '
        '"reason": "<one sentence>"}'
    ),
)

# ---- LMM-as-judge ------------------------------------------------------------------------------

JUDGE_JSON_KEYS: Mapping[str, str] = {
    "judge_cf": "correctness_fidelity",
    "judge_lp": "layout_precision",
    "judge_ro": "readability_occlusion",
    "judge_sp": "scientific_plausibility",
    "judge_er": "expressiveness_richness",
}
"""Dimension (metric name) -> the key the judge writes in its JSON object."""

_RUBRIC: Mapping[str, str] = {
    "judge_cf": (
        "2 = every element, label and relation the problem states is present and correct, and "
        "nothing is invented; 1 = minor omissions or misplacements; 0 = key elements missing or "
        "wrong, or spurious content."
    ),
    "judge_lp": (
        "2 = clean, balanced layout with exact lines and connections; 1 = readable, with slight "
        "misalignment but the topology kept; 0 = cluttered, disconnected, or contradicting stated "
        "coordinates."
    ),
    "judge_ro": "2 = no overlaps; 1 = minor touching of text or marks; 0 = heavy occlusion.",
    "judge_sp": (
        "2 = looks right for the domain (angles, force balance, bond angles, proportions); "
        "1 = minor flaws; 0 = violates basic principles."
    ),
    "judge_er": (
        "2 = conveys the full scenario of the problem; 1 = only the necessary elements; "
        "0 = fails to convey the setting."
    ),
}

JUDGE_RUBRIC: Mapping[str, str] = _RUBRIC
"""Dimension -> the rubric text the judge gets (reviewers on the Review page read the same)."""


def _rubric_text() -> str:
    lines = []
    for index, (metric_name, label) in enumerate(JUDGE_DIMENSIONS, start=1):
        lines.append(f'{index}. {label} ("{JUDGE_JSON_KEYS[metric_name]}"): {_RUBRIC[metric_name]}')
    return "\n".join(lines)


def _judge_json_example() -> str:
    return "{" + ", ".join(f'"{key}": <0|1|2>' for key in JUDGE_JSON_KEYS.values()) + "}"


JUDGE = Prompt(
    name="judge",
    version=1,
    system=(
        "You are an expert reviewer of scientific figures. You grade a figure drawn for a problem "
        "on five dimensions, each an integer 0, 1 or 2, strictly by this rubric:\n"
        + _rubric_text()
        + "\nJudge only what the figure shows. The figure should depict the problem's given "
        "situation; it must not be penalised for not showing the problem's answer."
    ),
    template=(
        "Problem:\n$question\n\n"
        "Grade the figure above for this problem. First write one short line of reasoning per "
        "dimension, each starting with the dimension's name and a colon, in this order: "
        + ", ".join(label for _, label in JUDGE_DIMENSIONS)
        + ". Then, on the last lines, write one JSON object with integer scores and nothing after it:\n"
        + _judge_json_example()
    ),
)

JUDGE_RETRY = Prompt(
    name="judge_retry",
    version=1,
    system="",
    template=(
        "Your reply could not be read: $problem. Reply again with one short line of reasoning per "
        "dimension, then end with exactly one JSON object of integer scores 0-2 and nothing after it:\n"
        + _judge_json_example()
    ),
)

# ---- quizzes for new problems -------------------------------------------------------------------

QUIZGEN = Prompt(
    name="quizgen",
    version=1,
    system=(
        "You write visual quizzes that check whether a figure drawn for a science problem is "
        "correct. A quiz must be answerable by looking at a correct figure, and hard to answer "
        "without it."
    ),
    template=(
        "Problem text:\n<<<\n$question\n>>>\n$answer_note\n"
        "Step 1. List the atomic visual elements a correct figure of this problem must show: "
        "one checkable fact each (an object, a label, a value with its unit, a direction, a "
        "connection or a relation), taken only from the problem text.\n"
        "Step 2. Write $min_quizzes to $max_quizzes multiple-choice quizzes, each testing one "
        "element. Rules:\n"
        "- exactly 4 options with keys A, B, C, D and exactly one correct option;\n"
        "- hard distractors of the same kind as the answer: nearby values with the same unit, "
        "other labels or values that occur in the problem, swapped directions or connections;\n"
        "- the question must not contain its own answer, and must not ask for the problem's "
        "final answer or anything that must be computed;\n"
        "- evidence_snippet is a span copied verbatim from the problem text that states the fact.\n"
        "Reply with one JSON object only, in this shape:\n"
        '{"elements": ["<fact>", ...], "quizzes": [{"question": "<question>", '
        '"options": {"A": "<text>", "B": "<text>", "C": "<text>", "D": "<text>"}, '
        '"correct_option": "<A|B|C|D>", "evidence_snippet": "<verbatim span>"}, ...]}'
    ),
)

QUIZGEN_RETRY = Prompt(
    name="quizgen_retry",
    version=1,
    system="",
    template=(
        "Some of your output could not be used:\n$problems\n"
        "Reply again with the complete JSON object (elements and $min_quizzes to $max_quizzes "
        "quizzes), fixing these problems."
    ),
)


PROMPTS: Mapping[str, Prompt] = {
    prompt.name: prompt
    for prompt in (
        VQA_ANSWER,
        BLIND_QUIZ,
        ANSWER_GRADER,
        MMQ_ANSWER,
        MMQ_GRADER,
        JUDGE,
        JUDGE_RETRY,
        QUIZGEN,
        QUIZGEN_RETRY,
    )
}


def get_prompt(name: str) -> Prompt:
    try:
        return PROMPTS[name]
    except KeyError:
        raise KeyError(f"unknown prompt {name!r}; known: {', '.join(sorted(PROMPTS))}") from None


def prompt_ids(*prompts: Prompt) -> list[str]:
    """``["vqa_answer@v1", ...]`` for recording with a run."""
    return [prompt.id for prompt in prompts]
