"""The prompt of an exported item: given values must be read from the figure.

When the problem has a ``multimodal_question`` (the question rewritten for a figure), that is the
prompt. Otherwise :func:`mask_given_values` rewrites the question by this rule:

1. Display form: WebInstruct ``{eq}``/``{/eq}`` markers dropped (content kept); when the text holds
   math markup (``$``, ``\\(``, ``{eq}``) it is turned into plain text
   (``core.evaluation.text_match.plain_text``: ``$30^\\circ$`` -> ``30°``); whitespace collapsed.
2. Candidates: a number not glued to a preceding letter, digit, ``.`` or ``^`` (so ``H2O``, ``R1``,
   ``F₁`` are no candidates), with an optional scientific part (``1.7 × 10^5``, ``1.7e5``,
   ``3 × 10⁸``), followed by an optional unit-like run (letters, ``°``, ``%``, ``Ω``, ``μ``,
   super-/subscript digits, ``^``, joined by ``/`` or ``·``).
3. A candidate is a *given value* when ``core.evaluation.text_match.extract_quantities`` reads it as
   exactly one quantity **with a unit**, spanning the whole candidate (``7 cm``, ``60°``, ``90 °C``,
   ``0.100 mol/L``, ``25%``); when the whole run is not, it is cut back at its last ``/`` or ``·``
   and tried again (``-13.6 eV/n²`` masks ``-13.6 eV``). Numbers without a unit (counts, labels, coordinates, ``Z = 26``) and
   identifiers (``1s``, ``2p``) stay: the figure may not show them, and removing them could make
   the problem unsolvable.
4. Each given value is replaced by ``MASK`` ("the value shown in the figure"); when at least one was
   replaced, ``INSTRUCTION`` is appended. Same question in, same prompt out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from core.evaluation.text_match import extract_quantities, normalise, plain_text

MASK = "the value shown in the figure"
INSTRUCTION = "Read the given values from the figure."
IMAGE_PLACEHOLDER = "<image>"

PromptSource = Literal["multimodal_question", "masked", "unmasked"]
"""multimodal_question: the item's own; masked: the question with given values masked;
unmasked: the question as is (it has no value with a unit to mask)."""

_EQ = re.compile(r"\{/?eq\}", re.IGNORECASE)
_MATH_MARKUP = re.compile(r"\$|\\\(|\\\[|\{eq\}", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_SUPER = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"
_SUB = "₀₁₂₃₄₅₆₇₈₉"
_NUMBER = r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+−]?\.\d+"
_SCIENTIFIC = rf"(?:[eE][-+]?\d+|\s*[×x*·]\s*10\s*(?:\^\s*\(?[-+−]?\d+\)?|[{_SUPER}]+))"
_UNIT_CHARS = rf"A-Za-zΩμµ°%‰Å{_SUPER}{_SUB}^"
_UNIT_RUN = rf"[A-Za-zΩμµ°%‰Å][{_UNIT_CHARS}\-]*(?<!-)(?:\s*[/·]\s*[{_UNIT_CHARS}]+)*"
_CANDIDATE = re.compile(
    rf"(?<![\w.^{_SUPER}{_SUB}])(?P<number>{_NUMBER})(?P<sci>{_SCIENTIFIC})?(?:\s?(?P<unit>{_UNIT_RUN}))?"
)


@dataclass(frozen=True)
class MaskedText:
    text: str
    masked: tuple[str, ...]
    """The given values replaced, in order, as written in the display form."""


def display_form(question: str) -> str:
    """Rule 1: the question as a reader sees it, markup removed."""
    text = question
    if _MATH_MARKUP.search(text):
        text = plain_text(_EQ.sub("$", text))
    return _SPACES.sub(" ", _EQ.sub(" ", text)).strip()


def _is_given_value(candidate: str) -> bool:
    found = extract_quantities(candidate, mathtext=False)
    return (
        len(found) == 1
        and bool(found[0].unit)
        and found[0].text == normalise(candidate).strip()
    )


def _given_value(match: re.Match[str]) -> str | None:
    """Rule 3 on a candidate: the longest prefix ending at a unit boundary (the whole unit run, then
    without trailing ``/x`` or ``·x`` parts) that is one quantity with a unit, else None."""
    unit = match.group("unit")
    if not unit:
        return None
    head = match.group(0)[: match.start("unit") - match.start()]
    while unit:
        if _is_given_value(head + unit):
            return head + unit
        cut = max(unit.rfind("/"), unit.rfind("·"))
        unit = unit[:cut].rstrip() if cut > 0 else ""
    return None


def mask_given_values(question: str) -> MaskedText:
    """Rules 1-4 of the module docstring."""
    text = display_form(question)
    out: list[str] = []
    masked: list[str] = []
    last = 0
    for match in _CANDIDATE.finditer(text):
        candidate = _given_value(match)
        if candidate is None:
            continue
        out.append(text[last : match.start()])
        out.append(MASK)
        masked.append(candidate)
        last = match.start() + len(candidate)
    out.append(text[last:])
    body = "".join(out)
    if masked:
        body = f"{body.rstrip()} {INSTRUCTION}"
    return MaskedText(text=body, masked=tuple(masked))


def build_prompt(question: str, multimodal_question: str | None) -> tuple[str, PromptSource, tuple[str, ...]]:
    """(prompt text without image placeholder, where it came from, the values masked)."""
    if multimodal_question and multimodal_question.strip():
        return display_form(multimodal_question), "multimodal_question", ()
    result = mask_given_values(question)
    return result.text, ("masked" if result.masked else "unmasked"), result.masked
