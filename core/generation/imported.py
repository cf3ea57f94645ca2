"""Figures made elsewhere, brought in as a generation run (``scigen import-images``).

Inputs (``discover_input``):

- a folder of images named ``{problem_id}.png`` (``.jpg``, ``.jpeg``, ``.webp`` are converted to
  PNG). The file stem is matched against each candidate problem's ``id``, then its uid with
  ``:`` replaced by ``_`` (``scigen_12.png`` for ``scigen:12``), also in their ``safe_name``
  forms; an exact match wins over a case-insensitive one. A stem naming several problems (the same
  id in two sources) is ambiguous: pass ``--source``.
- a Parquet file, or a folder of Parquet shards (a Hugging Face dataset export such as the
  paper's public per-model outputs, ``<model>/scigen-00000-of-00001.parquet``), with the columns
  ``image``, ``original_question`` (``question`` is accepted when it is absent) and, optionally,
  ``answer`` and ``image_type``. ``image`` is either raw binary or the Hugging Face image struct
  ``{bytes: binary, path: string}``. Shards are read in batches, never all images at once.

Matching rule for Parquet rows (``normalise_text`` + ``ProblemIndex.match_question``):

1. The row's question and every candidate problem's question are normalised: Unicode NFKC;
   WebInstruct ``{eq}``/``{/eq}`` markers removed (their content kept); case-folded; runs of
   whitespace collapsed to one space; whitespace next to punctuation removed (``"x = 5 ,"`` and
   ``"x=5,"`` agree); ends stripped.
2. Exactly one candidate with that normalised question -> matched.
3. Several -> narrowed, in order, by: the source named by the shard's file name (a Hugging Face
   split such as ``seephys-00000-of-00001.parquet``), the row's ``image_type`` (case-insensitive),
   the row's ``answer`` (normalised like questions). A criterion the row lacks, or one that no
   candidate meets, is skipped. One candidate left -> matched; else the row is ambiguous.
4. None -> unmatched.

Candidates are the stored problems of the sources the caller selects (``--source``), else all.

Nothing is dropped silently: unmatched and ambiguous rows, images Pillow cannot read, a second
row for an already imported problem (the first one wins) and files in an image folder that are
not images are returned as ``ImportIssue`` records (file, row, question excerpt, reason).

This module reads and matches only; storing is injected (``import_outputs(..., save=...)``), so
the generation room stays free of the store: the CLI passes ``core.jobs.save_results``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageOps
from pydantic import BaseModel, Field

from core.generation.base import AttemptRecord, FigureResult
from core.problems.models import SOURCES, Problem
from core.workspace import safe_name

IMPORTED_GENERATOR = "imported"
"""The spec name of runs made by ``scigen import-images``."""
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".webp")
PARQUET_SUFFIX = ".parquet"
QUESTION_COLUMNS: tuple[str, ...] = ("original_question", "question")
OPTIONAL_COLUMNS: tuple[str, ...] = ("answer", "image_type")
DEFAULT_BATCH_SIZE = 32
EXCERPT_WIDTH = 80

InputKind = Literal["images", "parquet"]
IssueKind = Literal["unmatched", "ambiguous", "bad_image", "duplicate", "ignored"]
ISSUE_KINDS: tuple[str, ...] = ("unmatched", "ambiguous", "bad_image", "duplicate", "ignored")

# Pillow modes PNG stores as they are; anything else (CMYK, YCbCr, LAB, ...) becomes RGB(A).
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})


class ImportInputError(ValueError):
    """The input as a whole cannot be read (missing, no usable files, a shard without the columns
    needed); the message names the file and, where it applies, the column. Nothing is stored."""


class ImageDecodeError(ValueError):
    """Bytes that Pillow cannot read as an image."""


# --------------------------------------------------------------------------------------------
# normalisation


_EQ_MARKUP = re.compile(r"\{/?eq\}", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_SPACE_AROUND_PUNCT = re.compile(r" ?([^\w\s]) ?")


def normalise_text(text: str | None) -> str:
    """The matching key of a question (or answer); see rule 1 of the module docstring."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _EQ_MARKUP.sub(" ", text)
    text = _WHITESPACE.sub(" ", text.casefold()).strip()
    return _SPACE_AROUND_PUNCT.sub(r"\1", text)


def excerpt(text: str | None, width: int = EXCERPT_WIDTH) -> str:
    """The text on one line, cut to ``width`` characters."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _clean_optional(value: Any) -> str | None:
    """A usable string, or None for missing / empty / NaN values."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


# --------------------------------------------------------------------------------------------
# matching


@dataclass(frozen=True)
class ProblemKey:
    """What matching needs to know about one stored problem."""

    uid: str
    id: str
    source: str
    question: str
    image_type: str | None = None
    answer: str | None = None


@dataclass(frozen=True)
class Match:
    """The outcome of matching one input item: a uid, or why there is none."""

    status: Literal["matched", "unmatched", "ambiguous"]
    uid: str | None = None
    candidates: tuple[str, ...] = ()
    rule: str = ""
    """How the match was decided, e.g. ``question`` or ``question + image_type``."""


class ProblemIndex:
    """Stored problems keyed for matching: by normalised question and by file-name forms of id/uid."""

    def __init__(self, problems: Iterable[ProblemKey]) -> None:
        self.problems: dict[str, ProblemKey] = {}
        self._by_question: dict[str, list[str]] = {}
        self._by_name: dict[str, list[str]] = {}
        self._by_folded_name: dict[str, list[str]] = {}
        for problem in problems:
            if problem.uid in self.problems:
                continue
            self.problems[problem.uid] = problem
            self._by_question.setdefault(normalise_text(problem.question), []).append(problem.uid)
            names = {
                problem.id,
                safe_name(problem.id),
                problem.uid.replace(":", "_"),
                safe_name(problem.uid),
            }
            for name in names:
                self._by_name.setdefault(name, []).append(problem.uid)
                folded = self._by_folded_name.setdefault(name.casefold(), [])
                if problem.uid not in folded:
                    folded.append(problem.uid)

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ProblemIndex:
        return cls(ProblemKey(p.uid, p.id, p.source, p.question, p.image_type, p.answer) for p in problems)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> ProblemIndex:
        """From rows with uid, id, source, question, image_type, answer (``Store.list_problems``)."""
        return cls(
            ProblemKey(
                uid=str(row["uid"]),
                id=str(row["id"]),
                source=str(row["source"]),
                question=str(row["question"]),
                image_type=_clean_optional(row.get("image_type")),
                answer=_clean_optional(row.get("answer")),
            )
            for row in records
        )

    def __len__(self) -> int:
        return len(self.problems)

    def match_name(self, stem: str) -> Match:
        """An image file's stem against ids and ``source_id`` uids (exact, then case-insensitive)."""
        for table, key, rule in (
            (self._by_name, stem, "file name"),
            (self._by_folded_name, stem.casefold(), "file name (case-insensitive)"),
        ):
            uids = tuple(dict.fromkeys(table.get(key, ())))
            if len(uids) == 1:
                return Match("matched", uids[0], uids, rule)
            if uids:
                return Match("ambiguous", None, uids, rule)
        return Match("unmatched")

    def match_question(
        self,
        question: str | None,
        *,
        image_type: str | None = None,
        answer: str | None = None,
        source_hint: str | None = None,
    ) -> Match:
        """A row's question against stored questions; ties broken as in rule 3 of the module docstring."""
        uids = self._by_question.get(normalise_text(question), []) if question else []
        if not uids:
            return Match("unmatched")
        if len(uids) == 1:
            return Match("matched", uids[0], tuple(uids), "question")
        remaining = [self.problems[uid] for uid in uids]
        used: list[str] = []
        wanted_type = (image_type or "").strip().casefold()
        wanted_answer = normalise_text(answer)
        criteria: list[tuple[str, Callable[[ProblemKey], bool]]] = []
        if source_hint:
            criteria.append(("source", lambda p: p.source == source_hint))
        if wanted_type:
            criteria.append(("image_type", lambda p: (p.image_type or "").casefold() == wanted_type))
        if wanted_answer:
            criteria.append(("answer", lambda p: normalise_text(p.answer) == wanted_answer))
        for name, keep in criteria:
            kept = [p for p in remaining if keep(p)]
            if not kept or len(kept) == len(remaining):
                continue  # says nothing about these candidates
            remaining = kept
            used.append(name)
            if len(remaining) == 1:
                return Match("matched", remaining[0].uid, tuple(uids), " + ".join(["question", *used]))
        return Match("ambiguous", None, tuple(p.uid for p in remaining), " + ".join(["question", *used]))


# --------------------------------------------------------------------------------------------
# images


def to_png(data: bytes) -> bytes:
    """PNG bytes of any image Pillow reads; a valid PNG is kept byte for byte.

    Other formats are decoded (first frame), turned upright by their EXIF orientation, converted
    to a mode PNG stores and re-encoded. Raises ImageDecodeError with Pillow's reason.
    """
    if not data:
        raise ImageDecodeError("empty image (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure and checksums, without decoding pixels
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # the pixels: catches truncated data verify() lets through
            if image.format == "PNG":
                return bytes(data)
            upright = ImageOps.exif_transpose(image) or image
            if upright.mode not in _PNG_MODES:
                has_alpha = "A" in upright.getbands() or "transparency" in upright.info
                upright = upright.convert("RGBA" if has_alpha else "RGB")
            out = io.BytesIO()
            upright.save(out, format="PNG")
            return out.getvalue()
    except ImageDecodeError:
        raise
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, DecompressionBombError ...)
        reason = str(exc) or type(exc).__name__
        raise ImageDecodeError(f"not an image Pillow can read ({reason})") from None


# --------------------------------------------------------------------------------------------
# reading the input


@dataclass(frozen=True)
class InputItem:
    """One image-bearing item of the input: a Parquet row or an image file."""

    origin: str
    """The file it comes from, relative to the input folder (the file name for a single file)."""
    index: int
    """0-based position in the whole input, in reading order."""
    row: int | None = None
    """0-based row within its Parquet file; None for an image file."""
    question: str | None = None
    answer: str | None = None
    image_type: str | None = None
    image: bytes | None = None
    image_problem: str | None = None
    """Why there are no image bytes to read (empty cell, unreadable file), when so."""

    @property
    def where(self) -> str:
        return self.origin if self.row is None else f"{self.origin} row {self.row}"


@dataclass(frozen=True)
class ParquetShard:
    path: Path
    question_column: str
    optional_columns: tuple[str, ...]
    rows: int
    source_hint: str | None


@dataclass(frozen=True)
class InputPlan:
    """What ``discover_input`` found: the kind of input, its files, and files it will not read."""

    path: Path
    kind: InputKind
    files: tuple[Path, ...]
    shards: tuple[ParquetShard, ...] = ()
    ignored: tuple[Path, ...] = ()

    def origin(self, file: Path) -> str:
        return file.name if self.path.is_file() else str(file.relative_to(self.path))

    @property
    def rows(self) -> int:
        return sum(shard.rows for shard in self.shards) if self.kind == "parquet" else len(self.files)


def _source_hint(path: Path) -> str | None:
    """A Hugging Face split named after a source (``seephys-00000-of-00001.parquet``)."""
    head = re.split(r"[-_.]", path.name.lower(), maxsplit=1)[0]
    return head if head in SOURCES else None


def _inspect_shard(path: Path) -> ParquetShard:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow: ArrowInvalid, OSError ...
        raise ImportInputError(f"{path}: not a readable Parquet file ({exc})") from None
    schema = parquet.schema_arrow
    names = set(schema.names)
    if "image" not in names:
        raise ImportInputError(
            f"{path}: column 'image' is missing (columns: {', '.join(schema.names) or 'none'})"
        )
    image_type = schema.field("image").type
    if not (_is_binary(image_type) or _is_image_struct(image_type)):
        raise ImportInputError(
            f"{path}: column 'image' has type {image_type}; expected binary or struct<bytes: binary, path: string>"
        )
    question_column = next((name for name in QUESTION_COLUMNS if name in names), None)
    if question_column is None:
        raise ImportInputError(
            f"{path}: column 'original_question' is missing (columns: {', '.join(schema.names)})"
        )
    return ParquetShard(
        path=path,
        question_column=question_column,
        optional_columns=tuple(name for name in OPTIONAL_COLUMNS if name in names),
        rows=parquet.metadata.num_rows,
        source_hint=_source_hint(path),
    )


def _is_binary(arrow_type: pa.DataType) -> bool:
    return pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type)


def _is_image_struct(arrow_type: pa.DataType) -> bool:
    if not pa.types.is_struct(arrow_type):
        return False
    index = arrow_type.get_field_index("bytes")
    return index >= 0 and _is_binary(arrow_type.field(index).type)


def discover_input(path: str | Path) -> InputPlan:
    """Decide how to read ``path`` and check it can be read (Parquet schemas included).

    A Parquet file, a folder holding ``*.parquet`` shards (read in name order), or a folder of
    images. Raises ImportInputError naming the file (and column) when it cannot be read.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ImportInputError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() != PARQUET_SUFFIX:
            raise ImportInputError(
                f"{path}: expected a Parquet file, a folder of Parquet shards or a folder of images "
                f"({', '.join(IMAGE_SUFFIXES)})"
            )
        return InputPlan(path, "parquet", (path,), (_inspect_shard(path),))
    entries = sorted(path.iterdir(), key=lambda p: p.name)
    shards = [p for p in entries if p.is_file() and p.suffix.lower() == PARQUET_SUFFIX]
    if shards:
        ignored = tuple(p for p in entries if p not in shards and not p.name.startswith("."))
        return InputPlan(path, "parquet", tuple(shards), tuple(_inspect_shard(p) for p in shards), ignored)
    images = [p for p in entries if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if images:
        ignored = tuple(p for p in entries if p not in images and not p.name.startswith("."))
        return InputPlan(path, "images", tuple(images), (), ignored)
    nested = sorted(p.name for p in entries if p.is_dir() and any(p.glob(f"*{PARQUET_SUFFIX}")))
    hint = f"; its subfolders {', '.join(nested)} hold Parquet shards: import one of them" if nested else ""
    raise ImportInputError(
        f"{path}: no Parquet files and no images ({', '.join(IMAGE_SUFFIXES)}) in this folder{hint}"
    )


def iter_items(plan: InputPlan, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[InputItem]:
    """Every item of the input in order; Parquet shards are read ``batch_size`` rows at a time."""
    if plan.kind == "images":
        for index, file in enumerate(plan.files):
            try:
                data, problem = file.read_bytes(), None
            except OSError as exc:
                data, problem = None, f"cannot be read ({exc.strerror or exc})"
            yield InputItem(plan.origin(file), index, image=data, image_problem=problem)
        return
    index = 0
    for shard in plan.shards:
        columns = ["image", shard.question_column, *shard.optional_columns]
        parquet = pq.ParquetFile(shard.path)
        row = 0
        try:
            for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
                for record in batch.to_pylist():
                    image, problem = _image_bytes(record.get("image"))
                    yield InputItem(
                        origin=plan.origin(shard.path),
                        index=index,
                        row=row,
                        question=record.get(shard.question_column),
                        answer=_clean_optional(record.get("answer")),
                        image_type=_clean_optional(record.get("image_type")),
                        image=image,
                        image_problem=problem,
                    )
                    index += 1
                    row += 1
        except (OSError, pa.ArrowException) as exc:
            raise ImportInputError(f"{shard.path}: cannot read rows from row {row} on ({exc})") from None


def _image_bytes(cell: Any) -> tuple[bytes | None, str | None]:
    """The bytes of an ``image`` cell (raw binary or the Hugging Face struct), or why there are none."""
    if cell is None:
        return None, "the image cell is empty"
    if isinstance(cell, bytes | bytearray | memoryview):
        return bytes(cell), None
    data = cell.get("bytes")
    if data:
        return bytes(data), None
    where = cell.get("path")
    return (
        None,
        f"the image cell has no bytes (only the path {where!r})" if where else "the image cell is empty",
    )


# --------------------------------------------------------------------------------------------
# the import


class ImportIssue(BaseModel):
    """An input item that was not stored (or a file that was not read), and why."""

    kind: IssueKind = Field(
        description="unmatched, ambiguous, bad_image (Pillow cannot read it), duplicate (a problem "
        "already imported from an earlier item; the first one wins) or ignored (not an input file)."
    )
    origin: str = Field(description="The file, relative to the input folder.")
    row: int | None = Field(default=None, description="0-based row in the Parquet file; None for a file.")
    index: int | None = Field(default=None, description="0-based position in the whole input.")
    question: str = Field(default="", description="An excerpt of the row's question ('' for image files).")
    detail: str = Field(description="One sentence: what was found.")
    candidates: list[str] = Field(
        default_factory=list, description="Problem uids involved (ambiguous, duplicate)."
    )

    def to_text(self) -> str:
        where = self.origin if self.row is None else f"{self.origin} row {self.row}"
        text = f"{where}: {self.kind}: {self.detail}"
        return text + (f" — question: {self.question!r}" if self.question else "")


class ImportSummary(BaseModel):
    """What one import read, stored and reported."""

    path: str = Field(description="The input, as an absolute path.")
    input_kind: InputKind = Field(description="images (a folder of images) or parquet.")
    files: int = Field(description="Files read (images or Parquet shards).")
    items: int = Field(default=0, description="Items read: Parquet rows or image files.")
    stored: int = Field(default=0, description="Figures handed to storage (matched, image readable).")
    issues: list[ImportIssue] = Field(
        default_factory=list, description="Every item not stored, in input order."
    )
    stored_uids: list[str] = Field(default_factory=list, description="Problem uids stored, in input order.")

    def counts(self) -> dict[str, int]:
        """Issues by kind (every kind present, zeros included)."""
        found = Counter(issue.kind for issue in self.issues)
        return {kind: found.get(kind, 0) for kind in ISSUE_KINDS}

    def to_text(self) -> str:
        counts = self.counts()
        lines = [issue.to_text() for issue in self.issues]
        lines.append(
            f"{self.path}: read {self.items} {'rows' if self.input_kind == 'parquet' else 'images'} "
            f"from {self.files} file(s): stored {self.stored}, "
            + ", ".join(f"{counts[kind]} {kind.replace('_', ' ')}" for kind in ISSUE_KINDS)
        )
        return "\n".join(lines)


@dataclass
class _Importer:
    plan: InputPlan
    index: ProblemIndex
    scope: str
    seen: dict[str, str] = field(default_factory=dict)

    def figure_or_issue(self, item: InputItem, source_hint: str | None) -> FigureResult | ImportIssue:
        question = excerpt(item.question) if self.plan.kind == "parquet" else ""

        def issue(kind: IssueKind, detail: str, candidates: Sequence[str] = ()) -> ImportIssue:
            return ImportIssue(
                kind=kind,
                origin=item.origin,
                row=item.row,
                index=item.index,
                question=question,
                detail=detail,
                candidates=list(candidates),
            )

        if self.plan.kind == "images":
            stem = Path(item.origin).stem
            match = self.index.match_name(stem)
            unmatched = f"no stored problem{self.scope} has the id or uid {stem!r}"
            ambiguous = f"{stem!r} names {len(match.candidates)} problems{self.scope}: pass --source"
        else:
            match = self.index.match_question(
                item.question, image_type=item.image_type, answer=item.answer, source_hint=source_hint
            )
            unmatched = (
                f"no stored problem{self.scope} has this question"
                if (item.question or "").strip()
                else "the question is empty"
            )
            ambiguous = (
                f"{len(match.candidates)} stored problems{self.scope} share this question and "
                "its image_type and answer do not tell them apart"
            )
        if match.status == "unmatched":
            return issue("unmatched", unmatched)
        if match.status == "ambiguous" or match.uid is None:
            return issue("ambiguous", ambiguous + f": {', '.join(match.candidates)}", match.candidates)
        uid = match.uid
        if uid in self.seen:
            return issue(
                "duplicate", f"{uid} was already imported from {self.seen[uid]}; kept that one", [uid]
            )
        if item.image is None:
            return issue("bad_image", f"{item.where}: {item.image_problem or 'no image'}", [uid])
        try:
            png = to_png(item.image)
        except ImageDecodeError as exc:
            return issue("bad_image", f"{item.where}: {exc}", [uid])
        self.seen[uid] = item.where
        note = f"imported from {self.plan.path.resolve()}: {item.where} (matched by {match.rule})"
        return FigureResult(
            problem_uid=uid,
            status="ok",
            image=png,
            attempts=[AttemptRecord(index=0, purpose="initial", status="ok")],
            notes=[note],
        )


def import_outputs(
    plan: InputPlan,
    index: ProblemIndex,
    save: Callable[[list[FigureResult]], Any],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    scope: Sequence[str] = (),
    on_batch: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Match every item of ``plan`` to a problem of ``index`` and hand readable, matched figures to
    ``save`` ``batch_size`` at a time (so at most one batch of images is held in memory).

    ``scope`` names the sources the index was limited to (for messages). ``on_batch(done, total)``
    reports progress in items. Items not stored come back as issues in the summary; nothing raises
    for a single bad item. ImportInputError only when a shard cannot be read at all.
    """
    scope_text = f" in source {', '.join(scope)}" if scope else ""
    importer = _Importer(plan, index, scope_text)
    summary = ImportSummary(
        path=str(plan.path.resolve()),
        input_kind=plan.kind,
        files=len(plan.files),
        issues=[
            ImportIssue(kind="ignored", origin=plan.origin(p), detail="not an input file; skipped")
            for p in plan.ignored
        ],
    )
    hints = {plan.origin(shard.path): shard.source_hint for shard in plan.shards}
    pending: list[FigureResult] = []
    total = plan.rows

    def flush() -> None:
        if pending:
            save(list(pending))
            summary.stored += len(pending)
            summary.stored_uids.extend(result.problem_uid for result in pending)
            pending.clear()
        if on_batch is not None:
            on_batch(summary.items, total)

    for item in iter_items(plan, batch_size=batch_size):
        summary.items += 1
        outcome = importer.figure_or_issue(item, hints.get(item.origin))
        if isinstance(outcome, ImportIssue):
            summary.issues.append(outcome)
        else:
            pending.append(outcome)
        if summary.items % batch_size == 0:  # so pending never holds more than one batch
            flush()
    flush()
    return summary
