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
from core.evaluation.text_match import find_option, matchable  # noqa: E402
from core.metrics import metric  # noqa: E402
from core.problems import Problem, Quiz  # noqa: E402

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
