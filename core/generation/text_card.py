"""``text-card`` (adversarial baseline: no diagram): the question's given values as plain text.

It draws no diagram at all, only a card listing what the problem gives: quantities with units
("121 pm", "300 °C", "30°", "5 Ω", "80%"), variable assignments ("m = 2 kg", "M(Na) = 22.99 g/mol",
"n = 5"), point coordinates ("A(1, 2)") and label names (points and segments such as "A", "AB",
"ABC", components such as "R1", chemical formulas such as "H2SO4"). A quiz metric that this card
passes is a metric a figure can pass without drawing anything: that is what it exists to show, so
it is labelled "text-card (adversarial baseline: no diagram)" everywhere its runs are listed.

Deterministic: the same question always gives the same card (the script is a pure function of
the extracted lines and is rendered in the sandbox with fixed fonts and hash seed). The answer is
never on the card: an item whose quantity also appears in the answer is dropped, with a note.

Spec parameters: ``dpi`` (150), ``timeout_s``, ``memory_mb`` (sandbox settings), ``max_lines`` (30).
"""

from __future__ import annotations

import re
import textwrap
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.generation.base import (
    FigureResult,
    GenerationContext,
    Generator,
    GeneratorKind,
    GeneratorSpec,
    register_generator,
)
from core.generation.rendering import (
    RENDER_DEFAULTS,
    check_params,
    failed_figure,
    figure_from_render,
    render_attempt,
    render_script,
    report_render,
)
from core.problems import Problem

__all__ = [
    "TEXT_CARD_DEFAULTS",
    "TEXT_CARD_LABEL",
    "CardContent",
    "TextCardGenerator",
    "card_content",
    "card_script",
    "extract_givens",
    "plain_text",
]

TEXT_CARD_LABEL = "text-card (adversarial baseline: no diagram)"
TEXT_CARD_DEFAULTS: dict[str, Any] = {**RENDER_DEFAULTS, "max_lines": 30}
_WRAP = 46

# ---- markup to plain text -----------------------------------------------------------------------

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
_SYMBOLS = {
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "approx": "≈", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "neq": "≠", "ne": "≠", "infty": "∞", "degree": "°", "circ": "°", "angle": "∠",
    "triangle": "△", "parallel": "∥", "perp": "⊥", "sim": "~", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "rightleftharpoons": "⇌", "cdots": "…", "ldots": "…", "dots": "…", "prime": "′",
    "AA": "Å", "ohm": "Ω", "%": "%", "$": "$", "#": "#", "&": "&", "_": "_",
}  # fmt: skip
_SUPERSCRIPT = str.maketrans("0123456789+-−n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻ⁿ")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_TEXT_COMMANDS = re.compile(
    r"\\(?:text|mathrm|textrm|mathbf|textbf|mathit|textit|mathsf|operatorname|boldsymbol|bm|vec|overline|"
    r"overrightarrow|hat|bar|mathcal|mbox|rm|it)\s*\{([^{}]*)\}"
)
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")


def _script(body: str, table: dict[int, int], marker: str) -> str:
    """``body`` as Unicode super/subscript when every character has one, else ``^(body)``."""
    if body and all(ord(ch) in table for ch in body):
        return body.translate(table)
    return f"{marker}({body})" if len(body) > 1 else f"{marker}{body}"


def plain_text(text: str) -> str:
    """The question with WebInstruct/LaTeX markup turned into plain Unicode text."""
    text = text.replace("{eq}", " ").replace("{/eq}", " ")
    text = re.sub(r"\\[()\[\]]", " ", text)
    text = re.sub(r"\$\$?", " ", text)
    text = re.sub(r"\\[,;:! ]|\\quad|\\qquad|~", " ", text)
    for _ in range(3):  # nested \text{\mathrm{...}} and fractions of fractions
        text = _TEXT_COMMANDS.sub(r"\1", text)
        text = _FRAC.sub(lambda m: f"{_group(m.group(1))}/{_group(m.group(2))}", text)
        text = _SQRT.sub(lambda m: f"√{_group(m.group(1))}", text)
    text = re.sub(r"\\left|\\right", "", text)
    text = re.sub(r"\^\s*(?:\{\s*\\circ\s*\}|\\circ)", "°", text)
    text = re.sub(
        r"\\([A-Za-z]+|[%$#&_])",
        lambda m: _GREEK.get(m.group(1)) or _SYMBOLS.get(m.group(1)) or m.group(1),
        text,
    )
    text = re.sub(r"\^\s*\{([^{}]*)\}", lambda m: _script(m.group(1).strip(), _SUPERSCRIPT, "^"), text)
    text = re.sub(r"\^([-−]?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"_\s*\{([^{}]*)\}", lambda m: _script(m.group(1).strip(), _SUBSCRIPT, "_"), text)
    text = re.sub(r"(?<=[A-Za-z])_(\d+)", lambda m: m.group(1).translate(_SUBSCRIPT), text)
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" ([,;:!?)])", r"\1", text)
    text = re.sub(r"\s*\n\s*", "\n", text)
    # "30 °" -> "30°"; a space before a unit's degree sign is markup noise.
    text = re.sub(r"(\d)\s+°(?!\s*[CF]\b)", r"\1°", text)
    return text.strip()


def _group(body: str) -> str:
    body = body.strip()
    return body if re.fullmatch(r"[\w.√]+", body) else f"({body})"


# ---- extraction -------------------------------------------------------------------------------

_NUMBER = (
    r"(?<![\w.\-−+/^])[-−+]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
    r"(?:\s*[×x*]\s*10(?:\^?\s*[-−⁻]?\s*[\d⁰¹²³⁴⁵⁶⁷⁸⁹]+)|[eE][-+]?\d+)?"
)
_BASE_UNITS = (
    "m cm mm km nm pm μm µm um Å fm mi ft yd "
    "kg g mg μg µg ng t lb lbs oz Da kDa u amu Gt Mt kt Pg Tg "
    "s ms μs µs ns min h hr hrs yr "
    "N kN MN mN lbf J kJ MJ eV keV MeV GeV cal kcal W kW MW mW hp "
    "V kV mV μV A mA μA µA Ω kΩ MΩ mΩ ohm ohms F μF µF nF pF mF H mH μH µH C μC µC nC mC T mT μT G Wb "
    "Hz kHz MHz GHz Pa kPa MPa GPa hPa atm bar mbar mmHg torr Torr psi "
    "K °C °F ° rad mrad sr mol mmol μmol kmol M mM μM L mL μL dL cc dm "
    "bp kb kbp dB rpm lx cd AU ly pc % ‰ ppm ppb"
).split()
_WORD_UNITS = (
    "degrees degree meters metres meter metre centimeters centimetres kilometers kilometres millimeters "
    "seconds second minutes minute hours hour years kilograms kilogram grams gram newtons newton joules joule "
    "watts watt volts volt amperes ampere amps amp ohms coulombs coulomb teslas tesla hertz pascals pascal "
    "kelvin moles mole liters litres liter litre milliliters millilitres atmospheres calories radians feet foot "
    "inches miles pounds"
).split()
# Orbital letters glued to a number ("1s 2s 2p", "3d5") are not units.
_ORBITAL_LETTERS = {"s", "p", "d", "f"}
_UNIT_ATOM = (
    r"(?:" + "|".join(sorted((re.escape(u) for u in _BASE_UNITS), key=len, reverse=True)) + r")"
    r"(?:\^?\s*[-−⁻]?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]+|[²³¹⁻⁰-⁹]+)?"
)
_UNIT = (
    r"(?:(?:"
    + "|".join(sorted(_WORD_UNITS, key=len, reverse=True))
    + r")\b|"
    + _UNIT_ATOM
    + r"(?:\s?[/·⋅*]\s?(?:\("
    + _UNIT_ATOM
    + r"(?:\s?[·⋅*/]\s?"
    + _UNIT_ATOM
    + r")*\)|"
    + _UNIT_ATOM
    + r"))*"
    + r"(?![A-Za-z\d]))"
)
_QUANTITY = re.compile(rf"(?P<number>{_NUMBER})(?P<space>\s*)(?P<unit>{_UNIT})?")
_NAME = r"[∠△]?[A-Za-zα-ωΑ-Ω](?:[A-Za-z0-9α-ωΑ-Ω₀-₉′']{0,5})(?:_\w{1,4})?(?:\([A-Za-z0-9 ,]{1,10}\))?"
_ASSIGNMENT = re.compile(
    rf"(?<![\w(])(?P<name>{_NAME})\s*(?P<op>=|≈|≅)\s*(?P<value>{_NUMBER}(?:\s*(?:{_UNIT}))?)"
)
_COORDINATES = re.compile(
    r"(?<![\w])(?P<name>[A-Z][′']?[₀-₉\d]?)\s*\(\s*(?P<coords>[-−]?\d+(?:\.\d+)?(?:\s*,\s*[-−]?\d+(?:\.\d+)?){1,2})\s*\)"
)
_LABEL_TRIGGERS = (
    "point points vertex vertices corner corners line lines segment segments side sides triangle angle "
    "circle centre center node nodes charge charges particle particles block blocks body bodies mass masses "
    "object objects plate plates resistor resistors capacitor capacitors bulb bulbs lens mirror plane planes "
    "set sets event events region regions cell cells chamber junction junctions terminal terminals switch "
    "pulley pulleys car cars ball balls sphere spheres rod rods wire wires spring springs vector vectors "
    "axis gene genes allele alleles species population populations tank tanks container containers"
).split()
_LABEL_NAME = r"[A-Z][′']?(?:[₀-₉\d])?"
_TRIGGER = re.compile(
    r"(?i:\b(?:"
    + "|".join(_LABEL_TRIGGERS)
    + r"))\s+(?P<names>"
    + _LABEL_NAME
    + r"(?:\s*(?:,|and|or|&)\s*"
    + _LABEL_NAME
    + r")*)(?![\w])"
)
_SHAPE_LABEL = re.compile(r"(?<![\w])[∠△]?[A-Z]{2,4}[′']*(?![\w]|-\d)")
_COMPONENT = re.compile(r"(?<![\w])[A-Z](?:\d{1,2}|[₀-₉]{1,2})[′']?(?![\w])")
_PEDIGREE = re.compile(r"(?<![\w-])[IVX]{1,4}-\d{1,2}(?![\w])")
_FORMULA = re.compile(
    r"(?<![\w])(?:[A-Z][a-z]?[\d₀-₉]*|\((?:[A-Z][a-z]?[\d₀-₉]*)+\)[\d₀-₉]*){2,}(?:[⁺⁻]+|\^?\d*[+-](?![\w]))?(?![\w])"
)
_SINGLE_ION = re.compile(r"(?<![\w])[A-Z][a-z]?[\d₀-₉]*(?:[⁺⁻]+|\^\d*[+-])")
_NOT_LABELS = {
    "I",
    "A",
    "AN",
    "THE",
    "AND",
    "OR",
    "IF",
    "OF",
    "TO",
    "IN",
    "IS",
    "NOT",
    "NB",
    "OK",
    "QED",
    "SI",
    "USD",
}
_STOPWORDS = {
    "the", "a", "an", "of", "at", "is", "are", "was", "were", "with", "and", "to", "by", "in", "on", "has",
    "have", "its", "their", "it", "that", "which", "for", "from", "as", "be", "been", "if", "then", "when",
    "where", "into", "about", "each", "every", "this", "these", "those", "there", "given", "what", "how",
    "find", "calculate", "determine", "than", "per", "all", "his", "her", "our", "your", "only",
}  # fmt: skip


@dataclass(frozen=True)
class CardContent:
    """What the card shows: given values and labels, and what was left out and why."""

    values: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [*self.values, *self.labels]


def _context_before(text: str, start: int, floor: int = 0) -> str:
    """Up to three words before ``start`` in the same clause and after ``floor`` (the end of the
    previous value), without stop words at either end."""
    clause = re.split(r"[.;:!?()\[\]\n,]|\band\b|\bor\b", text[floor:start])[-1]
    words = clause.split()[-3:]
    while words and (words[0].lower() in _STOPWORDS or not re.search(r"\w", words[0])):
        words = words[1:]
    while words and words[-1] in _STOPWORDS:  # case-sensitive: keep a point named "A"
        words = words[:-1]
    return " ".join(words)


def _context_after(text: str, end: int) -> str:
    """Up to two words after ``end`` in the same clause, stopping at a stop word."""
    clause = re.split(r"[.;:!?()\[\]\n,]", text[end:])[0]
    words: list[str] = []
    for word in clause.split()[:2]:
        if word.lower() in _STOPWORDS or not re.fullmatch(r"[\w\-′'α-ωΑ-Ω]+", word):
            break
        words.append(word)
    return " ".join(words)


def _norm_number(text: str) -> str:
    text = text.replace("−", "-").replace("⁻", "-").replace(",", "").replace(" ", "")
    return text.lstrip("+")


def _norm_unit(unit: str | None) -> str:
    return (unit or "").replace(" ", "").replace("µ", "μ").lower()


def _unit_of(match: re.Match[str]) -> str | None:
    unit = match.group("unit")
    if unit and not match.group("space") and unit in _ORBITAL_LETTERS:
        return None  # "1s", "2p": orbitals, not seconds
    return unit


def _quantities(text: str) -> set[tuple[str, str]]:
    return {(_norm_number(m.group("number")), _norm_unit(_unit_of(m))) for m in _QUANTITY.finditer(text)}


def extract_givens(question: str) -> CardContent:
    """Given values and labels of a question, in order of first appearance, without duplicates.

    Values: assignments ("m = 2 kg"), point coordinates ("A(1, 2)"), quantities with units with up
    to three words of context before them ("bond lengths C=O 121 pm"), and bare numbers with the
    words that name them ("3 people"). Labels: names after words such as point, vertex, block,
    resistor ("points A, B and C"), capital-letter names ("AB", "ABC", "∠BAC"), component names
    ("R1"), pedigree individuals ("II-3") and chemical formulas ("H2SO4", "NaCl", "Na⁺").
    """
    text = plain_text(question)
    found: list[tuple[int, str, tuple[int, int]]] = []
    spans: list[tuple[int, int]] = []
    names: set[str] = set()

    def covered(span: tuple[int, int]) -> bool:
        return any(start <= span[0] < end or start < span[1] <= end for start, end in spans)

    for match in _ASSIGNMENT.finditer(text):
        found.append(
            (match.start(), f"{match.group('name')} {match.group('op')} {match.group('value')}", match.span())
        )
        spans.append(match.span())
        names.add(match.group("name").lstrip("∠△"))
    for match in _COORDINATES.finditer(text):
        if not covered(match.span()):
            found.append((match.start(), f"{match.group('name')}({match.group('coords')})", match.span()))
            spans.append(match.span())
            names.add(match.group("name"))

    def floor(start: int) -> int:
        return max((end for _, end in spans if end <= start), default=0)

    for match in _QUANTITY.finditer(text):
        number_span = match.span("number")
        if covered(number_span):
            continue
        unit = _unit_of(match)
        if unit:
            quantity = f"{match.group('number')}{match.group('space')}{unit}"
            context = _context_before(text, match.start(), floor(match.start()))
            item = f"{context} {quantity}" if context else quantity
        else:
            if number_span[1] < len(text) and text[number_span[1]].isalnum():
                continue  # glued to letters ("1s", "3d"): a name, not a number
            after = _context_after(text, number_span[1])
            before = _context_before(text, match.start(), floor(match.start()))
            if not after and not before:
                continue  # a number with nothing saying what it is
            item = f"{match.group('number')} {after}" if after else f"{before} {match.group('number')}"
        found.append((match.start(), item, number_span))
        spans.append((number_span[0], match.end() if unit else number_span[1]))

    values: list[str] = []
    for _, item, _ in sorted(found, key=lambda entry: entry[0]):
        item = " ".join(item.split()).strip(" ,;")
        if item and item not in values:
            values.append(item)

    candidates: list[tuple[int, str, bool]] = []  # (position, name, named by a trigger word)
    for match in _TRIGGER.finditer(text):
        for name in re.split(r"\s*(?:,|and|or|&)\s*", match.group("names")):
            if name.strip():
                candidates.append((match.start("names"), name.strip(), True))
    for pattern in (_SHAPE_LABEL, _COMPONENT, _PEDIGREE, _FORMULA, _SINGLE_ION):
        for match in pattern.finditer(text):
            token = match.group(0)
            if pattern is _FORMULA and not re.search(r"[\d₀-₉a-z]", token):
                continue  # all capitals without digits: a shape label, found above
            candidates.append((match.start(), token, False))
    labels: list[str] = []
    for _, name, by_trigger in sorted(candidates, key=lambda entry: entry[0]):
        name = re.sub(r"\s+", "", name)
        if not by_trigger and (name.upper() in _NOT_LABELS or name in _BASE_UNITS):
            continue
        if name in names or name in labels:
            continue
        if any(name.lstrip("∠△") == other.lstrip("∠△") for other in labels):
            continue
        labels.append(name)
    return CardContent(values=values, labels=labels)


def card_content(problem: Problem, max_lines: int = 30) -> CardContent:
    """The card for ``problem``: its givens minus anything that would reveal the answer."""
    givens = extract_givens(problem.question)
    answer = plain_text(problem.answer or "")
    answer_quantities = _quantities(answer)
    answer_key = " ".join(answer.lower().split())
    notes: list[str] = []

    def reveals(item: str) -> bool:
        if len(answer_key) >= 2 and answer_key in " ".join(item.lower().split()):
            return True
        return bool(_quantities(item) & answer_quantities)

    values = [item for item in givens.values if not reveals(item)]
    labels = [item for item in givens.labels if not (len(answer_key) >= 2 and answer_key == item.lower())]
    dropped = len(givens.values) - len(values) + len(givens.labels) - len(labels)
    if dropped:
        notes.append(f"left out {dropped} item(s) that also appear in the answer")
    total = len(values) + len(labels)
    if total > max_lines:
        keep_values = min(len(values), max_lines)
        labels = labels[: max(0, max_lines - keep_values)]
        values = values[:keep_values]
        notes.append(f"kept the first {max_lines} of {total} items")
    if not values and not labels:
        notes.append("no given values or labels found in the question")
    return CardContent(values=values, labels=labels, notes=notes)


def card_script(content: CardContent) -> str:
    """A deterministic Matplotlib script that draws ``content`` as a plain text card."""

    def wrapped(items: list[str]) -> list[str]:
        lines: list[str] = []
        for item in items:
            safe = item.replace("$", r"\$")
            parts = textwrap.wrap(safe, _WRAP) or [safe]
            lines.append(parts[0])
            lines.extend("   " + part for part in parts[1:])
        return lines

    values = wrapped(content.values) if content.values else ["(none found)"]
    labels = wrapped([", ".join(content.labels)]) if content.labels else ["(none found)"]
    return f'''"""{TEXT_CARD_LABEL}: the problem's given values and labels as plain text."""
import matplotlib.pyplot as plt

VALUES = {values!r}
LABELS = {labels!r}
LINE = 0.34  # inches per text line
rows = 2 + len(VALUES) + 1.6 + len(LABELS)
height = 0.5 + rows * LINE
fig = plt.figure(figsize=(6.4, height))
fig.patch.set_facecolor("white")
y = height - 0.35


def put(text, size=12, weight="normal", indent=0.35):
    global y
    fig.text(indent / 6.4, y / height, text, fontsize=size, fontweight=weight, va="top", ha="left",
             family="DejaVu Sans", color="black")
    y -= LINE * (1.25 if weight == "bold" else 1.0)


put("Given values", size=13, weight="bold")
for line in VALUES:
    put(line)
y -= LINE * 0.6
put("Labels", size=13, weight="bold")
for line in LABELS:
    put(line)
fig.savefig("figure.png", facecolor="white")
'''


@register_generator
class TextCardGenerator(Generator):
    """The adversarial baseline: a card with the question's given values and labels, no diagram."""

    name: ClassVar[str] = "text-card"
    kind: ClassVar[GeneratorKind] = "baseline"
    label: ClassVar[str] = TEXT_CARD_LABEL
    needs_model: ClassVar[bool] = False

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        self.settings = check_params(spec, TEXT_CARD_DEFAULTS)
        if not isinstance(self.settings["max_lines"], int) or self.settings["max_lines"] < 1:
            raise ValueError(
                f"generator 'text-card': max_lines must be an integer >= 1, got {self.settings['max_lines']!r}"
            )

    @classmethod
    def complete_spec(cls, spec: GeneratorSpec, *, config: Any = None, home: Any = None) -> GeneratorSpec:
        """``spec`` with every default written out."""
        return GeneratorSpec.create(spec.name, **check_params(spec, TEXT_CARD_DEFAULTS))

    async def generate(self, problem: Problem, ctx: GenerationContext) -> FigureResult:
        started = time.monotonic()
        if ctx.render_pool is None:
            return failed_figure(problem, "no_sandbox", "no render pool in the generation context", started)
        content = card_content(problem, self.settings["max_lines"])
        code = card_script(content)
        ctx.report(
            "understand",
            f"Found {len(content.values)} given value(s) and {len(content.labels)} label(s) in the question",
            status="ok",
        )
        ctx.report("code", "A text card listing them (no diagram: the adversarial baseline)", status="ok", detail=code)
        ctx.report("render", "Rendering the card in the sandbox")
        render = await render_script(
            ctx.render_pool,
            code,
            dpi=self.settings["dpi"],
            timeout_s=self.settings["timeout_s"],
            memory_mb=self.settings["memory_mb"],
            svg=self.settings["svg"],
        )
        notes = [TEXT_CARD_LABEL, *content.notes]
        attempt = render_attempt(
            0,
            code,
            render,
            parse_notes=[f"{len(content.values)} value(s), {len(content.labels)} label(s)", *content.notes],
        )
        report_render(ctx, attempt, 0)
        return figure_from_render(problem, render, [attempt], started, code=code, notes=notes)
