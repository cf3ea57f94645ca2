"""The bundled sample (``data/sample/*.jsonl`` + ``data/sample/scripts/<id>.py``): the offline demo set.

Each line is a SciGenBench item plus ``reference_script`` (a path relative to ``data/sample``); the
script's text becomes ``Problem.reference_code`` and the source is ``custom``. The sample is written
for this project, so it is held to a stricter standard than imported files: anything the importer
would have to repair or note is an error here, and every problem needs an image type, an answer,
elements, quizzes and a reference script. Errors name file, line and field (``SampleError``).
"""

from __future__ import annotations

from pathlib import Path

from core.problems.importer import ImportFileError, parse_file, read_records
from core.problems.models import Problem
from core.workspace import SAMPLE_DIR

REQUIRED_FIELDS = ("id", "image_type", "question", "answer", "elements", "quizzes", "reference_script")


class SampleError(ValueError):
    """A bundled sample line that is not valid; says which file, line and field."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = file + (f", line {line}" if line is not None else "")
        where += f", field {field!r}" if field else ""
        super().__init__(f"{where}: {message}")


def sample_files(sample_dir: Path = SAMPLE_DIR) -> list[Path]:
    return sorted(Path(sample_dir).glob("*.jsonl"))


def load_sample_file(path: Path) -> list[Problem]:
    """One sample file, strictly validated; raises SampleError on the first problem found."""
    path = Path(path)
    _check_required_fields(path)
    try:
        result = parse_file(path, source="custom")
    except ImportFileError as exc:
        first = exc.errors[0]
        raise SampleError(str(path), first.line, first.field, first.message) from exc
    if result.report.entries:
        entry = result.report.entries[0]
        raise SampleError(
            str(path), entry.line, entry.field, f"{entry.action} [{entry.reason}]: {entry.detail}"
        )
    return result.problems


def _check_required_fields(path: Path) -> None:
    try:
        _, records = read_records(path)
    except ImportFileError as exc:
        first = exc.errors[0]
        raise SampleError(str(path), first.line, first.field, first.message) from exc
    for _, line, raw in records:
        if not isinstance(raw, dict):
            raise SampleError(str(path), line, None, "line is not a JSON object")
        for name in REQUIRED_FIELDS:
            value = raw.get(name)
            if value is None or value == "" or value == []:
                raise SampleError(str(path), line, name, "missing or empty; the bundled sample requires it")


def load_sample(sample_dir: Path = SAMPLE_DIR) -> list[Problem]:
    """Every problem of every ``*.jsonl`` in the sample folder, in file then line order.

    Raises SampleError for the first invalid line, or for an id used twice across files.
    """
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sample_files(sample_dir):
        for problem in load_sample_file(path):
            if problem.id in seen:
                line = next(
                    (
                        ln
                        for _, ln, raw in read_records(path)[1]
                        if str(raw.get("id", "")).strip() == problem.id
                    ),
                    None,
                )
                raise SampleError(str(path), line, "id", f"{problem.id!r} is also used in {seen[problem.id]}")
            seen[problem.id] = str(path)
            problems.append(problem)
    return problems
