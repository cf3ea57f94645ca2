"""The prompt rule: multimodal question first, else given values (numbers with units) masked."""

from __future__ import annotations

from core.export.masking import INSTRUCTION, MASK, build_prompt, display_form, mask_given_values


def test_numbers_with_units_are_masked_in_order_and_the_instruction_appended():
    result = mask_given_values(
        "In triangle ABC, AB = 7 cm, AC = 5 cm and the included angle ∠BAC = 60°. Find BC."
    )
    assert result.masked == ("7 cm", "5 cm", "60°")
    assert result.text == (
        f"In triangle ABC, AB = {MASK}, AC = {MASK} and the included angle ∠BAC = {MASK}. Find BC. {INSTRUCTION}"
    )


def test_compound_scientific_and_percent_units():
    result = mask_given_values(
        "0.100 mol/L NaOH titrates 25.0 mL at 300 °C (yield 80%); light at 3 × 10⁸ m/s, charge 1.6e-19 C, "
        "flux 50,000 kJ/m²/yr, band at 1715 cm⁻¹."
    )
    assert result.masked == ("0.100 mol/L", "25.0 mL", "300 °C", "80%", "3 × 10⁸ m/s", "1.6e-19 C",
                             "50,000 kJ/m²/yr", "1715 cm⁻¹")
    assert "0.100" not in result.text and "1715" not in result.text


def test_unitless_numbers_identifiers_and_formulas_stay():
    question = "Of 40 students, 25 study French. Z = 26; orbitals 1s 2s 2p; H2O at F₁(-4, 0); magnification × 2000."
    result = mask_given_values(question)
    assert result.masked == ()
    assert result.text == question and INSTRUCTION not in result.text


def test_a_trailing_non_unit_part_is_cut_back():
    result = mask_given_values("The levels are E_n = -13.6 eV/n² and the rod is 2 m long.")
    assert result.masked == ("-13.6 eV", "2 m")
    assert f"E_n = {MASK}/n²" in result.text


def test_webinstruct_math_markup_is_read_as_plain_text():
    question = "A block of mass {eq}m = 2\\,kg{/eq} slides down an incline of angle $30^\\circ$."
    assert display_form(question) == "A block of mass m = 2 kg slides down an incline of angle 30°."
    assert mask_given_values(question).masked == ("2 kg", "30°")


def test_the_multimodal_question_wins_and_the_rule_is_deterministic():
    text, source, masked = build_prompt("AB = 7 cm.", "Using the length shown, find AB squared.")
    assert (text, source, masked) == ("Using the length shown, find AB squared.", "multimodal_question", ())
    assert build_prompt("AB = 7 cm.", None) == build_prompt("AB = 7 cm.", "  ")
    assert build_prompt("AB = 7 cm.", None)[1:] == ("masked", ("7 cm",))
    assert build_prompt("Count the 3 apples.", None)[1] == "unmasked"
