"""Text normalisation and matching shared by the offline evaluators (``ocr``, ``figure-facts``).

Two jobs: decide whether a quiz option's text occurs in a figure's text (OCR output or the strings
Matplotlib drew), and pull numbers with units out of problem texts and figure texts.

Normalisation rules (:func:`normalise`, applied to both sides of every comparison):

1. Mathtext/LaTeX becomes plain text (only when ``mathtext=True``; figure-fact strings and problem
   texts): ``$...$`` delimiters dropped, ``^{..}`` -> ``^..``, ``_{..}`` -> ``..``, ``\\frac{a}{b}`` ->
   ``a/b``, ``\\circ``/``\\degree`` -> ``°``, Greek commands -> Greek letters, ``\\times`` -> ``×``,
   ``\\cdot`` -> ``·``, ``\\mathrm{..}``/``\\text{..}`` -> their content, spacing commands -> space.
2. Degree look-alikes (``º`` masculine ordinal, ``˚`` ring above, ``∘`` ring operator) -> ``°``; a
   superscript ``o`` after a number in mathtext (``30^o``) -> ``°``; ``30 deg``/``30 degrees`` ->
   ``30°``. OCR misreadings, only with ``ocr=True`` (used on both sides of an OCR comparison so an
   option like ``H2O`` still matches itself): ``o``/``O`` after digits and before a non-alphanumeric
   -> ``°`` (``30o``), between digits -> ``0`` (``50,0o0``); ``Q`` after a number -> ``Ω``
   (``4 Q``, ``2 kQ``); a lone ``x`` glued to digits is a times sign (``x2000`` -> ``x 2000``).
3. Unicode NFKC: ``℃`` -> ``°C``, ``Ω`` (ohm sign) -> ``Ω``, ``µ`` (micro sign) -> ``μ``, sub- and
   superscript digits -> digits, full-width forms -> ASCII. Superscripts keep a ``^`` in front
   (``10⁶`` -> ``10^6``) so exponents survive for number parsing; the matcher then drops every ``^``
   (OCR cannot see superscripts), so ``10^6``, ``10⁶`` and an OCR'd ``106`` compare equal.
4. Minus and dash variants (``−``, ``–``, ``—``, ``‐``, ``‑``, ``‒``, ``﹣``, ``－``) -> ``-``;
   multiplication signs (``×``, ``✕``, ``⨯``) -> ``x`` (OCR reads them as x); middle dots (``·``,
   ``⋅``, ``∙``) -> ``.``, except a dot between a number and ``10^n`` which becomes ``x``.
5. ``μ`` -> ``u`` (OCR reads μ as u; ``μC``/``µC``/``uC`` compare equal). Curly quotes -> straight.
   ``ohm``/``ohms`` after a number (``5 kohm``) -> ``Ω``.
6. Whitespace runs -> one space, trimmed.

Matching rules (:func:`find_option`):

* Case-insensitive. Spaces are optional wherever the option has one, and between characters of
  different kinds (``5.0 kg`` matches ``5.0kg``, ``k = 1`` matches ``k=1``, ``2 lone pairs``
  matches OCR's ``2lonepairs``), except between two digits (``3 4`` never matches ``34``); no
  space may split a word or number the option writes solid.
* Token boundaries: an option starting (ending) with a letter or digit must not be preceded
  (followed) by a letter or digit; one starting with a digit must also not follow ``.``, ``,``,
  ``-`` or ``+`` (so ``2 cm`` is not found in ``12 cm``, ``0.6`` not in ``-0.6`` or ``10.6``), and
  one ending with a digit must not be followed by ``.5``/``,5`` (``0.2`` is not in ``0.25``).
* OCR glues neighbouring words (``ofalbinism``, ``frictionlesstable``): with ``ocr=True`` an
  option of at least ``GLUE_MIN_CHARS`` (5) characters may touch letters at an edge that is a
  letter, and may run into letters after a final digit (``50,000kJ``); never into digits.
  Shorter options (symbols such as ``m``, ``Vo``, numbers such as ``2 cm``) keep strict boundaries.
* A one-letter option (a symbol such as ``m``) directly after a number is a unit (``5 m``), not
  the symbol, and does not count.
* With ``ocr=True``, an occurrence starting inside a figure caption (``Fig. 7.1``, ``习题7-31图``)
  does not count: only an option naming the caption itself (``Fig. 7.1``) matches there.
* Longest wins: an occurrence lying inside an occurrence of a longer option is not counted
  (options ``A`` and ``A(2, 1)`` on a figure showing ``A(2, 1)`` find only the latter).
* Exactly one option found -> answer. Several found -> the ones also found with exact case
  decide when that leaves exactly one (``m`` vs ``M``); otherwise abstain.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# --- mathtext / LaTeX -> plain text -------------------------------------------------------------

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "π",
    "rho": "ρ",
    "varrho": "ρ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
_SYMBOLS = {
    "circ": "°",
    "degree": "°",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "approx": "≈",
    "sim": "~",
    "simeq": "≃",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "longrightarrow": "→",
    "rightleftharpoons": "⇌",
    "leftrightarrow": "↔",
    "uparrow": "↑",
    "downarrow": "↓",
    "AA": "Å",
    "ell": "l",
    "hbar": "ħ",
    "partial": "∂",
    "nabla": "∇",
    "int": "∫",
    "sum": "Σ",
    "prod": "Π",
    "prime": "'",
    "perp": "⊥",
    "parallel": "∥",
    "angle": "∠",
    "triangle": "△",
    "propto": "∝",
    "cdots": "...",
    "ldots": "...",
    "dots": "...",
    "%": "%",
    "$": "$",
    "{": "{",
    "}": "}",
    "_": "_",
    "#": "#",
    "&": "&",
}
_SPACING = {",", ";", ":", "!", " ", "quad", "qquad", "enspace", "thinspace"}
_DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "displaystyle", "textstyle", "limits"}
_STYLE = r"mathrm|mathbf|mathit|mathsf|mathtt|mathcal|mathbb|text|textrm|textbf|textit|operatorname|rm|bf|it|boldsymbol|vec|hat|bar|overline|underline|dot|ddot|tilde"

_BRACED = r"\{([^{}]*)\}"
_FRAC = re.compile(r"\\[dt]?frac\s*" + _BRACED + r"\s*" + _BRACED)
_SQRT = re.compile(r"\\sqrt\s*(?:\[[^\]]*\])?\s*" + _BRACED)
_STYLED = re.compile(r"\\(?:" + _STYLE + r")\s*" + _BRACED)
_SUPER = re.compile(r"\^\s*" + _BRACED)
_SUB = re.compile(r"_\s*" + _BRACED)
_COMMAND = re.compile(r"\\(?:([A-Za-z]+)(\s*)|([^A-Za-z]))")


def plain_text(text: str) -> str:
    """Mathtext / LaTeX markup -> the plain string a reader sees (``$30^\\circ$`` -> ``30°``)."""
    if "\\" not in text and "$" not in text and "^" not in text and "_" not in text and "{" not in text:
        return text
    out = text.replace(r"\(", " ").replace(r"\)", " ").replace(r"\[", " ").replace(r"\]", " ")
    out = out.replace("$", "\x00")  # a math shift ends a command name too; removed below
    # Innermost braces first, so nested groups resolve from the inside out.
    for _ in range(8):
        before = out
        out = _FRAC.sub(lambda m: f"{_wrap(m.group(1))}/{_wrap(m.group(2))}", out)
        out = _SQRT.sub(lambda m: f"√{_wrap(m.group(1))}", out)
        out = _STYLED.sub(lambda m: m.group(1), out)
        out = _SUPER.sub(lambda m: "^" + m.group(1), out)
        out = _SUB.sub(lambda m: m.group(1), out)
        if out == before:
            break
    out = _COMMAND.sub(_command, out).replace("\x00", "")
    out = re.sub(r"\^\s*°", "°", out)
    out = re.sub(r"(?<=\d)\s*\^\s*o(?![A-Za-z])", "°", out)  # 30^o: a degree written with a letter o
    out = re.sub(r"_(?=\w)", "", out)
    return out.replace("{", "").replace("}", "")


def _wrap(part: str) -> str:
    part = part.strip()
    return part if re.fullmatch(r"[\w.]+", part) else f"({part})"


def _command(match: re.Match[str]) -> str:
    # As in TeX, a space after a letter command only ends its name ("\\mu C" is "μC").
    name = match.group(1) or match.group(3)
    space = match.group(2) or ""
    if name in _GREEK:
        return _GREEK[name]
    if name in _SYMBOLS:
        return _SYMBOLS[name]
    if name in _SPACING:
        return " "
    if name in _DROP:
        return ""
    return name + space  # \sin x -> sin x: unknown commands keep their name


# --- normalisation ------------------------------------------------------------------------------

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾"
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
_PRE_NFKC = str.maketrans({"º": "°", "˚": "°", "∘": "°"})
_POST_NFKC = str.maketrans(
    {
        "−": "-",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "﹣": "-",
        "―": "-",
        "×": "x",
        "✕": "x",
        "⨯": "x",
        "✖": "x",
        "μ": "u",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "″": '"',
    }
)
_DOT_TIMES_TEN = re.compile(r"(?<=\d)\s*[·⋅∙•]\s*(?=10\s*\^)")
_MIDDLE_DOTS = re.compile(r"[·⋅∙•]")
_DEGREE_WORD = re.compile(r"(?<=\d)\s*(?:degrees?|deg)(?![A-Za-z])", re.IGNORECASE)
_OHM_WORD = re.compile(r"(?<=\d)(\s*)([kKMm]?)\s*ohms?(?![A-Za-z])", re.IGNORECASE)
_OCR_DEGREE = re.compile(r"(?<=\d)[oO](?![^\W_])")
_OCR_ZERO = re.compile(r"(?<=\d)[oO](?=\d)")
_OCR_OHM = re.compile(r"(?<=\d)(\s?[kKM]?)Q(?![^\W_])")
_TIMES_X = re.compile(r"(?<![^\W_])x(?=\d)")
_SPACES = re.compile(r"\s+")


def normalise(text: str, *, mathtext: bool = False, ocr: bool = False) -> str:
    """The canonical form both sides of a comparison are brought to (module docstring, rules 1-6).

    ``mathtext``: the text may hold Matplotlib mathtext / LaTeX (figure facts, problem texts).
    ``ocr``: apply the OCR-only reading of a letter ``o`` after digits as a degree sign; use it on
    both sides of an OCR comparison so an option like ``H2O`` still matches itself.
    Keeps ``^`` before exponents (see :func:`matchable` for the form the matcher compares).
    """
    out = plain_text(text) if mathtext else text
    out = out.translate(_PRE_NFKC)
    out = _SUPERSCRIPT_RUN.sub(lambda m: "^" + unicodedata.normalize("NFKC", m.group(0)), out)
    out = unicodedata.normalize("NFKC", out).translate(_POST_NFKC)
    out = _DOT_TIMES_TEN.sub(" x ", out)
    out = _MIDDLE_DOTS.sub(".", out)
    out = _DEGREE_WORD.sub("°", out)
    out = _OHM_WORD.sub(lambda m: f"{m.group(1)}{m.group(2)}Ω", out)
    if ocr:
        out = _OCR_ZERO.sub("0", out)
        out = _OCR_DEGREE.sub("°", out)
        out = _OCR_OHM.sub(lambda m: m.group(1) + "Ω", out)
        out = _TIMES_X.sub("x ", out)
    out = re.sub(r"\^\s*°", "°", out)
    out = re.sub(r"°(?:\s*°)+", "°", out)  # OCR reads ℃ as "°℃" -> "°°C"
    return _SPACES.sub(" ", out).strip()


def matchable(text: str, *, mathtext: bool = False, ocr: bool = False) -> str:
    """:func:`normalise` without exponent carets: the form option texts and figure texts are matched in."""
    return _SPACES.sub(" ", normalise(text, mathtext=mathtext, ocr=ocr).replace("^", "")).strip()


# --- option matching ----------------------------------------------------------------------------


def _is_word(char: str) -> bool:
    return char.isalnum()


GLUE_MIN_CHARS = 5
"""Options at least this long (non-space characters) may touch letters at a letter edge (with ``ocr``)."""


def option_pattern(
    option: str, *, case_sensitive: bool = False, glue_allowed: bool = False
) -> re.Pattern[str] | None:
    """The regex finding a normalised option in a normalised text, with the boundary rules above.

    ``option`` must already be :func:`matchable`. Returns None for an option with nothing to find.
    """
    chars: list[tuple[str, bool]] = []  # (char, space before it in the option)
    space = False
    for char in option:
        if char.isspace():
            space = True
            continue
        chars.append((char, space and bool(chars)))
        space = False
    if not chars:
        return None
    parts: list[str] = []
    for index, (char, spaced) in enumerate(chars):
        if index:
            prev = chars[index - 1][0]
            if prev.isdigit() and char.isdigit():
                parts.append(r"\s+" if spaced else "")  # "3 4" is never "34"
            elif prev.isalpha() and char.isalpha() and not spaced:
                parts.append("")  # no space inside a word
            else:
                parts.append(r"\s*")  # OCR drops spaces between words and around punctuation
        parts.append(re.escape(char))
    first, last = chars[0][0], chars[-1][0]
    # OCR glues neighbouring words ("ofalbinism", "frictionlesstable"): a long option's letter edge
    # may touch other letters; short ones (symbols, "m", "Vo") keep strict boundaries.
    glued = glue_allowed and len(chars) >= GLUE_MIN_CHARS
    before = ""
    if first.isdigit():
        before = r"(?<![^\W_])(?<![.,+\-])"
    elif first.isalpha():
        before = r"(?<![\d_])" if glued else r"(?<![^\W_])"
    elif _is_word(first):
        before = r"(?<![^\W_])"
    after = ""
    if last.isdigit():
        # A long number may run into its unit ("50,000kJ"), never into more digits.
        after = r"(?![\d_])(?![.,]\d)" if glued else r"(?![^\W_])(?![.,]\d)"
    elif last.isalpha():
        after = r"(?![\d_])" if glued else r"(?![^\W_])"
    elif _is_word(last):
        after = r"(?![^\W_])"
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(before + "".join(parts) + after, flags)


_NUMBER_BEFORE = re.compile(r"\d\s*$")


def option_spans(
    option: str,
    text: str,
    *,
    case_sensitive: bool = False,
    glue_allowed: bool = False,
    starts: Sequence[int] = (),
) -> list[tuple[int, int]]:
    """Where a matchable option occurs in a matchable text (boundary and unit rules applied).

    ``starts``: where each separate text begins when ``text`` joins several (sorted); the unit rule
    then looks back only within the text holding the occurrence."""
    pattern = option_pattern(option, case_sensitive=case_sensitive, glue_allowed=glue_allowed)
    if pattern is None:
        return []
    symbol = len(option) == 1 and option.isalpha()
    spans = []
    for match in pattern.finditer(text):
        begin = starts[bisect_right(starts, match.start()) - 1] if starts else 0
        if symbol and _NUMBER_BEFORE.search(text[begin : match.start()]):
            continue  # "5 m": a unit after a number, not the symbol m
        spans.append(match.span())
    return spans


_CJK = "\u3400-\u9fff\uf900-\ufaff"
CAPTION = re.compile(
    r"\bFig(?:ure)?s?\s*\.?\s*\d+(?:\s*[.\-]\s*\d+)*"  # Fig. 2.7   Figure 3
    rf"|[{_CJK}]+\d+(?:[.\-]\d+)*[{_CJK}]*",  # 习题7-31图   力图3.7.1   题7图
    re.IGNORECASE,
)
"""Figure captions in OCR text: a number inside one is matched only by an option naming the caption."""


def _inside_caption(span: tuple[int, int], captions: list[tuple[int, int]]) -> bool:
    return any(start < span[0] < end for start, end in captions)


@dataclass(frozen=True)
class OptionMatch:
    """Which options of a quiz were found in a text, and the decision taken."""

    found: tuple[str, ...]
    """Keys of the options found (after the longest-wins rule), in option order."""
    chosen: str | None
    """The answer: the single option found (or the single exact-case one among several)."""
    spans: Mapping[str, tuple[tuple[int, int], ...]]
    """Counted occurrences per found key, as (start, end) in the matchable text."""
    reason: str
    """one, exact_case, none or several."""


def find_option(options: Mapping[str, str], text: str, *, ocr: bool = True) -> OptionMatch:
    """Decide which single option (if any) of a quiz occurs in ``text`` (rules in the module doc).

    ``text`` is raw (OCR output, or figure strings joined by spaces); both it and the option texts
    are normalised here with the same flags (option texts also from LaTeX to plain text).
    """
    haystack = matchable(text, ocr=ocr)
    needles = option_needles(options, ocr=ocr)
    counted = locate_options(needles, haystack, ocr=ocr, skip_captions=ocr)
    found = tuple(key for key in options if key in counted)
    spans_out = {key: tuple(counted[key]) for key in found}
    if len(found) == 1:
        return OptionMatch(found, found[0], spans_out, "one")
    if not found:
        return OptionMatch(found, None, spans_out, "none")
    exact = exact_case_keys(needles, haystack, counted, ocr=ocr)
    if len(exact) == 1:
        return OptionMatch(found, exact[0], spans_out, "exact_case")
    return OptionMatch(found, None, spans_out, "several")


def option_needles(options: Mapping[str, str], *, ocr: bool) -> dict[str, str]:
    """Each option in matchable form (options may be written in LaTeX, ``$v_0$``; figures show it
    rendered)."""
    return {key: matchable(value, mathtext=True, ocr=ocr) for key, value in options.items()}


def locate_options(
    needles: Mapping[str, str],
    haystack: str,
    *,
    ocr: bool,
    skip_captions: bool,
    starts: Sequence[int] = (),
) -> dict[str, list[tuple[int, int]]]:
    """Counted occurrences of each matchable option in a matchable text: boundary rules, caption
    rule (``skip_captions``) and longest-wins applied. Options not found are left out. ``starts``:
    as for :func:`option_spans`."""
    captions = [m.span() for m in CAPTION.finditer(haystack)] if skip_captions else []
    spans = {
        key: [
            s
            for s in option_spans(needle, haystack, glue_allowed=ocr, starts=starts)
            if not _inside_caption(s, captions)
        ]
        for key, needle in needles.items()
    }
    counted: dict[str, list[tuple[int, int]]] = {}
    for key, key_spans in spans.items():
        longer = [
            span
            for other, other_spans in spans.items()
            if other != key and len(needles[other]) > len(needles[key])
            for span in other_spans
        ]
        kept = [s for s in key_spans if not any(o[0] <= s[0] and s[1] <= o[1] for o in longer)]
        if kept:
            counted[key] = kept
    return counted


def exact_case_keys(
    needles: Mapping[str, str], haystack: str, counted: Mapping[str, list[tuple[int, int]]], *, ocr: bool
) -> list[str]:
    """The found options that also occur with their exact case (``m`` vs ``M``)."""
    return [
        key
        for key in counted
        if any(
            span in counted[key]
            for span in option_spans(needles[key], haystack, case_sensitive=True, glue_allowed=ocr)
        )
    ]


# --- numbers with units -------------------------------------------------------------------------

_PREFIXES = "pnuμcmdkMGT"
_BASE_UNITS = (
    # Longest first so the alternation prefers "mol" over "m", "Pa" over "P".
    "mmHg",
    "rpm",
    "mol",
    "atm",
    "bar",
    "cal",
    "min",
    "rad",
    "eV",
    "Hz",
    "Pa",
    "Wb",
    "AU",
    "ly",
    "pc",
    "yr",
    "hr",
    "dB",
    "Da",
    "m",
    "g",
    "s",
    "A",
    "K",
    "N",
    "J",
    "W",
    "V",
    "Ω",
    "T",
    "C",
    "F",
    "H",
    "L",
    "M",
    "h",
    "S",
    "t",
    "u",
)
_UNIT_ATOM = (
    r"(?:°[CF]|°|%|‰|"
    + r"(?:["
    + _PREFIXES
    + r"]?(?:"
    + "|".join(re.escape(u) for u in _BASE_UNITS)
    + r")))"
    + r"(?:\^?-?\d)?"
)
# '/' may have spaces around it; '.' (a product, from a middle dot) may not: "6 cm. The" is no cm·T.
_UNIT = _UNIT_ATOM + r"(?:(?:\s*/\s*|\.)" + _UNIT_ATOM + r")*"
_QUANTITY = re.compile(
    r"(?<![\w.^])(?P<mantissa>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)"
    r"(?:[eE](?P<e_exp>[-+]?\d+)|\s*[x*]\s*10\s*\^\s*\(?(?P<x_exp>[-+]?\d+)\)?)?"
    # A unit must end the token: "H2O" gives no unit H, "5 mass" no unit m.
    r"(?:\s*(?P<unit>" + _UNIT + r")(?![^\W_]))?"
)
_POWER_OF_TEN = re.compile(
    r"(?<![\w.^])10\s*\^\s*\(?(?P<exp>[-+]?\d+)\)?(?:\s*(?P<unit>" + _UNIT + r")(?![^\W_]))?"
)


@dataclass(frozen=True)
class Quantity:
    """A number (with its unit, when one follows) read from a text."""

    text: str
    """The span as found, normalised."""
    value: float
    decimals: int
    """Digits after the decimal point, as written (``6.0`` -> 1)."""
    exponent: int
    """Power of ten of scientific notation (``1.7E+5`` -> 5), else 0."""
    unit: str
    """Canonical unit (spaces and carets removed), '' when none."""

    @property
    def step(self) -> float:
        """The precision as written: ``6.24`` -> 0.01, ``1.7E+5`` -> 1E+4."""
        return 10.0 ** (self.exponent - self.decimals)


def _canonical_unit(unit: str | None) -> str:
    return re.sub(r"\s+", "", unit or "").replace("^", "")


def extract_quantities(text: str, *, mathtext: bool = True) -> list[Quantity]:
    """Every number in ``text``, with the unit written right after it (units from a fixed list:
    SI units with prefixes, °, °C, %, eV, AU, ly, ...; ``3 apples`` gives 3 without a unit).

    Numbers glued to letters (``R1``, ``H2O``, ``3d``) are identifiers, not quantities; so is a
    one-digit integer glued to a one-letter unit (``1s``, ``2s^2`` orbitals, ``2m`` for twice m).
    Scientific forms: ``1.7E+5``, ``1.7 × 10^5``, ``10^5``; thousands as ``25,000``.
    """
    norm = normalise(text, mathtext=mathtext)
    found: list[tuple[int, Quantity]] = []
    taken: list[tuple[int, int]] = []
    for match in _QUANTITY.finditer(norm):
        end = match.end()
        if not match.group("unit") and end < len(norm) and norm[end].isalpha():
            continue  # "3d", "2H": a number glued to letters that are no unit
        if not match.group("unit") and norm[end:].lstrip().startswith("^"):
            continue  # the base of a power ("10^5" is read below, "2^10" is no quantity)
        unit = match.group("unit")
        glued = unit and match.group(0) == match.group("mantissa") + unit
        if (
            glued
            and re.fullmatch(r"[A-Za-z](?:\^?-?\d)?", unit)
            and re.fullmatch(r"[-+]?\d", match.group("mantissa"))
        ):
            continue  # "1s", "2p", "3m": a one-digit integer glued to one letter names a thing
        mantissa = match.group("mantissa").replace(",", "")
        exponent = int(match.group("e_exp") or match.group("x_exp") or 0)
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        try:
            value = float(mantissa) * 10.0**exponent
        except OverflowError:
            continue
        if not math.isfinite(value):
            continue
        quantity = Quantity(
            match.group(0).strip(), value, decimals, exponent, _canonical_unit(match.group("unit"))
        )
        found.append((match.start(), quantity))
        taken.append(match.span())
    for match in _POWER_OF_TEN.finditer(norm):
        if any(start <= match.start() < end for start, end in taken):
            continue  # the 10^n of "5.97 x 10^24"
        exponent = int(match.group("exp"))
        quantity = Quantity(
            match.group(0).strip(), 10.0**exponent, 0, exponent, _canonical_unit(match.group("unit"))
        )
        found.append((match.start(), quantity))
    return [quantity for _, quantity in sorted(found, key=lambda item: item[0])]


def same_value(a: Quantity, b: Quantity) -> bool:
    """Equal numbers as written: exactly equal, or the finer one rounds to the coarser one when the
    coarser has decimals or an exponent (``6.24`` ~ ``6.2``, ``6`` ~ ``6.0``, but ``8`` !~ ``8.4``)."""
    if math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-12):
        return True
    coarse = a if a.step >= b.step else b
    if coarse.decimals == 0 and coarse.exponent == 0:
        return False  # an integer as written means that integer
    return abs(a.value - b.value) <= 0.5 * coarse.step * (1 + 1e-9)


def unit_in_texts(unit: str, texts: Iterable[str]) -> bool:
    """Whether a unit is written somewhere as its own token (``(cm)``, ``x / cm``, ``30°``)."""
    if not unit:
        return False
    pattern = re.compile(r"(?<![A-Za-z])" + re.escape(unit) + r"(?![A-Za-z])")
    return any(pattern.search(_canonical_unit_text(text)) for text in texts)


def _canonical_unit_text(text: str) -> str:
    return re.sub(r"\s*([/.^])\s*", r"\1", normalise(text, mathtext=True)).replace("^", "")


_UNIT_AHEAD = re.compile(r"\s*(?:" + _UNIT + r")(?![^\W_])")
_BARE_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")


def is_bare_number(text: str) -> bool:
    """Whether a matchable text is one number and nothing else (``9.8``, ``-3``, ``2,700``)."""
    return _BARE_NUMBER.fullmatch(text.strip()) is not None


def unit_after(text: str, end: int) -> str | None:
    """The unit token (``cm``, ``m/s``, ``°C``, ``%``) starting at ``end`` of a matchable text, if any."""
    match = _UNIT_AHEAD.match(text, end)
    return match.group(0).strip() if match else None


def quantity_spans(text: str) -> list[tuple[int, int]]:
    """Where a text writes a number together with its unit (``12 cm``, ``4.0 uC``, ``106 N/C``)."""
    return [match.span() for match in _QUANTITY.finditer(text) if match.group("unit")]
