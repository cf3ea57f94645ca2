"""The ``figure-facts`` evaluator: overlaps, texts off the canvas, given-value coverage and answer
leak, on constructed FigureFacts and on real sandbox renders."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.evaluation import create_evaluator
from core.evaluation.base import EvaluationContext, EvaluatorSpec, FigureUnderTest
from core.evaluation.figure_facts import (
    METRIC_NAMES,
    FigureFactsEvaluator,
    answer_candidates,
    figure_fact_metrics,
    given_values,
)
from core.evaluation.text_match import extract_quantities, same_value
from core.metrics import METRICS
from core.problems import Problem
from core.sandbox.models import FigureFacts, TextBox, TextOutside, TextOverlap


def _box(text: str, x0: float, y0: float, x1: float, y1: float, role: str = "text") -> TextBox:
    return TextBox(text=text, x0=x0, y0=y0, x1=x1, y1=y1, font_size_pt=12, font_size_px=16, role=role)


def _facts(*texts: TextBox, overlaps=(), outside=()) -> FigureFacts:
    return FigureFacts(
        width_px=800,
        height_px=600,
        dpi=100,
        axes_count=1,
        texts=list(texts),
        overlaps=list(overlaps),
        outside_canvas=list(outside),
        drawn_artists=len(texts),
    )


def _problem(question: str, answer: str = "") -> Problem:
    return Problem(id="ff", source="custom", question=question, answer=answer, subject="Physics")


def _metrics(problem: Problem, facts: FigureFacts) -> dict:
    return {m.metric: m for m in figure_fact_metrics(problem, facts)}


def test_metrics_are_declared_in_their_own_group() -> None:
    for name in METRIC_NAMES:
        assert METRICS[name].group == "figure_facts"
    assert not METRICS["ff_overlaps"].higher_is_better and METRICS["ff_coverage"].higher_is_better
    assert not METRICS["ff_answer_leak"].higher_is_better and METRICS["ff_coverage"].upper == 1.0


def test_overlaps_and_outside_are_counted_with_the_worst_share() -> None:
    facts = _facts(
        _box("m = 5.0 kg", 100, 100, 200, 120),
        _box("30°", 190, 110, 230, 130),
        _box("N", 300, 300, 310, 320),
        _box("mg", 305, 305, 325, 325),
        _box("title", -20, 0, 100, 20),
        overlaps=[
            TextOverlap(first=0, second=1, area_px=100, fraction_of_smaller=0.125),
            TextOverlap(first=2, second=3, area_px=75, fraction_of_smaller=0.75),
        ],
        outside=[TextOutside(index=4, fraction_outside=0.17, sides=["left"])],
    )
    values = _metrics(_problem("A block."), facts)
    assert values["ff_overlaps"].value == 2.0
    assert values["ff_overlap_worst"].value == pytest.approx(0.75)
    worst = json.loads(values["ff_overlaps"].detail)["pairs"][0]
    assert worst["texts"] == ["N", "mg"] and worst["share"] == pytest.approx(0.75)
    assert values["ff_outside"].value == 1.0
    assert json.loads(values["ff_outside"].detail)["texts"][0]["sides"] == ["left"]


def test_no_overlaps_gives_zero() -> None:
    values = _metrics(_problem("A block."), _facts(_box("A", 0, 0, 10, 10)))
    assert (values["ff_overlaps"].value, values["ff_overlap_worst"].value, values["ff_outside"].value) == (
        0,
        0,
        0,
    )


def test_coverage_lists_the_missing_value() -> None:
    problem = _problem(
        "A 5.0 kg block rests on a plane inclined at 30°. It is pushed 6 cm with 2.0 m/s; "
        "R = 5 Ω and the star is 1.7E+5 ly away. Take g = 9.8 m/s²."
    )
    assert [q.text for q in given_values(problem.question)] == [
        "5.0 kg",
        "30°",
        "6 cm",
        "2.0 m/s",
        "5 Ω",
        "1.7E+5 ly",
    ]
    facts = _facts(
        _box("$m = 5\\,\\mathrm{kg}$", 0, 0, 50, 20),  # 5 == 5.0
        _box("$30^\\circ$", 60, 0, 90, 20),
        _box("6.0 cm", 100, 0, 150, 20),
        _box("v = 2.0 m/s", 200, 0, 250, 20),
        _box("R = 5 ohm", 300, 0, 350, 20),
    )
    coverage = _metrics(problem, facts)["ff_coverage"]
    assert coverage.status == "ok" and coverage.value == pytest.approx(5 / 6)
    detail = json.loads(coverage.detail)
    assert detail["missing"] == ["1.7E+5 ly"] and detail["total"] == 6


def test_coverage_accepts_a_bare_number_when_the_unit_is_written_elsewhere() -> None:
    problem = _problem("The temperature falls from 90 °C after 20 min to 43 °C.")
    facts = _facts(
        _box("90", 0, 0, 10, 10, role="tick_label"),
        _box("Temperature (°C)", 0, 20, 80, 40),
        _box("43", 0, 50, 10, 60),
        _box("t / min", 0, 70, 30, 80),
    )
    detail = json.loads(_metrics(problem, facts)["ff_coverage"].detail)
    assert detail["missing"] == ["20 min"]  # 20 is nowhere
    assert detail["number_only"] == ["90 °C", "43 °C"]
    unit_nowhere = _facts(_box("90", 0, 0, 10, 10), _box("43", 0, 50, 10, 60))
    assert _metrics(problem, unit_nowhere)["ff_coverage"].value == 0.0


def test_coverage_percentages_and_constants() -> None:
    problem = _problem("Machine A makes 60% of the parts; 3% are defective. Use N_A = 6.022 × 10^23 mol^-1.")
    assert [q.text for q in given_values(problem.question)] == ["60%", "3%"]  # the constant is not a given
    facts = _facts(_box("0.6", 0, 0, 10, 10), _box("0.03", 0, 20, 10, 30))
    assert _metrics(problem, facts)["ff_coverage"].value == 1.0


def test_coverage_unavailable_without_given_values() -> None:
    coverage = _metrics(_problem("Draw the Krebs cycle."), _facts(_box("citrate", 0, 0, 10, 10)))[
        "ff_coverage"
    ]
    assert coverage.status == "unavailable" and coverage.value is None and "no number" in coverage.detail


def test_answer_leak_true_and_false() -> None:
    problem = _problem(
        "A 5.0 kg block on a 30° incline, μk = 0.20.", "a ≈ 3.2 m/s² (a = g(sin 30° − 0.20 cos 30°))"
    )
    assert [c.text for c in answer_candidates(problem.answer, problem.question)] == ["3.2 m/s^2"]
    leaked = _metrics(
        problem, _facts(_box("5.0 kg", 0, 0, 10, 10), _box("$a = 3.2\\ \\mathrm{m/s^2}$", 0, 20, 9, 30))
    )
    assert leaked["ff_answer_leak"].value == 1.0
    assert json.loads(leaked["ff_answer_leak"].detail)["figure_text"] == "a = 3.2 m/s^2"
    clean = _metrics(
        problem, _facts(_box("5.0 kg", 0, 0, 10, 10), _box("30°", 0, 20, 9, 30), _box("a = ?", 0, 40, 9, 50))
    )
    assert clean["ff_answer_leak"].value == 0.0
    assert json.loads(clean["ff_answer_leak"].detail)["checked"] == ["3.2 m/s^2"]


def test_answer_leak_trivial_answer_rule() -> None:
    # A one-digit unitless answer is never a leak (it is every tick label and index).
    digit = _problem("How many lone pairs does water have?", "2")
    assert answer_candidates(digit.answer, digit.question) == []
    leak = _metrics(digit, _facts(_box("2", 0, 0, 10, 10)))["ff_answer_leak"]
    assert leak.status == "unavailable" and leak.value is None
    # A one-digit answer with a unit counts only when written with that unit.
    with_unit = _problem("Find ED when AB = 4 cm and BC = 6 cm.", "ED = 8 cm")
    assert _metrics(with_unit, _facts(_box("8", 0, 0, 10, 10)))["ff_answer_leak"].value == 0.0
    assert _metrics(with_unit, _facts(_box("ED = 8 cm", 0, 0, 10, 10)))["ff_answer_leak"].value == 1.0
    # Tick labels are the axis scale, never a leak, even for a non-trivial answer.
    mean = _problem("Rainfall: 62, 48, 75 mm.", "mean = 61.3 mm")
    assert (
        _metrics(mean, _facts(_box("61.3", 0, 0, 10, 10, role="tick_label")))["ff_answer_leak"].value == 0.0
    )
    assert (
        _metrics(mean, _facts(_box("61.3", 0, 0, 10, 10, role="annotation")))["ff_answer_leak"].value == 1.0
    )


def test_quantities_and_values() -> None:
    parsed = [
        (q.value, q.unit) for q in extract_quantities(r"$q_1 = +4.0\,\mu C$ at 25,000 m; H2O, R1, 2s^2")
    ]
    assert parsed == [(4.0, "uC"), (25000.0, "m")]
    (scientific,) = extract_quantities("M = 5.97 × 10$^{24}$ kg")
    assert scientific.value == pytest.approx(5.97e24) and scientific.unit == "kg"
    six, six_point_o, six_24, eight_4 = (extract_quantities(t)[0] for t in ("6", "6.0", "6.24", "8.4"))
    assert same_value(six, six_point_o) and same_value(six_24, extract_quantities("6.2")[0])
    assert not same_value(extract_quantities("8")[0], eight_4)


def test_evaluator_without_facts_or_image() -> None:
    evaluator = create_evaluator(EvaluatorSpec.create("figure-facts"))
    assert isinstance(evaluator, FigureFactsEvaluator) and not evaluator.needs_model
    problem = _problem("A 5.0 kg block.", "3.2 m/s²")
    pixel = FigureUnderTest(run_id="r", problem_uid=problem.uid, status="ok", image_path=None, facts=None)
    output = asyncio.run(evaluator.evaluate(problem, pixel, EvaluationContext()))
    assert [m.metric for m in output.metric_values] == list(METRIC_NAMES)
    assert all(
        m.status == "unavailable" and m.value is None and "no figure facts" in m.detail
        for m in output.metric_values
    )
    failed = FigureUnderTest(run_id="r", problem_uid=problem.uid, status="failed", error_class="timeout")
    output = asyncio.run(evaluator.evaluate(problem, failed, EvaluationContext()))
    assert {m.status for m in output.metric_values} == {"failed"}


# --- real sandbox renders -----------------------------------------------------------------------


def _render(code: str):
    from core.sandbox import SandboxUnavailable, render

    try:
        result = render(code)
    except SandboxUnavailable as exc:
        pytest.skip(f"sandbox unavailable here: {exc}")
    assert result.ok, result.one_line()
    return result


def test_real_render_of_a_sample_script() -> None:
    from core.problems.sample import load_sample

    problem = next(p for p in load_sample() if p.id == "sample-physics-mechanical-1")
    result = _render(problem.reference_code or "")
    figure = FigureUnderTest(run_id="gold", problem_uid=problem.uid, status="ok", facts=result.facts)
    output = asyncio.run(
        create_evaluator(EvaluatorSpec.create("figure-facts")).evaluate(problem, figure, EvaluationContext())
    )
    values = {m.metric: m for m in output.metric_values}
    assert values["ff_overlaps"].value == 0.0 and values["ff_outside"].value == 0.0
    assert values["ff_coverage"].value == 1.0  # 5.0 kg, 30° and 9.8 m/s² are all drawn
    assert values["ff_answer_leak"].value == 0.0  # the gold figure does not give away a = 3.2 m/s²


def test_real_render_with_overlap_and_leak() -> None:
    code = "\n".join(
        [
            "import matplotlib.pyplot as plt",
            "fig, ax = plt.subplots(figsize=(4, 3))",
            "ax.axis('off')",
            "ax.text(0.1, 0.5, 'F = 12 N', fontsize=20, transform=ax.transAxes)",
            "ax.text(0.15, 0.52, 'a = 2.4 m/s$^2$', fontsize=20, transform=ax.transAxes)",
            "ax.text(0.6, 0.1, 'L = 3.0 m', fontsize=14, transform=ax.transAxes)",
        ]
    )
    problem = _problem("A 5.0 kg cart is pulled by F = 12 N along a 3.0 m track.", "a = 2.4 m/s²")
    facts = _render(code).facts
    values = _metrics(problem, facts)
    assert values["ff_overlaps"].value >= 1 and values["ff_overlap_worst"].value > 0.2
    assert values["ff_answer_leak"].value == 1.0
    assert json.loads(values["ff_coverage"].detail)["missing"] == ["5.0 kg"]
    assert values["ff_coverage"].value == pytest.approx(2 / 3)
