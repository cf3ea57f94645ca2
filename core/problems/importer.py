"""Read SciGenBench files (JSON array or JSONL) into Problem records, with an import report.

``parse_file(path)`` has no side effects: it returns ``ImportResult(problems, report)`` or raises
``ImportFileError``; storing is the caller's job (``scigen import`` upserts one file's problems in
one transaction, so a broken file stores nothing).

Source: ``--source`` when given, else the file name: contains ``seephys`` -> seephys, else
``scigen`` -> scigen, else custom. SeePhys integer ids become strings, the subject is Physics, the
empty image type becomes None and ``reference_image`` is the absolute path of the sibling
``seephys_images/{id}.png`` when that file exists. Other items take their subject from their
image type (a custom item without one may give ``subject``).

Broken file -> ``ImportFileError`` (every error: file, item index or JSONL line, id, field):
unreadable file, invalid JSON, a top level that is not an array (JSONL: a line that is not an
object), an item that is not an object, a missing/empty ``id`` or ``question``, an image type
outside the taxonomy (required for scigen items), fields of the wrong type (``elements`` not a
list of strings, ``quizzes`` not a list, ...), a duplicate id, a ``reference_script`` that does
not exist.

Malformed quiz rule (never crash, never drop silently; each case is a report entry):

1. Stray fields (anything but question, options, correct_option, evidence_snippet, e.g.
   ``group``, ``role``, ``key``, ``items``) are dropped -> normalised.
2. Option keys must be the first n letters (A-D for four options). Keys that are not are repaired,
   in this order, only while each repair is unambiguous (no two keys may claim one letter):
   a. cleaned: punctuation/space stripped and upper-cased it is a missing letter (``"|C"``,
      ``"&D"``, ``"b"``, ``"(A)"``);
   b. swapped: the key is the option text and the value is exactly a missing letter
      (``{"4186.8 g": "D"}`` -> ``D: "4186.8 g"``);
   c. by position: the letter of the key's position in the published order is missing
      (``{"A", "0", "C", "D"}`` -> ``"0"`` becomes B; all-digit keys ``"0".."3"`` or ``"1".."4"``
      in order become A-D). Renaming a key never moves a text to another key's text, so the
      correct answer keeps its text.
   Keys still not repairable -> quiz dropped (``unmappable_option_keys``). Options given as a
   list become A, B, ... in order; numeric option texts become strings (normalised). Other than
   four options (e.g. A-E) is kept and noted. Fewer than two options, or a non-text option ->
   dropped.
3. ``correct_option``: a published key follows its key's repair; else a letter written loosely
   (``"b"``, ``"(B)"``, ``"Option B"``) or an option's exact text (else its unique
   case-insensitive text) gives the key -> normalised. If the letter reading and the text reading
   name different keys, or the correct text is shared by another option, or nothing matches ->
   dropped (``ambiguous_correct_option`` / ``correct_option_unknown``).
4. A quiz without a question text, or not an object -> dropped. Missing evidence_snippet -> ""
   (noted).

Item-level notes: unknown item fields are ignored (noted); a SeePhys item whose figure file is
missing, or a ``reference_image`` path that does not exist, gets none (noted).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from core.problems.models import SOURCES, Problem, Quiz
from core.problems.report import Action, ImportReport, ReportEntry
from core.problems.taxonomy import SUBJECTS, Subject, is_image_type, subject_of

QUIZ_FIELDS = ("question", "options", "correct_option", "evidence_snippet")
ITEM_FIELDS = (
    "id",
    "question",
    "image_type",
    "subject",
    "answer",
    "elements",
    "quizzes",
    "multimodal_question",
    "reference_image",
    "reference_script",
    "reference_code",
)
SEEPHYS_IMAGES_DIR = "seephys_images"
IMPORT_SUFFIXES = (".json", ".jsonl", ".ndjson")
_MAX_ERRORS = 50  # per file; enough to fix a file in one go without flooding the terminal


# --------------------------------------------------------------------------------------------
# errors and results


@dataclass(frozen=True)
class FieldError:
    """One reason a file cannot be imported, located as precisely as the input allows."""

    file: str
    message: str
    item_index: int | None = None
    item_id: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.item_index is not None:
            where.append(f"item {self.item_index}" + (f" (id {self.item_id!r})" if self.item_id else ""))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field!r}")
        return ": ".join([", ".join(where), self.message])


class ImportFileError(ValueError):
    """A file that cannot be imported at all; ``errors`` names file, item and field of each cause."""

    def __init__(self, file: str | Path, errors: list[FieldError]):
        self.file = str(file)
        self.errors = errors
        first = str(errors[0]) if errors else f"{file}: cannot be imported"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    @property
    def item_index(self) -> int | None:
        return self.errors[0].item_index if self.errors else None

    @property
    def item_id(self) -> str | None:
        return self.errors[0].item_id if self.errors else None

    @property
    def field(self) -> str | None:
        return self.errors[0].field if self.errors else None


@dataclass(frozen=True)
class ImportResult:
    """Everything one file yields: the problems to store and the report of what was repaired."""

    problems: list[Problem]
    report: ImportReport

    @property
    def file(self) -> str:
        return self.report.file


@dataclass(frozen=True)
class QuizFinding:
    """A finding about one quiz; ``field`` is relative to the quiz (``options``)."""

    field: str
    action: Action
    reason: str
    detail: str


@dataclass(frozen=True)
class QuizOutcome:
    """The quiz after the malformed-quiz rule (None when dropped) and what was found."""

    quiz: Quiz | None
    findings: list[QuizFinding] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# files


def infer_source(path: str | Path) -> str:
    """``seephys`` / ``scigen`` from the file name, else ``custom``."""
    name = Path(path).name.lower()
    if "seephys" in name:
        return "seephys"
    if "scigen" in name:
        return "scigen"
    return "custom"


def find_import_files(path: str | Path) -> list[Path]:
    """The file itself, or a folder's ``*.json``/``*.jsonl``/``*.ndjson`` files sorted by name."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMPORT_SUFFIXES)
    return [path]


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(path, [FieldError(str(path), "no such file")]) from None
    except IsADirectoryError:
        raise ImportFileError(path, [FieldError(str(path), "is a folder, not a file")]) from None
    except OSError as exc:
        raise ImportFileError(
            path, [FieldError(str(path), f"cannot be read: {exc.strerror or exc}")]
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            path, [FieldError(str(path), f"is not UTF-8 text (byte {exc.start})")]
        ) from None


def detect_format(path: str | Path, text: str) -> Literal["json", "jsonl"]:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    return "jsonl" if text.lstrip().startswith("{") else "json"


def read_records(path: str | Path) -> tuple[Literal["json", "jsonl"], list[tuple[int, int | None, Any]]]:
    """``(format, [(item_index, jsonl_line_or_None, raw_item), ...])``; raises ImportFileError."""
    path = Path(path)
    text = _read_text(path)
    fmt = detect_format(path, text)
    file = str(path)
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                path, [FieldError(file, f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})")]
            ) from None
        if not isinstance(data, list):
            raise ImportFileError(
                path,
                [
                    FieldError(
                        file, f"top level is a JSON {_json_type(data)}; expected an array of problem objects"
                    )
                ],
            )
        return fmt, [(i, None, item) for i, item in enumerate(data)]
    records: list[tuple[int, int | None, Any]] = []
    errors: list[FieldError] = []
    for line_no, raw_line in enumerate(text.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            records.append((len(records), line_no, json.loads(raw_line)))
        except json.JSONDecodeError as exc:
            errors.append(
                FieldError(
                    file,
                    f"invalid JSON: {exc.msg} (column {exc.colno})",
                    item_index=len(records),
                    line=line_no,
                )
            )
            records.append((len(records), line_no, _UNREADABLE))
    if errors:
        raise ImportFileError(path, errors[:_MAX_ERRORS])
    return fmt, records


_UNREADABLE = object()


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


def parse_file(path: str | Path, source: str | None = None) -> ImportResult:
    """Parse one file completely; raises ImportFileError naming every broken item and field."""
    path = Path(path)
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    chosen = source or infer_source(path)
    fmt, records = read_records(path)
    parser = _ItemParser(file=str(path), source=chosen, base_dir=path.resolve().parent)
    problems: list[Problem] = []
    for index, line, raw in records:
        problem = parser.parse(index, line, raw)
        if problem is not None:
            problems.append(problem)
        if len(parser.errors) >= _MAX_ERRORS:
            break
    if parser.errors:
        raise ImportFileError(path, parser.errors[:_MAX_ERRORS])
    report = ImportReport(
        file=str(path),
        source=chosen,
        format=fmt,
        items=len(problems),
        quizzes_published=parser.quizzes_published,
        entries=parser.entries,
    )
    return ImportResult(problems=problems, report=report)


def stream_problems(
    path: str | Path, source: str | None = None, *, untyped: Subject | None = None
) -> Iterator[Problem | FieldError]:
    """Problems of one file, one at a time, never the whole file in memory: JSON Lines are read
    line by line, Parquet by record batches (one row = one item, the line being its row number
    from 1); a SciGenBench JSON array is parsed whole (those files are small). A malformed item is
    yielded as a :class:`FieldError` (file, item, line, field) in its place and the rest goes on;
    a file that cannot be read at all yields one FieldError. Quiz repairs are applied as in
    :func:`parse_file` (the report is not kept: a stream has no end to print it at).

    ``untyped``: the subject given to an item naming neither subject nor image type, instead of
    reporting it (the engine's classify stage then decides both)."""
    path = Path(path)
    chosen = source or infer_source(path)
    parser = _ItemParser(file=str(path), source=chosen, base_dir=path.resolve().parent, untyped=untyped)
    try:
        for index, line, raw, unreadable in _raw_items(path):
            if unreadable is not None:
                yield FieldError(str(path), f"invalid JSON: {unreadable}", item_index=index, line=line)
                continue
            problem = parser.parse(index, line, raw)
            parser.entries.clear()
            if problem is not None:
                yield problem
            yield from parser.errors
            parser.errors.clear()
    except ImportFileError as exc:
        yield from exc.errors


def _raw_items(path: Path) -> Iterator[tuple[int, int | None, Any, str | None]]:
    """``(item_index, line, raw_item, None)``, or ``(item_index, line, None, why)`` for a line
    that is not JSON."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            batches = pq.ParquetFile(path).iter_batches(batch_size=1024)
        except (OSError, ValueError) as exc:
            raise ImportFileError(path, [FieldError(str(path), f"not a readable Parquet file: {exc}")]) from None
        index = 0
        for batch in batches:
            for row in batch.to_pylist():
                yield index, index + 1, {key: value for key, value in row.items() if value is not None}, None
                index += 1
        return
    if suffix == ".json":
        _, records = read_records(path)
        for index, line, raw in records:
            yield index, line, raw, None
        return
    try:
        handle = open(path, encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFileError(path, [FieldError(str(path), f"cannot be read: {exc.strerror or exc}")]) from None
    with handle:
        index = 0
        for line_no, raw_line in enumerate(handle, start=1):
            if not raw_line.strip():
                continue
            try:
                raw, unreadable = json.loads(raw_line), None
            except json.JSONDecodeError as exc:
                raw, unreadable = None, f"{exc.msg} (column {exc.colno})"
            yield index, line_no, raw, unreadable
            index += 1


# --------------------------------------------------------------------------------------------
# items


class _ItemParser:
    """Turns raw items into Problems, collecting errors (fatal) and report entries (not)."""

    def __init__(self, *, file: str, source: str, base_dir: Path, untyped: Subject | None = None):
        self.file = file
        self.untyped = untyped
        self.source = source
        self.base_dir = base_dir
        self.errors: list[FieldError] = []
        self.entries: list[ReportEntry] = []
        self.quizzes_published = 0
        self._seen_ids: dict[str, int] = {}

    def _error(
        self, index: int, line: int | None, item_id: str | None, fld: str | None, message: str
    ) -> None:
        self.errors.append(
            FieldError(self.file, message, item_index=index, item_id=item_id, line=line, field=fld)
        )

    def parse(self, index: int, line: int | None, raw: Any) -> Problem | None:
        n_errors = len(self.errors)

        def fail(fld: str | None, message: str) -> None:
            self._error(index, line, item_id, fld, message)

        item_id: str | None = None
        if not isinstance(raw, dict):
            fail(None, f"item is a JSON {_json_type(raw)}; expected an object")
            return None

        # id
        raw_id = raw.get("id")
        if isinstance(raw_id, bool) or raw_id is None:
            fail("id", "missing" if raw_id is None else "must be a string or an integer")
        elif isinstance(raw_id, int):
            item_id = str(raw_id)
        elif isinstance(raw_id, str) and raw_id.strip():
            item_id = raw_id.strip()
        else:
            fail("id", "must be a non-empty string or an integer")
        if item_id is not None:
            if item_id in self._seen_ids:
                fail("id", f"duplicate id (also item {self._seen_ids[item_id]})")
            else:
                self._seen_ids[item_id] = index

        entries: list[ReportEntry] = []

        def note(fld: str, action: Action, reason: str, detail: str, quiz_index: int | None = None) -> None:
            entries.append(
                ReportEntry(
                    item_index=index,
                    item_id=item_id or "?",
                    line=line,
                    quiz_index=quiz_index,
                    field=fld,
                    action=action,
                    reason=reason,
                    detail=detail,
                )
            )

        question = raw.get("question")
        if not isinstance(question, str) or not question.strip():
            fail("question", "missing" if question is None else "must be a non-empty string")

        image_type, subject = self._type_and_subject(raw, fail)
        answer = self._answer(raw.get("answer"), fail)
        elements = self._elements(raw.get("elements"), fail)
        multimodal = self._optional_text(raw, "multimodal_question", fail)
        reference_code = self._reference_code(raw, fail)

        unknown = [k for k in raw if k not in ITEM_FIELDS]
        for key in unknown:
            note(key, "noted", "unknown_item_field", f"unknown field {key!r} ignored")

        reference_image = self._reference_image(raw, item_id, fail, note)

        quizzes: list[Quiz] = []
        raw_quizzes = raw.get("quizzes", [])
        if raw_quizzes is None:
            raw_quizzes = []
        if not isinstance(raw_quizzes, list):
            fail("quizzes", f"is a JSON {_json_type(raw_quizzes)}; expected an array of quiz objects")
            raw_quizzes = []
        self.quizzes_published += len(raw_quizzes)
        for q_index, raw_quiz in enumerate(raw_quizzes):
            outcome = normalise_quiz(raw_quiz)
            for finding in outcome.findings:
                fld = f"quizzes[{q_index}]" + (f".{finding.field}" if finding.field else "")
                note(fld, finding.action, finding.reason, finding.detail, quiz_index=q_index)
            if outcome.quiz is not None:
                quizzes.append(outcome.quiz)

        if len(self.errors) > n_errors:
            return None
        try:
            problem = Problem(
                id=item_id,
                source=self.source,
                question=question,
                subject=subject,
                image_type=image_type,
                answer=answer,
                elements=elements,
                quizzes=quizzes,
                multimodal_question=multimodal,
                reference_image=reference_image,
                reference_code=reference_code,
            )
        except ValidationError as exc:
            for err in exc.errors():
                fail(".".join(str(p) for p in err["loc"]) or None, err["msg"])
            return None
        self.entries.extend(entries)
        return problem

    # -- fields -------------------------------------------------------------------------------
    def _type_and_subject(self, raw: dict, fail) -> tuple[str | None, Subject | None]:
        raw_type = raw.get("image_type")
        raw_subject = raw.get("subject")
        image_type: str | None = None
        if raw_type is not None and not isinstance(raw_type, str):
            fail("image_type", "must be a string")
            return None, None
        if isinstance(raw_type, str) and raw_type.strip():
            image_type = raw_type.strip()
            if not is_image_type(image_type):
                fail("image_type", f"{raw_type!r} is not one of the 25 SciGenBench image types")
                return None, None
        subject: Subject | None = None
        if raw_subject is not None:
            if not isinstance(raw_subject, str) or raw_subject.strip() not in SUBJECTS:
                fail("subject", f"{raw_subject!r} is not one of {', '.join(SUBJECTS)}")
                return image_type, None
            subject = Subject(raw_subject.strip())
        if image_type is not None:
            typed_subject = subject_of(image_type)
            if subject is not None and subject != typed_subject:
                fail(
                    "subject",
                    f"{subject.value!r} contradicts image_type {image_type!r} ({typed_subject.value})",
                )
            return image_type, typed_subject
        if self.source == "seephys":
            if subject is not None and subject != Subject.PHYSICS:
                fail("subject", f"SeePhys items are Physics, not {subject.value!r}")
            return None, Subject.PHYSICS
        if subject is None and self.untyped is not None:
            return None, self.untyped
        if self.source == "scigen":
            fail("image_type", "missing; scigen items need one of the 25 image types")
        elif subject is None:
            fail("image_type", "missing; give an image type or a subject")
        return None, subject

    @staticmethod
    def _answer(value: Any, fail) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # a bare number is still the answer
        fail("answer", f"is a JSON {_json_type(value)}; expected a string")
        return ""

    @staticmethod
    def _elements(value: Any, fail) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            fail("elements", f"is a JSON {_json_type(value)}; expected an array of strings")
            return []
        for i, element in enumerate(value):
            if not isinstance(element, str):
                fail(f"elements[{i}]", f"is a JSON {_json_type(element)}; expected a string")
        return [e for e in value if isinstance(e, str)]

    @staticmethod
    def _optional_text(raw: dict, key: str, fail) -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            fail(key, f"is a JSON {_json_type(value)}; expected a string")
            return None
        return value

    def _reference_code(self, raw: dict, fail) -> str | None:
        code = self._optional_text(raw, "reference_code", fail)
        script = raw.get("reference_script")
        if script is None:
            return code
        if not isinstance(script, str) or not script.strip():
            fail("reference_script", "must be a path (string) relative to the file's folder")
            return code
        script_path = (self.base_dir / script).resolve()
        try:
            return script_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            fail("reference_script", f"{script!r} does not exist ({script_path})")
        except (OSError, UnicodeDecodeError) as exc:
            fail("reference_script", f"{script!r} cannot be read: {exc}")
        return code

    def _reference_image(self, raw: dict, item_id: str | None, fail, note) -> str | None:
        given = raw.get("reference_image")
        if given is not None and not isinstance(given, str):
            fail("reference_image", "must be a path (string)")
            return None
        if isinstance(given, str) and given.strip():
            path = (self.base_dir / given).resolve()
            if path.is_file():
                return str(path)
            note(
                "reference_image",
                "noted",
                "reference_image_missing",
                f"{given!r} does not exist; stored without a figure",
            )
            return None
        if self.source == "seephys" and item_id is not None:
            path = (self.base_dir / SEEPHYS_IMAGES_DIR / f"{item_id}.png").resolve()
            if path.is_file():
                return str(path)
            note(
                "reference_image",
                "noted",
                "reference_image_missing",
                f"no {SEEPHYS_IMAGES_DIR}/{item_id}.png next to the file; stored without a figure",
            )
        return None


# --------------------------------------------------------------------------------------------
# quizzes

_LETTERS = string.ascii_uppercase
_LOOSE_LETTER = re.compile(r"(?:option\s*)?[(\[]?\s*([A-Za-z])\s*[)\].:]?", re.IGNORECASE)


def _clean_key(key: str) -> str:
    return "".join(ch for ch in key if ch.isalnum()).upper()


def normalise_quiz(raw: Any) -> QuizOutcome:
    """Apply the malformed-quiz rule (module docstring) to one raw quiz."""
    findings: list[QuizFinding] = []

    def found(fld: str, action: Action, reason: str, detail: str) -> None:
        findings.append(QuizFinding(fld, action, reason, detail))

    def drop(fld: str, reason: str, detail: str) -> QuizOutcome:
        found(fld, "dropped", reason, detail)
        return QuizOutcome(None, findings)

    if not isinstance(raw, dict):
        return drop("", "quiz_not_object", f"quiz is a JSON {_json_type(raw)}, not an object; quiz dropped")

    for key in raw:
        if key not in QUIZ_FIELDS:
            copy = " (a copy of the question)" if raw[key] == raw.get("question") else ""
            found(key, "normalised", "stray_field", f"stray field {key!r}{copy} dropped")

    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        return drop("question", "missing_quiz_question", "quiz has no question text; quiz dropped")

    # options: a mapping (or a list) of texts
    raw_options = raw.get("options")
    if isinstance(raw_options, list):
        if len(raw_options) > len(_LETTERS):
            return drop("options", "too_many_options", f"{len(raw_options)} options; quiz dropped")
        found("options", "normalised", "options_as_list", "options given as a list; keyed A, B, ... in order")
        raw_options = {_LETTERS[i]: text for i, text in enumerate(raw_options)}
        key_map = {str(i): _LETTERS[i] for i in range(len(raw_options))}  # an index may name the answer
    elif isinstance(raw_options, dict):
        key_map = {}
    else:
        return drop("options", "invalid_options", "options missing or not an object; quiz dropped")
    options: dict[str, str] = {}
    for key, text in raw_options.items():
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            return drop(
                "options",
                "invalid_option_text",
                f"option {key!r} is a JSON {_json_type(text)}, not text; quiz dropped",
            )
        if not isinstance(text, str):
            found(
                "options",
                "normalised",
                "option_text_not_string",
                f"option {key!r} text {text!r} stored as a string",
            )
        options[key] = str(text)
    n = len(options)
    if n < 2:
        return drop("options", "too_few_options", f"{n} option(s); quiz dropped")
    if n > len(_LETTERS):
        return drop("options", "too_many_options", f"{n} options; quiz dropped")

    letters = _LETTERS[:n]
    repaired = _repair_keys(list(options), letters, options, found)
    if repaired is None:
        return drop(
            "options",
            "unmappable_option_keys",
            f"option keys {list(options)} cannot be mapped to {letters[0]}-{letters[-1]} unambiguously; quiz dropped",
        )
    renamed, swapped = repaired
    key_map.update(renamed)
    # Keep the published order; a swapped entry's text is its published key.
    fixed = {renamed[key]: (key if key in swapped else text) for key, text in options.items()}
    if n != 4:
        found(
            "options",
            "noted",
            "option_count",
            f"{n} options ({letters[0]}-{letters[-1]}) instead of 4; kept as published",
        )

    # correct option
    raw_correct = raw.get("correct_option")
    if raw_correct is None or isinstance(raw_correct, bool) or not isinstance(raw_correct, str | int):
        return drop(
            "correct_option",
            "correct_option_unknown",
            f"correct_option {raw_correct!r} missing or not text; quiz dropped",
        )
    correct_key = _resolve_correct(str(raw_correct), key_map, fixed, found)
    if correct_key is None:
        return QuizOutcome(None, findings)
    correct_text = fixed[correct_key].strip()
    if sum(1 for t in fixed.values() if t.strip() == correct_text) > 1:
        return drop(
            "options",
            "ambiguous_correct_option",
            f"the correct option's text {correct_text!r} also appears as another option; quiz dropped",
        )

    evidence = raw.get("evidence_snippet")
    if evidence is None:
        found("evidence_snippet", "noted", "missing_evidence", "no evidence_snippet; stored as empty")
        evidence = ""
    elif not isinstance(evidence, str):
        found(
            "evidence_snippet",
            "normalised",
            "evidence_not_string",
            f"evidence_snippet {evidence!r} stored as a string",
        )
        evidence = (
            json.dumps(evidence, ensure_ascii=False) if isinstance(evidence, list | dict) else str(evidence)
        )

    quiz = Quiz(question=question, options=fixed, correct_option=correct_key, evidence_snippet=evidence)
    return QuizOutcome(quiz, findings)


def _repair_keys(
    keys: list[str], letters: str, options: dict[str, str], found
) -> tuple[dict[str, str], set[str]] | None:
    """(old key -> new key, keys whose text was swapped with the key), or None when a key cannot be mapped."""
    mapping = {k: k for k in keys if k in letters}
    swapped: set[str] = set()
    missing = [letter for letter in letters if letter not in mapping]
    bad = [k for k in keys if k not in letters]
    if not bad:
        return mapping, swapped

    def claim(key: str, letter: str, reason: str, detail: str) -> None:
        mapping[key] = letter
        missing.remove(letter)
        bad.remove(key)
        found("options", "normalised", reason, detail)

    # a. cleaned: the key is a letter behind punctuation, space or lower case
    cleaned = {k: _clean_key(k) for k in bad}
    for key in list(bad):
        letter = cleaned[key]
        if letter in missing and list(cleaned.values()).count(letter) == 1:
            claim(key, letter, "option_key_cleaned", f"option key {key!r} read as {letter!r}")
    # b. swapped: key and text exchanged, the text being exactly a missing letter
    for key in list(bad):
        letter = options[key].strip()
        if letter in missing and sum(1 for k in bad if options[k].strip() == letter) == 1:
            swapped.add(key)
            claim(
                key,
                letter,
                "option_key_text_swapped",
                f"option {{{key!r}: {letter!r}}} had key and text swapped; now {letter}: {key!r}",
            )
    # c. by position: the letter of the key's place in the published order is missing
    if bad and all(letters[keys.index(k)] in missing for k in bad):
        for key in list(bad):
            letter = letters[keys.index(key)]
            claim(
                key,
                letter,
                "option_key_by_position",
                f"option key {key!r} is in {letter}'s place and {letter} is missing; renamed to {letter!r}",
            )
    return None if bad else (mapping, swapped)


def _resolve_correct(raw: str, key_map: dict[str, str], options: dict[str, str], found) -> str | None:
    """The key of the correct option (recording how it was read), or None after recording a drop."""
    keys = list(options)
    if raw in key_map:
        new = key_map[raw]
        if new != raw:
            found(
                "correct_option",
                "normalised",
                "correct_option_followed_key",
                f"correct_option {raw!r} follows its option to {new!r}",
            )
        return new
    if raw in options:  # names a key that a repair created (e.g. "B" once "0" became B)
        return raw
    stripped = raw.strip()
    letter_match = _LOOSE_LETTER.fullmatch(stripped)
    by_letter = (
        letter_match.group(1).upper() if letter_match and letter_match.group(1).upper() in keys else None
    )
    exact = [k for k, t in options.items() if t.strip() == stripped]
    folded = [k for k, t in options.items() if t.strip().casefold() == stripped.casefold()]
    by_text = exact[0] if len(exact) == 1 else (folded[0] if not exact and len(folded) == 1 else None)
    if by_letter and by_text and by_letter != by_text:
        found(
            "correct_option",
            "dropped",
            "ambiguous_correct_option",
            f"correct_option {raw!r} reads as key {by_letter!r} and as the text of {by_text!r}; quiz dropped",
        )
        return None
    if by_letter:
        found(
            "correct_option",
            "normalised",
            "correct_option_resolved",
            f"correct_option {raw!r} read as key {by_letter!r}",
        )
        return by_letter
    if by_text:
        found(
            "correct_option",
            "normalised",
            "correct_option_resolved",
            f"correct_option {raw!r} is the text of option {by_text!r}",
        )
        return by_text
    found(
        "correct_option",
        "dropped",
        "correct_option_unknown",
        f"correct_option {raw!r} is not among the option keys {keys} or texts; quiz dropped",
    )
    return None
