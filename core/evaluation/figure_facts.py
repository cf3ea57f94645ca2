"""The ``figure-facts`` evaluator: checks a code-made figure from what the sandbox measured while
drawing it (:class:`core.sandbox.models.FigureFacts`: every text with its pixel box). No OCR, no
model. Each check is its own metric (group ``figure_facts`` in core.metrics), never mixed into
judge scores:

* ``ff_overlaps`` - pairs of drawn texts whose boxes intersect (count). ``ff_overlap_worst`` - the
  largest intersection as a share of the smaller box, 0..1 (0 without overlaps). The detail lists
  the worst pairs with their texts.
* ``ff_outside`` - texts whose box leaves the canvas (count); the detail names them and the sides.
* ``ff_coverage`` - share of the given values of the problem (numbers with a unit in its question:
  ``6 cm``, ``30°``, ``2.0 m/s``, ``5 Ω``, ``1.7E+5 ly``) that the figure writes. A value is
  covered when some figure text holds the same number (``6`` = ``6.0``; ``6.24`` ~ ``6.2``) with
  the same unit, or holds the bare number while the unit is written elsewhere in the figure (an
  axis label ``Time (s)``, a note ``lengths in cm``). Units are compared as written (``20 cm`` is
  not ``0.20 m``), except that a percentage is also covered by its fraction (``60%`` by ``0.6``).
  Stated physical constants (g = 9.8 m/s², N_A, k = 8.99e9, G, e, m_p, m_e, c, h, k_B, R, ε0,
  hc = 1240 eV nm, σ, μ0: ``PHYSICAL_CONSTANTS``) are not given values: a figure need not draw
  them. Detail: ``missing`` values and ``number_only`` ones. No given value -> unavailable.
* ``ff_answer_leak`` - 1.0 when the final answer's value is drawn in the figure, else 0.0; the
  detail holds the matching text. The answer's candidate values are its numbers, minus
  (a) numbers that also occur in the question (given data restated in the answer, such as
  ``sin 30°``), (b) exponents and the ``10`` of ``x 10^n``. A candidate leaks when a figure text
  that is not a tick label holds the same number and, if both carry units, the same unit.
  Trivial-answer rule: a one-digit integer candidate (``2``, ``-3``) without a unit is never
  counted (it is everywhere: tick labels, indices, step numbers); with a unit (``8 cm``) it counts
  only when the figure writes it with that unit. Tick labels and axis offset texts never count
  (they are the axis scale). No candidate left -> unavailable (symbolic or text answers).

Figures without facts (pixel or imported figures) -> every metric ``unavailable`` with the reason;
a failed figure -> ``failed``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from core.evaluation.base import (
    EvaluationContext,
    EvaluationOutput,
    FigureEvaluator,
    FigureUnderTest,
    MetricValue,
    register_evaluator,
)
from core.evaluation.text_match import Quantity, extract_quantities, normalise, same_value, unit_in_texts
from core.problems import Problem
from core.sandbox.models import FigureFacts, TextBox

METRIC_NAMES = ("ff_overlaps", "ff_overlap_worst", "ff_outside", "ff_coverage", "ff_answer_leak")
SCALE_ROLES = frozenset({"tick_label", "offset_text"})
"""Text roles that are an axis scale, not content: never an answer leak."""
DETAIL_ITEMS = 10


def _detail(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _shown(box: TextBox) -> str:
    return normalise(box.text, mathtext=True)


def overlap_metrics(uid: str, facts: FigureFacts) -> list[MetricValue]:
    overlaps = sorted(facts.overlaps, key=lambda o: (-o.fraction_of_smaller, -o.area_px))
    worst = overlaps[0].fraction_of_smaller if overlaps else 0.0
    pairs = [
        {
            "texts": [_shown(facts.texts[o.first]), _shown(facts.texts[o.second])],
            "roles": [facts.texts[o.first].role, facts.texts[o.second].role],
            "share": o.fraction_of_smaller,
            "area_px": o.area_px,
        }
        for o in overlaps[:DETAIL_ITEMS]
        if o.first < len(facts.texts) and o.second < len(facts.texts)
    ]
    detail = _detail({"pairs": pairs, "more": max(0, len(overlaps) - DETAIL_ITEMS)}) if overlaps else None
    return [
        MetricValue(problem_uid=uid, metric="ff_overlaps", value=float(len(overlaps)), detail=detail),
        MetricValue(problem_uid=uid, metric="ff_overlap_worst", value=float(worst), detail=detail),
    ]


def outside_metric(uid: str, facts: FigureFacts) -> MetricValue:
    items = [
        {"text": _shown(facts.texts[o.index]), "sides": list(o.sides), "share_outside": o.fraction_outside}
        for o in facts.outside_canvas[:DETAIL_ITEMS]
        if o.index < len(facts.texts)
    ]
    detail = _detail({"texts": items}) if items else None
    return MetricValue(
        problem_uid=uid, metric="ff_outside", value=float(len(facts.outside_canvas)), detail=detail
    )


# Physical constants a problem states for the calculation; a figure need not draw them.
# (value, relative tolerance, unit or None for any unit)
PHYSICAL_CONSTANTS: tuple[tuple[float, float, str | None], ...] = (
    (9.8, 0.002, "m/s2"),
    (9.81, 0.001, "m/s2"),
    (6.022e23, 0.002, None),
    (8.99e9, 0.002, None),
    (9.0e9, 0.001, "N.m2/C2"),
    (6.67e-11, 0.002, None),
    (1.60e-19, 0.003, None),
    (1.67e-27, 0.003, None),
    (9.11e-31, 0.002, None),
    (3.00e8, 0.002, "m/s"),
    (6.63e-34, 0.002, None),
    (1.38e-23, 0.002, None),
    (8.31, 0.002, "J/mol.K"),
    (8.314, 0.001, "J/molK"),
    (8.85e-12, 0.002, None),
    (1240, 0.001, "eV.nm"),
    (5.67e-8, 0.002, None),
    (1.26e-6, 0.003, None),
)


def is_physical_constant(quantity: Quantity) -> bool:
    for value, tolerance, unit in PHYSICAL_CONSTANTS:
        if unit is not None and quantity.unit.replace(".", "") != unit.replace(".", ""):
            continue
        if abs(quantity.value - value) <= tolerance * abs(value):
            return True
    return False


def given_values(question: str) -> list[Quantity]:
    """Numbers with a unit in the problem text (physical constants left out), each once, in order."""
    values: list[Quantity] = []
    for quantity in extract_quantities(question):
        if not quantity.unit or is_physical_constant(quantity):
            continue
        if not any(q.unit == quantity.unit and same_value(q, quantity) for q in values):
            values.append(quantity)
    return values


def _as_fraction(quantity: Quantity) -> Quantity | None:
    """``60%`` -> the bare number ``0.60`` (tree diagrams write probabilities as fractions)."""
    if quantity.unit != "%":
        return None
    return Quantity(quantity.text, quantity.value / 100, quantity.decimals + 2, quantity.exponent, "")


def _figure_quantities(facts: FigureFacts) -> list[tuple[TextBox, Quantity]]:
    return [(box, quantity) for box in facts.texts for quantity in extract_quantities(box.text)]


def coverage_metric(uid: str, question: str, facts: FigureFacts) -> MetricValue:
    wanted = given_values(question)
    if not wanted:
        return MetricValue(
            problem_uid=uid,
            metric="ff_coverage",
            status="unavailable",
            detail="the question gives no number with a unit",
        )
    drawn = _figure_quantities(facts)
    texts = [box.text for box in facts.texts]
    covered, number_only, missing = [], [], []
    for value in wanted:
        fraction = _as_fraction(value)
        if any(q.unit == value.unit and same_value(q, value) for _, q in drawn):
            covered.append(value.text)
        elif fraction is not None and any(not q.unit and same_value(q, fraction) for _, q in drawn):
            covered.append(value.text)
        elif any(not q.unit and same_value(q, value) for _, q in drawn) and unit_in_texts(value.unit, texts):
            covered.append(value.text)
            number_only.append(value.text)
        else:
            missing.append(value.text)
    return MetricValue(
        problem_uid=uid,
        metric="ff_coverage",
        value=len(covered) / len(wanted),
        detail=_detail(
            {"total": len(wanted), "covered": covered, "number_only": number_only, "missing": missing}
        ),
    )


def is_trivial(quantity: Quantity) -> bool:
    """A one-digit integer as written (``2``, ``-3``, not ``2.0`` or ``12``)."""
    return quantity.decimals == 0 and quantity.exponent == 0 and abs(quantity.value) < 10


def answer_candidates(answer: str, question: str) -> list[Quantity]:
    """The answer's own numbers: those not given in the question, minus unitless one-digit integers."""
    given = extract_quantities(question)
    candidates: list[Quantity] = []
    for quantity in extract_quantities(answer):
        if any(
            same_value(quantity, g) and (not quantity.unit or not g.unit or quantity.unit == g.unit)
            for g in given
        ):
            continue
        if is_trivial(quantity) and not quantity.unit:
            continue
        if not any(same_value(c, quantity) and c.unit == quantity.unit for c in candidates):
            candidates.append(quantity)
    return candidates


def leak_metric(uid: str, problem: Problem, facts: FigureFacts) -> MetricValue:
    candidates = answer_candidates(problem.answer or "", problem.question)
    if not candidates:
        return MetricValue(
            problem_uid=uid,
            metric="ff_answer_leak",
            status="unavailable",
            detail="the answer has no non-trivial number that is not given in the question",
        )
    for candidate in candidates:
        for box, drawn in _figure_quantities(facts):
            if box.role in SCALE_ROLES or not same_value(drawn, candidate):
                continue
            if candidate.unit and drawn.unit and candidate.unit != drawn.unit:
                continue
            if is_trivial(candidate) and drawn.unit != candidate.unit:
                continue  # a one-digit answer counts only written with its unit
            return MetricValue(
                problem_uid=uid,
                metric="ff_answer_leak",
                value=1.0,
                detail=_detail(
                    {"answer_value": candidate.text, "figure_text": _shown(box), "role": box.role}
                ),
            )
    return MetricValue(
        problem_uid=uid,
        metric="ff_answer_leak",
        value=0.0,
        detail=_detail({"checked": [c.text for c in candidates]}),
    )


def figure_fact_metrics(problem: Problem, facts: FigureFacts) -> list[MetricValue]:
    """Every figure-facts metric for one figure (pure: used by the evaluator and tests)."""
    uid = problem.uid
    return [
        *overlap_metrics(uid, facts),
        outside_metric(uid, facts),
        coverage_metric(uid, problem.question, facts),
        leak_metric(uid, problem, facts),
    ]


def _all(uid: str, status: str, reason: str, names: Sequence[str] = METRIC_NAMES) -> list[MetricValue]:
    return [MetricValue(problem_uid=uid, metric=name, status=status, detail=reason) for name in names]  # type: ignore[arg-type]


@register_evaluator
class FigureFactsEvaluator(FigureEvaluator):
    """Overlaps, texts off the canvas, given-value coverage and answer leak, from figure facts."""

    name = "figure-facts"
    label = "facts of code-made figures: overlapping or clipped texts, given values drawn, answer leaks"
    produces = METRIC_NAMES
    needs_model = False

    async def evaluate(
        self, problem: Problem, figure: FigureUnderTest, ctx: EvaluationContext
    ) -> EvaluationOutput:
        if figure.status != "ok":
            reason = f"figure failed ({figure.error_class or 'no image'})"
            return EvaluationOutput(metric_values=_all(problem.uid, "failed", reason))
        if figure.facts is None:
            reason = "no figure facts: only code-made figures rendered in the sandbox have them (pixel or imported figure)"
            return EvaluationOutput(metric_values=_all(problem.uid, "unavailable", reason))
        return EvaluationOutput(metric_values=figure_fact_metrics(problem, figure.facts))
