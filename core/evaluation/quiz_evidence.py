"""Which quiz option, if any, a figure's texts prove: the decision rules of the ``ocr`` answerer.

The texts come from one of two sources:

* ``facts`` - the strings a code-made figure drew (:class:`core.sandbox.models.FigureFacts`), exact,
  each with its role (tick label, title, annotation ...). No OCR is run for such figures.
* ``ocr`` - the lines RapidOCR read from pixels, each with a confidence and a box.

Options are found with the matching rules of :mod:`core.evaluation.text_match` (normalisation,
token boundaries, longest wins; a number inside a figure caption such as ``Fig. 4.13`` is matched
only by an option naming the caption, for both sources). An answer is given only when the evidence
is unambiguous; otherwise the decision names the rule that made it abstain:

``none`` / ``several``
    no option found / more than one found. With drawn texts, several options differing only in
    case are decided by the one written with exact case (``m`` vs ``M``); OCR's case is not trusted.
``axis_tick``
    a bare-number option found only in an axis tick label (drawn tick labels; for OCR, a line that
    is only a number and lines up with at least two other such lines): an axis scale, not a label.
``unit_mismatch``
    a bare-number option (``9.8``) found only where the figure writes that number with a unit
    (``9.8 cm``) that the quiz question does not name: the figure labels another quantity than
    the unitless one asked about.
``weak_reading`` (OCR)
    the only occurrences are in lines read with confidence below ``SUPPORT_SCORE``: such lines may
    veto an answer (they count as found) but never support one.
``lone_glyph`` (OCR)
    the option is a single character (``m``, ``R``, ``θ``). OCR misses lone glyphs and confuses
    their case and shape (``l``/``I``/``1``, ``x``/``X``), so not finding the other one-character
    options proves nothing.
``nested`` (OCR)
    another option is part of the chosen one (``m`` in ``2m``; for symbols of up to
    ``SYMBOL_MAX_CHARS`` characters also a prefix, ``V`` of ``Vo``), case-folded: OCR may have
    joined a coefficient, subscript or stray mark to the shorter label, or missed that label alone.
``fragment`` (OCR)
    part of another option is written outside the chosen option's occurrence: a line that is only
    a piece of it (``cm`` of ``1 cm`` whose number was not read, ``m`` of ``m1`` whose subscript
    was lost, ``P`` of ``P1``), or a word or symbol of a short option that the chosen one lacks
    (``t`` of ``Time t`` in ``t/s``). Either hints at another option OCR read only in part. Not
    fragments: caption numbers, numbers written with their unit (``12 cm`` is a value fully read),
    axis ticks, function words (``the``, ``of``), digits inside an identifier (``H2O``), and any
    part of a caption option (``Fig. 9.8`` is found whole or not at all).
``lookalike`` (OCR)
    a line read with low confidence (below ``SUPPORT_SCORE``, down to ``LOOKALIKE_MIN_SCORE``) is
    as long as an option not found and of its kind (letters, digits): it may be that option
    misread (rotated or blurred text).
``shared_evidence``
    two quizzes of one problem would be answered from the same occurrence in the figure. Quizzes
    of a problem ask about different facts, so one label cannot prove both: both abstain.

The OCR rules were written after reading the wrong answers of the previous rule on the SeePhys
development half (``bench/ocr_bench.py``); each is stated for a kind of evidence, never for an
item, and each has a crafted test (``tests/core/evaluation/test_ocr.py``). The held-out half of
SeePhys is the fair measure of their precision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.evaluation.text_match import (
    CAPTION,
    exact_case_keys,
    is_bare_number,
    locate_options,
    matchable,
    option_needles,
    quantity_spans,
    unit_after,
    unit_in_texts,
)
from core.sandbox.models import FigureFacts

SUPPORT_SCORE = 0.8
"""OCR confidence a line needs to support an answer (lower lines only count against answers)."""
LOOKALIKE_MIN_SCORE = 0.3
"""Lines below this confidence are noise, not even a possibly misread option."""
LOOKALIKE_MIN_CHARS = 3
"""A low-confidence line must have at least this many characters to pass for a misread option."""
TICK_ROLES = frozenset({"tick_label", "offset_text"})
SYMBOL_MAX_CHARS = 3
"""Options this short (``V0``, ``m'``) are symbols: a prefix of one may be another symbol."""
SHORT_OPTION_TOKENS = 3
"""Options of at most this many tokens (symbols, ``Time t``, ``2 cm``) have every token checked
for fragments; longer ones (sentences) only through whole-line fragments."""

Source = Literal["ocr", "facts"]
Span = tuple[int, int]


@dataclass(frozen=True)
class SeenText:
    """One text seen in a figure: an OCR line or a string the figure drew."""

    text: str
    confidence: float = 1.0
    """OCR confidence, 0..1; 1.0 for drawn texts."""
    role: str = "text"
    """Role of a drawn text (``tick_label``, ``title``, ...); ``ocr`` for OCR lines."""
    box: tuple[float, float, float, float] | None = None
    """Pixel box (x0, y0, x1, y1), when known."""


@dataclass(frozen=True)
class FigureTexts:
    """The texts of one figure, each in matchable form, joined by single spaces (offsets kept)."""

    source: Source
    texts: tuple[SeenText, ...]
    """Texts options are matched in (for OCR: lines at or above the reading's ``min_score``)."""
    matchable_texts: tuple[str, ...]
    haystack: str
    offsets: tuple[Span, ...]
    """Where each text lies in ``haystack``."""
    unsure: tuple[SeenText, ...] = ()
    """OCR lines read with confidence in [LOOKALIKE_MIN_SCORE, SUPPORT_SCORE) (lookalike rule)."""
    ticks: frozenset[int] = field(default_factory=frozenset)
    """Indices of texts that are axis tick labels."""

    @classmethod
    def build(cls, source: Source, texts: Sequence[SeenText], unsure: Sequence[SeenText] = ()) -> FigureTexts:
        ocr = source == "ocr"
        normalised, offsets, position = [], [], 0
        for seen in texts:
            text = matchable(seen.text, mathtext=not ocr, ocr=ocr)
            normalised.append(text)
            offsets.append((position, position + len(text)))
            position += len(text) + 1
        ticks = (
            frozenset(i for i, seen in enumerate(texts) if seen.role in TICK_ROLES)
            if not ocr
            else _aligned_number_lines(texts, normalised)
        )
        return cls(
            source=source,
            texts=tuple(texts),
            matchable_texts=tuple(normalised),
            haystack=" ".join(normalised),
            offsets=tuple(offsets),
            unsure=tuple(unsure),
            ticks=ticks,
        )

    @classmethod
    def from_facts(cls, facts: FigureFacts) -> FigureTexts:
        return cls.build("facts", [SeenText(box.text, 1.0, box.role) for box in facts.texts])

    @classmethod
    def from_ocr(
        cls, lines: Sequence[tuple[str, float, tuple[float, float, float, float]]], min_score: float
    ) -> FigureTexts:
        """From OCR lines (text, confidence, box) in reading order."""
        seen = [SeenText(text, score, "ocr", box) for text, score, box in lines]
        kept = [s for s in seen if s.confidence >= min_score]
        unsure = [s for s in seen if LOOKALIKE_MIN_SCORE <= s.confidence < SUPPORT_SCORE]
        return cls.build("ocr", kept, unsure)

    def texts_at(self, span: Span) -> list[int]:
        """Indices of the texts a haystack span touches."""
        return [i for i, (start, end) in enumerate(self.offsets) if start < span[1] and span[0] < end]

    def describe(self, limit: int) -> str:
        if self.source == "ocr":
            word, text = "OCR read", " ".join(seen.text for seen in self.texts)
        else:  # drawn strings may be mathtext: show them as rendered
            word, text = "drawn texts", self.haystack
        return f'{word} "{text if len(text) <= limit else text[: limit - 1] + "…"}"'


def _aligned_number_lines(texts: Sequence[SeenText], normalised: Sequence[str]) -> frozenset[int]:
    """OCR lines that are only a number and share a row or a column with two more such lines: the
    scale of an axis."""
    numbers = [i for i, text in enumerate(normalised) if is_bare_number(text) and texts[i].box]
    ticks = set()
    for i in numbers:
        x0, y0, x1, y1 = texts[i].box  # type: ignore[misc]
        height, width = y1 - y0, x1 - x0
        same_row = same_column = 0
        for j in numbers:
            if j == i:
                continue
            u0, v0, u1, v1 = texts[j].box  # type: ignore[misc]
            if abs((v0 + v1) / 2 - (y0 + y1) / 2) < height / 2:
                same_row += 1
            if abs(u1 - x1) < max(width, height) / 2 or abs((u0 + u1) / 2 - (x0 + x1) / 2) < width / 2:
                same_column += 1
        if same_row >= 2 or same_column >= 2:
            ticks.add(i)
    return frozenset(ticks)


@dataclass(frozen=True)
class Decision:
    """The answer to one quiz from a figure's texts, or the reason for abstaining."""

    chosen: str | None
    reason: str
    """one, exact_case, or the abstention rule (module doc)."""
    found: tuple[str, ...] = ()
    """Keys of the options found, in option order."""
    span: Span | None = None
    """The occurrence in the haystack that supports the answer."""
    detail: str = ""
    """What triggered an abstention (the fragment, the look-alike line ...)."""


_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_WORD = re.compile(r"\d+(?:[.,]\d+)*(?![^\W_])|[^\W_]+")
# Words that say nothing about which option is meant; never counted as a fragment.
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at by for from with and or is are as its it be not no".split()
)


def _tokens(text: str) -> list[str]:
    """Numbers and letter runs, case-folded; a letter run and its digits are separate (``m1``)."""
    return _TOKEN.findall(text.casefold())


def _words(text: str) -> list[str]:
    """Words and numbers, case-folded; letters and digits written together stay one (``h2o``)."""
    return _WORD.findall(text.casefold())


def _pieces(needle: str, split=_tokens) -> set[tuple[str, ...]]:
    """Proper contiguous token runs of an option (``1 cm`` -> ``1``, ``cm``; ``m1`` -> ``m``, ``1``)."""
    tokens = split(needle)
    return {
        tuple(tokens[start:end])
        for start in range(len(tokens))
        for end in range(start + 1, len(tokens) + 1)
        if end - start < len(tokens)
    }


def _fragment(
    key: str, needles: Mapping[str, str], figure: FigureTexts, chosen_spans: Sequence[Span]
) -> str | None:
    """A piece of another option written outside the chosen option's occurrences, if any."""
    chosen_words = set(_words(needles[key]))
    # Not partial readings: captions (they name the figure), numbers written with their unit (a
    # value fully read, ``12 cm``) and axis ticks (a scale).
    blanked = [*chosen_spans, *(m.span() for m in CAPTION.finditer(figure.haystack))]
    outside = []  # (text index, the text with the chosen occurrences and the above blanked out)
    for index, (start, end) in enumerate(figure.offsets):
        if index in figure.ticks:
            continue
        text = list(figure.matchable_texts[index])
        local = [(s - start, e - start) for s, e in blanked if s < end and start < e]
        for s, e in [*local, *quantity_spans(figure.matchable_texts[index])]:
            for position in range(max(s, 0), min(e, len(text))):
                text[position] = " "
        outside.append((index, "".join(text)))
    for other, needle in needles.items():
        if other == key or not needle or CAPTION.fullmatch(needle):
            continue  # a caption option is found whole or not at all (its number is no fragment)
        pieces, word_pieces = _pieces(needle), _pieces(needle, _words)
        short = len(_words(needle)) <= SHORT_OPTION_TOKENS
        for index, text in outside:
            line_tokens = tuple(_tokens(text))
            if not line_tokens:
                continue
            whole_line = line_tokens == tuple(_tokens(figure.matchable_texts[index]))
            if whole_line and line_tokens in pieces:
                return f'"{figure.texts[index].text}" may be part of {other}="{needle}"'
            if not short:
                continue
            for word in _words(text):
                if word in chosen_words or word in _FUNCTION_WORDS or (word,) not in word_pieces:
                    continue
                return f'"{word}" in "{figure.texts[index].text}" may be part of {other}="{needle}"'
    return None


def _kind(text: str) -> tuple[bool, bool]:
    return any(c.isalpha() for c in text), any(c.isdigit() for c in text)


def _lookalike(needles: Mapping[str, str], found: Sequence[str], figure: FigureTexts) -> str | None:
    """A low-confidence line that could be an option not found, misread."""
    for other, needle in needles.items():
        if other in found:
            continue
        compact = needle.replace(" ", "")
        if len(compact) < LOOKALIKE_MIN_CHARS:
            continue
        for seen in figure.unsure:
            line = matchable(seen.text, ocr=True).replace(" ", "")
            if abs(len(line) - len(compact)) <= 1 and _kind(line) == _kind(compact):
                return f'"{seen.text}" (confidence {seen.confidence:.2f}) may be {other}="{needle}" misread'
    return None


def _span_problem(needle: str, span: Span, figure: FigureTexts, question: str) -> str | None:
    """Why one occurrence cannot support an answer, or None when it can."""
    touched = figure.texts_at(span)
    if figure.source == "ocr" and any(figure.texts[i].confidence < SUPPORT_SCORE for i in touched):
        return "weak_reading"
    if is_bare_number(needle):
        if any(i in figure.ticks for i in touched):
            return "axis_tick"
        last = touched[-1]
        start, _ = figure.offsets[last]
        text = figure.matchable_texts[last]
        unit = unit_after(text, span[1] - start)
        # A unit the question names ("energy fixed (kJ/m²/yr)?") is the quantity asked about.
        if unit and not unit_in_texts(unit, [question]):
            return "unit_mismatch"
    return None


def _nested(key: str, needles: Mapping[str, str]) -> str | None:
    """Another option that is part of the chosen one (``m`` of ``2m``; for symbols also a prefix:
    ``V`` of ``Vo``), case-folded."""
    chosen = needles[key]
    pieces = _pieces(chosen)
    compact = chosen.replace(" ", "").casefold()
    for other, needle in needles.items():
        if other == key or not needle:
            continue
        other_compact = needle.replace(" ", "").casefold()
        symbol = len(compact) <= SYMBOL_MAX_CHARS and compact.startswith(other_compact)
        if symbol or tuple(_tokens(needle)) in pieces:
            return f'{other}="{needle}" is part of "{chosen}"'
    return None


def decide(
    options: Mapping[str, str], figure: FigureTexts, question: str = ""
) -> tuple[Decision, tuple[Span, ...]]:
    """The decision for one quiz (``question``: its wording, which may name a unit), and every
    occurrence of the chosen option (for the shared-evidence rule across a problem's quizzes)."""
    ocr = figure.source == "ocr"
    needles = option_needles(options, ocr=ocr)
    counted = locate_options(
        needles, figure.haystack, ocr=ocr, skip_captions=True, starts=[start for start, _ in figure.offsets]
    )
    found = tuple(key for key in options if key in counted)
    if not found:
        return Decision(None, "none"), ()
    key, reason = found[0], "one"
    if len(found) > 1:
        exact = [] if ocr else exact_case_keys(needles, figure.haystack, counted, ocr=ocr)
        if len(exact) != 1:
            return Decision(None, "several", found), ()
        key, reason = exact[0], "exact_case"
    spans = tuple(counted[key])
    problems = [_span_problem(needles[key], span, figure, question) for span in spans]
    usable = [span for span, problem in zip(spans, problems, strict=True) if problem is None]
    if not usable:
        return Decision(None, next(p for p in problems if p), found), ()
    if ocr:
        if len(needles[key].replace(" ", "")) == 1:
            return Decision(None, "lone_glyph", found), ()
        nested = _nested(key, needles)
        if nested:
            return Decision(None, "nested", found, detail=nested), ()
        fragment = _fragment(key, needles, figure, spans)
        if fragment:
            return Decision(None, "fragment", found, detail=fragment), ()
        lookalike = _lookalike(needles, found, figure)
        if lookalike:
            return Decision(None, "lookalike", found, detail=lookalike), ()
    return Decision(key, reason, found, span=usable[0]), spans


def decide_quizzes(quizzes: Sequence[tuple[str, Mapping[str, str]]], figure: FigureTexts) -> list[Decision]:
    """Decisions for every quiz (question, options) of one problem, the shared-evidence rule applied
    across them."""
    results = [decide(options, figure, question) for question, options in quizzes]
    decisions = [decision for decision, _ in results]
    for i, (first, first_spans) in enumerate(results):
        for j in range(i + 1, len(results)):
            second, second_spans = results[j]
            if first.chosen is None or second.chosen is None:
                continue
            if any(a[0] < b[1] and b[0] < a[1] for a in first_spans for b in second_spans):
                for index, other in ((i, j), (j, i)):
                    decisions[index] = Decision(
                        None,
                        "shared_evidence",
                        decisions[index].found,
                        detail=f"the same text also answers quiz {other}",
                    )
    return decisions
