"""The ``ocr`` quiz answerer: real RapidOCR on figures rendered here, plus the matching rules.

One labelled figure is rendered once per session and OCR'd once (the engine and its reading are
cached per process), so the many quizzes below cost a single OCR pass.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from core.evaluation import create_evaluator  # noqa: E402
from core.evaluation.base import (  # noqa: E402
    EvaluationContext,
    EvaluatorSpec,
    FigureUnderTest,
    QuizAnswer,
)
from core.evaluation.ocr import (  # noqa: E402
    MISSING_IMAGE,
    OcrEvaluator,
    answer_problem,
    read_image_text,
    summarise_answers,
)
from core.evaluation.quiz_evidence import Decision, FigureTexts, decide, decide_quizzes  # noqa: E402
from core.evaluation.text_match import (  # noqa: E402
    find_option,
    is_bare_number,
    matchable,
    option_spans,
    quantity_spans,
    unit_after,
)
from core.metrics import metric  # noqa: E402
from core.problems import Problem, Quiz  # noqa: E402
from core.sandbox.models import FigureFacts, TextBox  # noqa: E402

# Drawn in the session figure. Each is checked against options written differently.
LABELS = (
    "m = 5.0 kg",
    "AB = 12 cm",
    "ψ = −0.6 MPa",  # U+2212 minus
    "θ = 30°",
    "R1 = 4 Ω",
    "q1 = +4.0 μC",  # Greek mu
    "H₂O",  # subscript two
    "T = 250 ℃",  # one-character degree Celsius
    "E = 5.0 × 10⁶ N/C",
)


@pytest.fixture(scope="session")
def labelled_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ocr") / "labels.png"
    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    ax.axis("off")
    for index, label in enumerate(LABELS):
        x, y = 0.02 + 0.5 * (index % 2), 0.97 - 0.19 * (index // 2)
        ax.text(x, y, label, fontsize=20, transform=ax.transAxes, va="top")
    fig.savefig(path)
    plt.close(fig)
    return path


def _problem(*quizzes: Quiz, pid: str = "ocr-test") -> Problem:
    return Problem(
        id=pid, source="custom", question="A test figure.", subject="Physics", quizzes=list(quizzes)
    )


def _quiz(correct: str, **options: str) -> Quiz:
    return Quiz(question="Which value is written in the figure?", options=options, correct_option=correct)


def _answer(png: Path, quiz: Quiz) -> QuizAnswer:
    (answer,) = answer_problem(_problem(quiz), png)
    return answer


def test_answers_when_exactly_one_option_is_drawn(labelled_png: Path) -> None:
    answer = _answer(labelled_png, _quiz("B", A="2.5 kg", B="5.0 kg", C="10 kg", D="4.0 kg"))
    assert (answer.parsed_key, answer.correct, answer.abstained) == ("B", True, False)
    assert answer.answerer == "ocr" and answer.error_class is None
    assert answer.presented_keys == ["A", "B", "C", "D"]
    assert (
        answer.raw_reply is not None and "5.0 kg" in answer.raw_reply and answer.raw_reply.startswith("one:")
    )


def test_a_wrong_option_found_is_answered_and_marked_wrong(labelled_png: Path) -> None:
    answer = _answer(labelled_png, _quiz("A", A="2.5 kg", B="5.0 kg", C="10 kg"))
    assert (answer.parsed_key, answer.correct, answer.abstained) == ("B", False, False)


def test_abstains_when_no_option_is_drawn(labelled_png: Path) -> None:
    answer = _answer(labelled_png, _quiz("A", A="7.5 kg", B="9.0 kg", C="45°"))
    assert (answer.parsed_key, answer.correct, answer.abstained) == (None, False, True)
    assert answer.raw_reply is not None and answer.raw_reply.startswith("none:")
    assert "kg" in answer.raw_reply  # what OCR read is kept for inspection


def test_abstains_when_several_options_are_drawn(labelled_png: Path) -> None:
    answer = _answer(labelled_png, _quiz("A", A="5.0 kg", B="12 cm", C="7 cm"))
    assert (answer.parsed_key, answer.abstained) == (None, True)
    assert answer.raw_reply is not None and answer.raw_reply.startswith("several A,B:")


def test_option_inside_a_longer_number_is_not_found(labelled_png: Path) -> None:
    # "12 cm" is drawn: "2 cm" must not be found inside it, whichever options are offered.
    assert _answer(labelled_png, _quiz("B", A="2 cm", B="12 cm", C="4 cm")).parsed_key == "B"
    only_short = _answer(labelled_png, _quiz("A", A="2 cm", B="4 cm", C="6 cm"))
    assert only_short.abstained and only_short.raw_reply.startswith("none:")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"A": "-0.6 MPa", "B": "0.6 MPa", "C": "-0.9 MPa"}, "A"),  # drawn with U+2212; "0.6" is not "-0.6"
        ({"A": "30 °", "B": "45°", "C": "60°"}, "A"),  # degree sign, spacing
        ({"A": "30º", "B": "45º"}, "A"),  # masculine ordinal used as a degree sign
        ({"A": "+4.0 µC", "B": "+8.0 µC"}, "A"),  # micro sign (U+00B5) vs the Greek mu drawn
        ({"A": "4 Ω", "B": "8 Ω", "C": "12 Ω"}, "A"),  # ohm sign (U+2126); OCR reads it as "Q"
        ({"A": "H2O", "B": "CO₂", "C": "NH₃"}, "A"),  # subscripts
        ({"A": "250 °C", "B": "350 °C"}, "A"),  # ℃ vs °C
        ({"A": "5.0 x 10^6 N/C", "B": "2.0 × 10⁶ N/C"}, "A"),  # times sign and superscript exponent
    ],
)
def test_normalisation_on_real_ocr(labelled_png: Path, options: dict[str, str], expected: str) -> None:
    answer = _answer(labelled_png, _quiz(expected, **options))
    assert answer.parsed_key == expected, answer.raw_reply


def test_image_is_read_once_per_path_and_mtime(labelled_png: Path) -> None:
    first = read_image_text(labelled_png)
    assert read_image_text(labelled_png) is first
    quizzes = [_quiz("B", A="2.5 kg", B="5.0 kg"), _quiz("A", A="30°", B="60°"), _quiz("A", A="x", B="y")]
    answers = answer_problem(_problem(*quizzes), labelled_png)
    assert [a.quiz_index for a in answers] == [0, 1, 2]
    assert read_image_text(labelled_png) is first
    assert any("5.0 kg" in line.text for line in first.lines)


def test_missing_and_unreadable_images_make_every_quiz_wrong(tmp_path: Path) -> None:
    problem = _problem(_quiz("A", A="1 m", B="2 m"), _quiz("B", A="3 s", B="4 s"))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a png")
    for image in (tmp_path / "absent.png", broken, None):
        answers = answer_problem(problem, image)
        assert len(answers) == 2
        assert all(a.error_class == MISSING_IMAGE and not a.correct and not a.abstained for a in answers)
        assert all(a.parsed_key is None for a in answers)


def test_evaluator_is_registered_and_scores_a_figure(labelled_png: Path) -> None:
    evaluator = create_evaluator(EvaluatorSpec.create("ocr"))
    assert isinstance(evaluator, OcrEvaluator) and not evaluator.needs_model
    problem = _problem(_quiz("B", A="2.5 kg", B="5.0 kg"), _quiz("A", A="7 cm", B="9 cm"))
    figure = FigureUnderTest(run_id="r1", problem_uid=problem.uid, status="ok", image_path=labelled_png)
    output = asyncio.run(evaluator.evaluate(problem, figure, EvaluationContext()))
    assert [(a.parsed_key, a.correct, a.abstained) for a in output.quiz_answers] == [
        ("B", True, False),
        (None, False, True),
    ]
    values = {m.metric: m for m in output.metric_values}
    assert values["ocr_answer_rate"].value == pytest.approx(50.0)
    assert values["ocr_precision"].value == pytest.approx(100.0)
    assert metric("ocr_answer_rate").higher_is_better and metric("ocr_precision").upper == 100.0


def test_evaluator_on_a_failed_figure_records_missing_image() -> None:
    evaluator = create_evaluator(EvaluatorSpec.create("ocr"))
    problem = _problem(_quiz("A", A="1 m", B="2 m"))
    figure = FigureUnderTest(run_id="r1", problem_uid=problem.uid, status="failed", error_class="timeout")
    output = asyncio.run(evaluator.evaluate(problem, figure, EvaluationContext()))
    assert [(a.error_class, a.correct) for a in output.quiz_answers] == [(MISSING_IMAGE, False)]
    assert {m.status for m in output.metric_values} == {"failed"}
    assert "timeout" in (output.metric_values[0].detail or "")


def test_summary_pools_over_quizzes() -> None:
    def answer(
        uid: str, index: int, correct: bool, abstained: bool = False, error: str | None = None
    ) -> QuizAnswer:
        key = None if abstained or error else "A"
        return QuizAnswer(
            problem_uid=uid,
            quiz_index=index,
            answerer="ocr",
            parsed_key=key,
            correct=correct,
            abstained=abstained,
            error_class=error,
        )

    answers = [
        answer("p1", 0, True),
        answer("p1", 1, True),  # all correct
        answer("p2", 0, True),
        answer("p2", 1, False, abstained=True),  # one abstention
        answer("p3", 0, False),
        answer("p3", 1, True),  # one wrong answer
        answer("p4", 0, False, error=MISSING_IMAGE),
        answer("p4", 1, False, error=MISSING_IMAGE),
    ]
    summary = summarise_answers(answers)
    assert (summary.images, summary.quizzes, summary.missing_images) == (4, 8, 1)
    assert summary.answered == 5 and summary.correct == 4
    assert summary.answer_rate == pytest.approx(100 * 5 / 6)  # over quizzes of existing images
    assert summary.precision == pytest.approx(100 * 4 / 5)
    assert summary.accuracy == pytest.approx(100 * 4 / 8)  # abstentions and missing images wrong
    assert summary.rinv == pytest.approx(25.0)


# --- matching rules on text (no OCR) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "text", "chosen", "reason"),
    [
        ({"A": "2 cm", "B": "12 cm"}, "AB = 12cm", "B", "one"),
        ({"A": "2 cm", "B": "12 cm"}, "AB = 12 cm, BC = 2 cm", None, "several"),
        ({"A": "0.2", "B": "0.25"}, "p = 0.25", "B", "one"),
        ({"A": "0.6 MPa", "B": "0.9 MPa"}, "ψ = −0.6 MPa", None, "none"),
        ({"A": "A", "B": "A(2, 1)"}, "A(2,1)", "B", "one"),  # longest wins
        ({"A": "fine structure", "B": "hyperfine structure"}, "hyperfine structure", "B", "one"),
        ({"A": "m", "B": "M", "C": "a"}, "M", "B", "exact_case"),  # case decides only a tie
        ({"A": "m", "B": "M"}, "M and m", None, "several"),
        ({"A": "m", "B": "k"}, "L = 5 m", None, "none"),  # a unit after a number is not the symbol
        ({"A": "7.1", "B": "10"}, "VIN VOUT Fig. 7.1", None, "none"),  # caption numbers are not content
        ({"A": "Fig. 7.1", "B": "Fig. 1.7"}, "VIN VOUT Fig.7.1", "A", "one"),
        ({"A": "2 lone pairs", "B": "3 lone pairs"}, "2lonepairs", "A", "one"),  # OCR drops spaces
        ({"A": "albinism", "B": "haemophilia"}, "Pedigree ofalbinism", "A", "one"),  # glued words
        ({"A": "50,000", "B": "5,000"}, "50,0o0 kJ", "A", "one"),  # OCR's o for 0
        ({"A": "5 Ω", "B": "2 kΩ"}, "R = 2 kQ", "B", "one"),  # OCR's Q for Ω
        ({"A": "V₀", "B": "V₁"}, "V0 = 2 m/s", "A", "one"),
        ({"A": "$v_0$", "B": "$v_1$"}, "v0 = 2 m/s", "A", "one"),  # options written in LaTeX
        ({"A": "k = 1, S = 0", "B": "k = 0, S = 0"}, "k=1,S=0", "A", "one"),
    ],
)
def test_matching_rules(options: dict[str, str], text: str, chosen: str | None, reason: str) -> None:
    match = find_option(options, text, ocr=True)
    assert (match.chosen, match.reason) == (chosen, reason)


def test_normalised_forms() -> None:
    assert matchable("q = −4.0 µC") == matchable("q = -4.0 μC") == "q = -4.0 uC"
    assert matchable("250 ℃") == "250 °C"
    assert matchable("R = 5 Ω") == matchable("R = 5 ohm") == "R = 5 Ω"
    assert matchable("Ohm's law") == "Ohm's law"
    assert matchable("V₀ = 3.0 × 10⁸ m/s") == "V0 = 3.0 x 108 m/s"
    assert matchable(r"$\theta = 30^\circ$", mathtext=True) == "θ= 30°"
    assert matchable("30 degrees") == matchable("30º") == "30°"
    assert matchable("30o", ocr=True) == "30°" and matchable("30o") == "30o"


def test_helpers_for_numbers_and_units() -> None:
    assert is_bare_number("9.8") and is_bare_number("-3") and is_bare_number("2,700")
    assert not is_bare_number("9.8 cm") and not is_bare_number("m1")
    assert unit_after("9.8 cm piston", 3) == "cm" and unit_after("9.8m", 3) == "m"
    assert unit_after("9.8 piston", 3) is None and unit_after("9.8 mass", 3) is None
    assert quantity_spans("AB = 12 cm, n = 3") == [(5, 10)]


def test_unit_rule_looks_back_only_within_one_text() -> None:
    # "F" right after a number is a unit (5 F); after another line ending in a digit it is the symbol.
    assert option_spans("F", "m1 F", starts=[0, 3]) == [(3, 4)]
    assert option_spans("F", "m1 F") == []
    assert option_spans("F", "C = 5 F", starts=[0]) == []


# --- abstention rules on crafted texts (quiz_evidence) ---------------------------------------


def _ocr_texts(
    *lines: tuple[str, float] | tuple[str, float, tuple[float, float, float, float]],
) -> FigureTexts:
    """OCR lines (text, confidence[, box]); without a box, lines are stacked 30 px apart."""
    boxed = [
        (
            line[0],
            line[1],
            line[2] if len(line) == 3 else (10.0, 30.0 * i, 10.0 + 12 * len(line[0]), 30.0 * i + 20),
        )
        for i, line in enumerate(lines)
    ]
    return FigureTexts.from_ocr(boxed, 0.5)


def _drawn_texts(*texts: tuple[str, str]) -> FigureTexts:
    boxes = [
        TextBox(
            text=text, x0=0, y0=20 * i, x1=50, y1=20 * i + 15, font_size_pt=10, font_size_px=14, role=role
        )
        for i, (text, role) in enumerate(texts)
    ]
    return FigureTexts.from_facts(
        FigureFacts(width_px=400, height_px=300, dpi=100, axes_count=1, texts=boxes)
    )


def _decide(options: dict[str, str], figure: FigureTexts, question: str = "") -> Decision:
    decision, _ = decide(options, figure, question)
    return decision


def test_answers_a_single_clear_reading() -> None:
    decision = _decide(
        {"A": "2 cm", "B": "9.8 cm", "C": "640 cm"}, _ocr_texts(("piston", 0.99), ("9.8 cm", 0.96))
    )
    assert (decision.chosen, decision.reason) == ("B", "one")


def test_weak_reading_vetoes_but_never_supports() -> None:
    options = {"A": "Argon", "B": "Neon"}
    assert _decide(options, _ocr_texts(("neon", 0.65))).reason == "weak_reading"
    # The same weak line still counts as found: it blocks an answer from a clear one.
    assert _decide(options, _ocr_texts(("neon", 0.65), ("Argon", 0.99))).reason == "several"
    assert _decide(options, _ocr_texts(("neon", 0.95))).chosen == "B"


def test_lone_glyph_is_no_evidence_under_ocr_but_is_for_drawn_texts() -> None:
    options = {"A": "R", "B": "M", "C": "a"}
    assert _decide(options, _ocr_texts(("M", 0.99))).reason == "lone_glyph"
    assert _decide(options, _drawn_texts(("M", "text"))).chosen == "B"
    assert _decide({"A": "R1", "B": "M1"}, _ocr_texts(("M1", 0.99))).chosen == "B"


def test_case_decides_among_drawn_texts_only() -> None:
    options = {"A": "m", "B": "M"}
    drawn = _decide(options, _drawn_texts(("M", "text"), ("L = 5 m", "text")))  # "5 m": a unit
    assert (drawn.chosen, drawn.reason) == ("B", "exact_case")
    assert _decide({"A": "Mass", "B": "mass"}, _drawn_texts(("Mass", "xlabel"))).reason == "exact_case"
    assert _decide({"A": "Mass", "B": "mass"}, _ocr_texts(("Mass", 0.99))).reason == "several"


def test_nested_option_makes_ocr_abstain() -> None:
    assert _decide({"A": "m", "B": "2m", "C": "3m"}, _ocr_texts(("2m", 0.99))).reason == "nested"
    assert _decide({"A": "Vi", "B": "Vo", "C": "V"}, _ocr_texts(("Vo", 0.9))).reason == "nested"
    # No option inside another: answered.
    assert _decide({"A": "Vi", "B": "Vo", "C": "Vf"}, _ocr_texts(("Vo", 0.9))).chosen == "B"
    # Drawn texts are exact, so longest-wins is enough there.
    assert _decide({"A": "m", "B": "2m"}, _drawn_texts(("2m", "text"))).chosen == "B"


@pytest.mark.parametrize(
    ("options", "lines", "piece"),
    [
        # The unit of another value stands alone: its number was not read.
        ({"A": "1 cm", "B": "2 cm", "C": "4.13 cm"}, [("2cm", 0.98), ("cm", 0.97)], '"cm"'),
        # A symbol without its subscript: "m" may be m1.
        ({"A": "m1", "B": "m2", "C": "F"}, [("m", 0.98), ("m2", 0.97)], '"m"'),
        # A word of a short option written elsewhere: the t of "t/s" may be "Time t".
        ({"A": "Temperature", "B": "Mass", "C": "Time t"}, [("temperature/°C", 0.97), ("t/s", 0.99)], '"t"'),
    ],
)
def test_fragment_of_another_option_makes_ocr_abstain(
    options: dict[str, str], lines: list[tuple[str, float]], piece: str
) -> None:
    decision = _decide(options, _ocr_texts(*lines))
    assert decision.reason == "fragment" and decision.chosen is None
    assert decision.detail.startswith(piece)


@pytest.mark.parametrize(
    "lines",
    [
        [("2cm", 0.98), ("AB = 12 cm", 0.97)],  # a value fully read with its unit is no fragment
        [("2cm", 0.98), ("Fig. 1.1", 0.97)],  # nor is a caption's number
        # nor a digit inside a formula, or a function word
        [("2cm", 0.98), ("H2O", 0.97), ("the piston", 0.97)],
    ],
)
def test_what_is_not_a_fragment(lines: list[tuple[str, float]]) -> None:
    options = {"A": "1 cm", "B": "2 cm", "C": "The 1.1 cm piston"}
    assert _decide(options, _ocr_texts(*lines)).chosen == "B"


def test_caption_option_is_found_whole_or_not_at_all() -> None:
    options = {"A": "Fig. 9.8", "B": "Fig. 3.1", "C": "Fig. 640"}
    decision = _decide(options, _ocr_texts(("9.8 cm", 0.96), ("Fig. 3.1", 0.97)))
    assert decision.chosen == "B"
    assert _decide({"A": "3.1", "B": "9.8"}, _ocr_texts(("Fig. 3.1", 0.97))).reason == "none"


def test_lookalike_low_confidence_line_makes_ocr_abstain() -> None:
    options = {"A": "Neon", "B": "Argon", "C": "Oxygen"}
    decision = _decide(options, _ocr_texts(("neon", 1.0), ("uobJD", 0.74)))
    assert decision.reason == "lookalike" and "Argon" in decision.detail
    # Too short, or clearly read: no look-alike.
    assert _decide(options, _ocr_texts(("neon", 1.0), ("?", 0.6))).chosen == "A"
    assert _decide(options, _ocr_texts(("neon", 1.0), ("uobJD", 0.95))).chosen == "A"


def test_number_in_axis_ticks_is_no_answer() -> None:
    options = {"A": "20", "B": "25", "C": "35"}
    drawn = _drawn_texts(("20", "tick_label"), ("40", "tick_label"), ("60", "tick_label"), ("T = 35", "text"))
    assert _decide({"A": "20", "B": "25"}, drawn).reason == "axis_tick"
    assert _decide(options, drawn).reason == "several"  # the tick still blocks the label's 35
    assert _decide({"A": "25", "B": "35"}, drawn).chosen == "B"
    # OCR: a number line sharing a row with two more number lines is a tick.
    row = [(f"{v}", 0.99, (100.0 * i, 500.0, 100.0 * i + 20, 515.0)) for i, v in enumerate((10, 20, 30))]
    assert _decide({"A": "20", "B": "25"}, _ocr_texts(*row)).reason == "axis_tick"
    alone = [("20", 0.99, (40.0, 40.0, 60.0, 55.0)), ("30", 0.99, (300.0, 200.0, 320.0, 215.0))]
    assert _decide({"A": "20", "B": "25"}, _ocr_texts(*alone)).chosen == "A"


def test_number_written_with_a_unit_the_question_does_not_name() -> None:
    options = {"A": "640", "B": "9.8", "C": "2700"}
    figure = _drawn_texts(("9.8 cm", "text"), ("piston", "text"))
    assert _decide(options, figure, "What is the density of the piston?").reason == "unit_mismatch"
    assert _decide(options, figure, "What distance is marked (cm)?").chosen == "B"
    # A unit-like letter in the next text is not this number's unit ("0.20" then "g = 9.8").
    drawn = _drawn_texts(("μk = 0.20", "text"), ("g = 9.8 m/s²", "text"))
    assert _decide({"A": "0.20", "B": "0.25"}, drawn, "Coefficient of friction?").chosen == "A"


def test_one_occurrence_never_answers_two_quizzes() -> None:
    figure = _ocr_texts(("18.0cm", 1.0), ("spring", 0.99))
    quizzes = [
        ("Length of each spring at equilibrium?", {"A": "12.0 cm", "B": "18.0 cm"}),
        ("Unstretched length of each spring?", {"A": "18.0 cm", "B": "12.0 cm"}),
        ("What is attached to the trolley?", {"A": "spring", "B": "string"}),
    ]
    decisions = decide_quizzes(quizzes, figure)
    assert [d.reason for d in decisions] == ["shared_evidence", "shared_evidence", "one"]
    assert decisions[2].chosen == "A"


def test_code_made_figure_is_answered_from_its_drawn_texts_without_ocr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_ocr(*_: object, **__: object) -> None:
        raise AssertionError("OCR must not run when figure facts hold texts")

    monkeypatch.setattr("core.evaluation.ocr.read_image_text", no_ocr)
    facts = FigureFacts(
        width_px=400,
        height_px=300,
        dpi=100,
        axes_count=1,
        texts=[
            TextBox(
                text=r"$m = 5.0\,\mathrm{kg}$", x0=0, y0=0, x1=80, y1=20, font_size_pt=10, font_size_px=14
            )
        ],
    )
    problem = _problem(_quiz("B", A="2.5 kg", B="5.0 kg"), _quiz("A", A="7 cm", B="9 cm"))
    figure = FigureUnderTest(
        run_id="r1", problem_uid=problem.uid, status="ok", image_path=Path("/nonexistent.png"), facts=facts
    )
    output = asyncio.run(
        create_evaluator(EvaluatorSpec.create("ocr")).evaluate(problem, figure, EvaluationContext())
    )
    assert [(a.parsed_key, a.abstained) for a in output.quiz_answers] == [("B", False), (None, True)]
    assert output.quiz_answers[1].raw_reply.startswith('none: drawn texts "m = 5.0')


# --- real data -------------------------------------------------------------------------------


@pytest.mark.slow
def test_sample_gold_figures_are_answered_from_figure_facts() -> None:
    """The bundled sample's gold figures, rendered here (~10 s): answered from drawn texts."""
    from core.problems.sample import load_sample
    from core.sandbox import render

    answers: list[QuizAnswer] = []
    for problem in load_sample():
        if not (problem.quizzes and problem.reference_code):
            continue
        result = render(problem.reference_code)
        assert result.ok and result.facts is not None and result.facts.texts, problem.uid
        answers.extend(answer_problem(problem, None, facts=result.facts))
    summary = summarise_answers(answers)
    assert summary.quizzes >= 150
    assert summary.precision == pytest.approx(100.0), [
        a.raw_reply for a in answers if a.parsed_key and not a.correct
    ]
    assert summary.answer_rate >= 90.0


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_seephys_reference_figures_precision(scigenbench_dir: Path) -> None:
    """OCR of all 165 SeePhys reference figures: about 2-4 minutes on 2 busy cores."""
    from core.problems.importer import parse_file

    problems = [p for p in parse_file(scigenbench_dir / "seephys.json").problems if p.quizzes]
    answers = [a for p in problems for a in answer_problem(p, p.reference_image)]
    summary = summarise_answers(answers)
    assert summary.missing_images == 0
    wrong = [a.raw_reply for a in answers if a.parsed_key and not a.correct]
    assert summary.answered >= 20, "too few answers for the precision to mean anything"
    assert summary.precision is not None and summary.precision >= 95.0, wrong
