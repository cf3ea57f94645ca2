"""Contamination check: does an exported item's text appear in an evaluation split?

Two tests, both on texts brought to ``core.generation.imported.normalise_text`` form (NFKC,
``{eq}`` markers dropped, case-folded, whitespace collapsed, no spaces around punctuation):

1. **exact**: the item's original question or its prompt equals a split question (or a split
   item's multimodal question) after normalisation.
2. **n-gram**: word ``NGRAM``-grams (``NGRAM`` = 8; words = ``\\w+`` runs of the normalised text) of
   the item and of each split text; the item is contaminated when, for some split text,
   ``|shared| / min(|item grams|, |split grams|) >= CONTAINMENT`` (0.5): half of the shorter text's
   8-grams occur in the other (containment, so a paraphrase padded with extra sentences is still
   caught). Texts shorter than 8 words have no 8-grams and only take part in the exact test.

What happens to contaminated items is the caller's choice (``core.export.training``: excluded by
default, or kept and flagged). The split is read by :func:`load_eval_split` from a file (JSON list,
JSONL, Parquet with a ``question``/``original_question`` column, or text with one question per line)
or, when the argument is no file, from the stored problems of that source (``scigen``, ``seephys``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.generation.imported import normalise_text

if TYPE_CHECKING:
    from core.store import Store

NGRAM = 8
CONTAINMENT = 0.5
QUESTION_FIELDS: tuple[str, ...] = ("question", "original_question", "multimodal_question")

__all__ = [
    "CONTAINMENT",
    "NGRAM",
    "ContaminationReport",
    "EvalSplit",
    "EvalSplitError",
    "check_contamination",
    "load_eval_split",
    "word_ngrams",
]

_WORD = re.compile(r"\w+")


class EvalSplitError(ValueError):
    """The evaluation split cannot be read; the message names the file (and line or column)."""


@dataclass(frozen=True)
class EvalSplit:
    """Texts of an evaluation split: ``items`` are (item id, text) pairs, several texts per item allowed."""

    name: str
    items: tuple[tuple[str, str], ...]

    @property
    def n_items(self) -> int:
        return len({item_id for item_id, _ in self.items})


@dataclass
class ContaminationReport:
    """Which records matched the split, and how."""

    split: str
    n_split_items: int
    exact: dict[str, str] = field(default_factory=dict)
    """record key -> id of the split item whose question it equals."""
    ngram: dict[str, tuple[str, float]] = field(default_factory=dict)
    """record key -> (split item id, containment) for n-gram matches (not also exact)."""

    @property
    def contaminated(self) -> set[str]:
        return set(self.exact) | set(self.ngram)

    def summary(self) -> dict[str, object]:
        return {
            "split": self.split, "split_items": self.n_split_items, "exact": len(self.exact),
            "ngram": len(self.ngram), "contaminated": len(self.contaminated), "ngram_n": NGRAM,
            "containment_threshold": CONTAINMENT,
        }


def word_ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    words = _WORD.findall(normalise_text(text))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def check_contamination(
    records: Iterable[tuple[str, Sequence[str]]], split: EvalSplit, *, n: int = NGRAM,
    threshold: float = CONTAINMENT,
) -> ContaminationReport:
    """Test each ``(key, texts)`` record against ``split`` (rules in the module docstring)."""
    exact_index: dict[str, str] = {}
    grams_of: dict[int, set[tuple[str, ...]]] = {}
    owner: dict[int, str] = {}
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for position, (item_id, text) in enumerate(split.items):
        key = normalise_text(text)
        if key:
            exact_index.setdefault(key, item_id)
        grams = word_ngrams(text, n)
        if grams:
            grams_of[position], owner[position] = grams, item_id
            for gram in grams:
                postings[gram].append(position)
    report = ContaminationReport(split=split.name, n_split_items=split.n_items)
    for key, texts in records:
        hit = next((exact_index[k] for k in map(normalise_text, texts) if k and k in exact_index), None)
        if hit is not None:
            report.exact[key] = hit
            continue
        best: tuple[str, float] | None = None
        for text in texts:
            grams = word_ngrams(text, n)
            if not grams:
                continue
            shared: dict[int, int] = defaultdict(int)
            for gram in grams:
                for position in postings.get(gram, ()):
                    shared[position] += 1
            for position, count in shared.items():
                score = count / min(len(grams), len(grams_of[position]))
                if score >= threshold and (best is None or score > best[1]):
                    best = (owner[position], round(score, 4))
        if best is not None:
            report.ngram[key] = best
    return report


# ---- reading a split -----------------------------------------------------------------------------


def _texts_of(record: object, where: str) -> list[str]:
    if isinstance(record, str):
        return [record]
    if not isinstance(record, dict):
        raise EvalSplitError(f"{where}: expected an object with a 'question' field, got {type(record).__name__}")
    texts = [record[f] for f in QUESTION_FIELDS if isinstance(record.get(f), str) and record[f].strip()]
    if not texts:
        raise EvalSplitError(f"{where}: no question field ({', '.join(QUESTION_FIELDS)})")
    return texts


def _item_id(record: object, fallback: str) -> str:
    if isinstance(record, dict) and record.get("id") is not None:
        source = record.get("source")
        return f"{source}:{record['id']}" if source else str(record["id"])
    return fallback


def _read_file(path: Path) -> list[tuple[str, str]]:
    suffix = path.suffix.lower()
    items: list[tuple[str, str]] = []
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        columns = [c for c in QUESTION_FIELDS if c in table.column_names]
        if not columns:
            raise EvalSplitError(f"{path}: no column {' or '.join(QUESTION_FIELDS)} (columns: {table.column_names})")
        ids = table.column("id").to_pylist() if "id" in table.column_names else None
        for column in columns:
            for row, text in enumerate(table.column(column).to_pylist()):
                if isinstance(text, str) and text.strip():
                    items.append((str(ids[row]) if ids else f"row {row}", text))
        return items
    text = path.read_text(encoding="utf-8")
    if suffix == ".jsonl":
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalSplitError(f"{path}, line {line_no}: not JSON ({exc.msg})") from None
            items += [(_item_id(record, f"line {line_no}"), t) for t in _texts_of(record, f"{path}, line {line_no}")]
        return items
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvalSplitError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), None)
        if not isinstance(data, list):
            raise EvalSplitError(f"{path}: expected a JSON list of items")
        for index, record in enumerate(data):
            items += [(_item_id(record, f"item {index}"), t) for t in _texts_of(record, f"{path}, item {index}")]
        return items
    return [(f"line {n}", line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def load_eval_split(spec: str, store: Store | None = None) -> EvalSplit:
    """The split named by ``spec``: a file path, else a stored problem source (see module docstring)."""
    path = Path(spec).expanduser()
    if path.is_file():
        items = _read_file(path)
        if not items:
            raise EvalSplitError(f"{path}: no questions found")
        return EvalSplit(name=str(path), items=tuple(items))
    if store is not None:
        from core.problems.models import SOURCES

        if spec in SOURCES:
            problems = store.get_problems(source=spec)
            if problems:
                items = [(p.uid, p.question) for p in problems]
                items += [(p.uid, p.multimodal_question) for p in problems if p.multimodal_question]
                return EvalSplit(name=f"stored source {spec!r}", items=tuple(items))
            raise EvalSplitError(f"evaluation split {spec!r}: the store holds no problems of source {spec!r}")
    raise EvalSplitError(
        f"evaluation split {spec!r}: no such file, and not a stored problem source (scigen, seephys, custom)"
    )
