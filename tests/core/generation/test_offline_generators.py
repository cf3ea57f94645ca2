"""The offline generators (reference gold scripts, the text-card adversary) and the registry."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from PIL import Image

import core.generation
from core.generation import GeneratorSpec, complete_spec, create_generator, registered_generators
from core.generation.reference import ReferenceGenerator
from core.generation.text_card import (
    TEXT_CARD_LABEL,
    CardContent,
    TextCardGenerator,
    card_content,
    card_script,
    extract_givens,
    plain_text,
)
from core.problems import Problem
from core.problems.sample import load_sample
from core.sandbox import RenderPool
from tests.core.generation.generation_testkit import GOOD_SCRIPT, context, make_problem, run


@pytest.fixture(scope="module")
def sample() -> dict[str, Problem]:
    return {problem.id: problem for problem in load_sample()}


def drawn_texts(result) -> list[str]:
    assert result.facts is not None
    return [text.text for text in result.facts.texts]


# ---- registry ---------------------------------------------------------------------------------


def test_importing_the_package_registers_every_generator() -> None:
    generators = registered_generators()
    assert {"imgcoder", "pixel", "reference", "text-card"} <= set(generators)
    assert (generators["imgcoder"].kind, generators["imgcoder"].needs_model) == ("code", True)
    assert (generators["pixel"].kind, generators["pixel"].needs_model) == ("pixel", True)
    assert (generators["reference"].kind, generators["reference"].needs_model) == ("baseline", False)
    assert generators["text-card"].kind == "baseline" and not generators["text-card"].needs_model
    assert generators["text-card"].label == "text-card (adversarial baseline: no diagram)"
    assert all(cls.label for cls in generators.values())
    assert core.generation.generator_class("text-card") is TextCardGenerator


def test_offline_specs_complete_to_their_defaults() -> None:
    spec = complete_spec(GeneratorSpec.create("reference"))
    assert dict(spec.params) == {"dpi": 150, "memory_mb": 1024, "svg": False, "timeout_s": 20.0}
    assert complete_spec(GeneratorSpec.create("text-card", dpi=100)).param("dpi") == 100
    with pytest.raises(ValueError, match="unknown parameter"):
        create_generator(GeneratorSpec.create("reference", model="openai/gpt-4o"))
    with pytest.raises(KeyError, match="unknown generator"):
        create_generator(GeneratorSpec.create("no-such-generator"))


# ---- reference ----------------------------------------------------------------------------------


def test_reference_renders_a_sample_problem(sample: dict[str, Problem], render_pool: RenderPool) -> None:
    problem = sample["sample-physics-circuit-1"]
    generator = create_generator(GeneratorSpec.create("reference"))
    assert isinstance(generator, ReferenceGenerator)
    result = run(generator.generate(problem, context(render_pool)))
    assert result.ok, result.error_message
    assert result.problem_uid == "custom:sample-physics-circuit-1" and result.code == problem.reference_code
    with Image.open(io.BytesIO(result.image or b"")) as image:
        assert image.format == "PNG" and image.width > 300
    assert {"R1 = 4 Ω", "12 V"} <= set(drawn_texts(result))
    (attempt,) = result.attempts
    assert attempt.status == "ok" and attempt.raw_reply is None and attempt.ledger == []


def test_reference_without_a_script_is_no_reference(render_pool: RenderPool) -> None:
    result = run(
        create_generator(GeneratorSpec.create("reference")).generate(make_problem(), context(render_pool))
    )
    assert not result.ok and result.error_class == "no_reference" and result.attempts == []


def test_only_reference_says_it_cannot_draw_a_problem_without_a_gold_script() -> None:
    bare, gold = make_problem(), make_problem(reference_code=GOOD_SCRIPT)
    assert not ReferenceGenerator.available_for(bare) and ReferenceGenerator.available_for(gold)
    assert not ReferenceGenerator.available_for(make_problem(reference_code="  \n"))
    assert all(cls.available_for(bare) for name, cls in registered_generators().items() if name != "reference")


def test_a_broken_reference_script_fails_with_the_sandbox_class(render_pool: RenderPool) -> None:
    problem = make_problem(reference_code="import matplotlib.pyplot as plt\nplt.plot(\n")
    result = run(create_generator(GeneratorSpec.create("reference")).generate(problem, context(render_pool)))
    assert not result.ok and result.error_class == "syntax_error"
    assert result.attempts[0].error_class == "syntax_error"


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_cancelling_a_generation_leaves_the_pool_working(render_pool: RenderPool) -> None:
    """A job that stops mid-render (Ctrl-C, --max-cost) must not break the shared pool: the
    render's late result may not land on a cancelled future in the pool's reader thread."""
    generator = create_generator(GeneratorSpec.create("reference", timeout_s=0.8))
    endless = make_problem(reference_code="import matplotlib.pyplot as plt\nwhile True:\n    pass\n")

    async def cancel_midway() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(generator.generate(endless, context(render_pool)), 0.2)

    run(cancel_midway())
    time.sleep(1.2)  # the sandbox kills the endless script and sends its result back
    drawn = make_problem(reference_code=GOOD_SCRIPT)

    async def render_again():
        return await asyncio.wait_for(generator.generate(drawn, context(render_pool)), 30)

    assert run(render_again()).ok


# ---- text-card ----------------------------------------------------------------------------------


def test_text_card_shows_the_given_values_and_never_the_answer(
    sample: dict[str, Problem], render_pool: RenderPool
) -> None:
    problem = sample["sample-physics-astronomical-1"]  # answer: v ≈ 7.67 km/s (orbital radius 6770 km)
    generator = create_generator(GeneratorSpec.create("text-card"))
    result = run(generator.generate(problem, context(render_pool)))
    assert result.ok, result.error_message
    texts = drawn_texts(result)
    for given in ("h = 400 km", "R = 6370 km", "M = 5.97 × 10²⁴ kg", "G = 6.67 × 10⁻¹¹ N·m²/kg²"):
        assert given in texts
    joined = "\n".join(texts) + (result.code or "")
    for secret in ("7.67", "6770"):
        assert secret not in joined
    assert TEXT_CARD_LABEL in result.notes and TEXT_CARD_LABEL in (result.code or "")


def test_text_card_drops_a_given_value_that_is_also_the_answer(render_pool: RenderPool) -> None:
    problem = make_problem(
        question="A ladder of length L = 5 m leans on a wall; its foot is 3 m from the wall. Points A and B mark its ends.",
        answer="4 m high (and the ladder is 5 m long)",
    )
    content = card_content(problem)
    assert not any("5 m" in line for line in content.lines)
    assert "3 m" in " ".join(content.values) and {"A", "B"} <= set(content.labels)
    assert content.notes == ["left out 1 item(s) that also appear in the answer"]
    result = run(create_generator(GeneratorSpec.create("text-card")).generate(problem, context(render_pool)))
    assert result.ok and not any("5 m" in text for text in drawn_texts(result))


def test_text_card_is_deterministic(sample: dict[str, Problem], render_pool: RenderPool) -> None:
    generator = create_generator(GeneratorSpec.create("text-card"))
    problem = sample["sample-math-plane-geometric-1"]
    first = run(generator.generate(problem, context(render_pool)))
    second = run(generator.generate(problem, context(render_pool)))
    assert first.ok and first.image == second.image and first.code == second.code


def test_text_card_with_nothing_to_show_still_renders(render_pool: RenderPool) -> None:
    problem = make_problem(question="Explain why the sky is blue.", answer="Rayleigh scattering")
    result = run(create_generator(GeneratorSpec.create("text-card")).generate(problem, context(render_pool)))
    assert result.ok and "(none found)" in drawn_texts(result)
    assert "no given values or labels found in the question" in result.notes


def test_text_card_without_a_sandbox_fails_cleanly() -> None:
    result = run(create_generator(GeneratorSpec.create("text-card")).generate(make_problem(), context(None)))
    assert not result.ok and result.error_class == "no_sandbox"


def test_text_card_escapes_dollar_signs() -> None:
    script = card_script(CardContent(values=["ticket $5", "drink $3"]))
    assert "ticket \\\\$5" in script  # mathtext would otherwise read "$5', 'drink $" as math
    compile(script, "card.py", "exec")


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        (r"a block of mass {eq}m = 2\ \mathrm{kg}{/eq}", "a block of mass m = 2 kg"),
        (r"$\theta = 30^\circ$ and $v_0 = 5\,\text{m/s}$", "θ = 30° and v₀ = 5 m/s"),
        (r"$R_{1} = 4 \Omega$", "R₁ = 4 Ω"),
        (r"$g = 9.8 m/s^2$, $x^{-1}$", "g = 9.8 m/s², x⁻¹"),
        (r"\(\frac{1}{2} m v^2\)", "1/2 m v²"),
        (r"$E = 6.0 \times 10^{5}$ N/C", "E = 6.0 × 10⁵ N/C"),
    ],
)
def test_plain_text(markup: str, plain: str) -> None:
    assert plain_text(markup) == plain


def test_extract_givens_finds_values_assignments_and_labels() -> None:
    content = extract_givens(
        r"In triangle ABC, $AB = 7\,\text{cm}$ and the angle at vertex A is 60°. A resistor R1 = 5 Ω "
        "carries 2.0 A; points P and Q lie on BC with P(1, 2). The cell holds 0.10 mol/L NaCl at 25 °C "
        "and 3 students measured it."
    )
    assert content.values[:2] == ["AB = 7 cm", "vertex A 60°"]
    for value in ("R1 = 5 Ω", "carries 2.0 A", "P(1, 2)", "cell holds 0.10 mol/L", "NaCl 25 °C"):
        assert value in content.values
    assert any(value.startswith("3 students") for value in content.values)
    for label in ("ABC", "A", "Q", "BC", "NaCl"):
        assert label in content.labels
    assert "R1" not in content.labels and "P" not in content.labels  # already named by their values


def test_extract_givens_leaves_orbitals_and_articles_alone() -> None:
    content = extract_givens(
        "A neutral atom has the configuration 1s 2s 2p. I think a block of mass 3 kg sits here."
    )
    assert content.values == ["block of mass 3 kg"]
    assert "I" not in content.labels and "A" not in content.labels
