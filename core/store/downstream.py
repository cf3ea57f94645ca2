"""Training outcomes imported from CSV (``scigen downstream import``) and their SQL.

A CSV holds one row per (source, training-set size, benchmark)::

    source,train_samples,benchmark,accuracy
    Gemini-ImgCoder,1000,GEO3K,63.2

``source``: which images the model was trained on; ``train_samples``: how many training samples
(a positive whole number; empty when unknown); ``benchmark``: where it was tested; ``accuracy``:
percent, 0-100 (a trailing ``%`` is allowed). Optional columns: ``base_model``, ``note``. Header
names are matched case-insensitively; other columns are refused so a typo is not silently lost.

A file with any bad row stores nothing (like the problems importer): every error is reported at
once, naming the file, row (1-based line number of the file) and field, and the store keeps what
it had. Each file's rows are stored under their own provenance (default ``csv:<file name>``);
importing again replaces that provenance's rows as a whole, so re-importing is idempotent and a
row removed from the file goes away. Published (reported) rows are never touched.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

REQUIRED_COLUMNS: tuple[str, ...] = ("source", "train_samples", "benchmark", "accuracy")
OPTIONAL_COLUMNS: tuple[str, ...] = ("base_model", "note")
IMPORT_PREFIX = "csv:"
_MAX_ERRORS_SHOWN = 20

_SCHEMA = pa.schema(
    [
        ("provenance", pa.string()),
        ("position", pa.int32()),
        ("source", pa.string()),
        ("base_model", pa.string()),
        ("benchmark", pa.string()),
        ("accuracy", pa.float64()),
        ("train_samples", pa.int64()),
        ("note", pa.string()),
    ]
)


class DownstreamCsvError(ValueError):
    """A training-outcomes file that cannot be imported; ``errors`` name file, row and field."""

    def __init__(self, file: str, errors: list[str]) -> None:
        self.file = file
        self.errors = errors
        shown = errors[:_MAX_ERRORS_SHOWN]
        more = f"; ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        super().__init__("; ".join(shown) + more)


class DownstreamOutcome(BaseModel):
    """Accuracy of a model trained on ``train_samples`` images of one source, on one benchmark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, description="Which images the model was trained on.")
    benchmark: str = Field(min_length=1, description="Where the trained model was tested.")
    accuracy: float = Field(ge=0, le=100, description="Accuracy in percent.")
    train_samples: int | None = Field(default=None, gt=0, description="Training samples; None when unknown.")
    base_model: str | None = Field(default=None, description="The model that was trained, when stated.")
    note: str = Field(default="", description="Anything a reader should know about this row.")


class DownstreamImportCounts(BaseModel):
    """What an import did to the rows of its provenance."""

    provenance: str
    rows: int = Field(description="Rows the file holds (now stored).")
    previous: int = Field(description="Rows this provenance held before.")
    changed: bool = Field(description="False when the store already held exactly these rows.")


def default_provenance(file_name: str) -> str:
    """Provenance of an imported file's rows: ``csv:<file name>`` (never a paper's label)."""
    return f"{IMPORT_PREFIX}{Path(file_name).name}"


# ------------------------------------------------------------------------------------- parsing


def read_downstream_csv(path: str | Path) -> list[DownstreamOutcome]:
    """Read and validate a training-outcomes CSV file (see the module docstring)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DownstreamCsvError(str(path), [f"{path}: cannot read: {exc.strerror or exc}"]) from exc
    return parse_downstream_csv(data, str(path))


def parse_downstream_csv(data: bytes | str, file: str) -> list[DownstreamOutcome]:
    """Validate CSV content named ``file`` (for messages); all rows or an error listing every problem."""
    if isinstance(data, bytes):
        if b"\x00" in data[:4096]:
            raise DownstreamCsvError(file, [f"{file}: not a CSV text file (it holds binary data)"])
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DownstreamCsvError(
                file, [f"{file}: not a UTF-8 CSV text file (undecodable byte at offset {exc.start})"]
            ) from exc
    else:
        text = data.removeprefix("\ufeff")
    if not text.strip():
        raise DownstreamCsvError(file, [f"{file}: empty file; expected a header {','.join(REQUIRED_COLUMNS)}"])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise DownstreamCsvError(file, [f"{file}: line 1: not readable as CSV: {exc}"]) from exc
    names = [name.strip().lower() for name in header]
    errors: list[str] = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    unknown = [raw for raw, name in zip(header, names, strict=True) if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if missing:
        errors.append(f"{file}: header: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})")
    if unknown:
        errors.append(
            f"{file}: header: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}"
        )
    if duplicated:
        errors.append(f"{file}: header: column(s) given twice: {', '.join(duplicated)}")
    if errors:
        raise DownstreamCsvError(file, errors)

    outcomes: list[DownstreamOutcome] = []
    first_line: dict[tuple[str, str, int | None], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are harmless
            if len(cells) != len(names):
                errors.append(f"{file}: row {line}: {len(cells)} cells, the header has {len(names)}")
                continue
            row = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
            outcome = _row_outcome(row, f"{file}: row {line}", errors)
            if outcome is None:
                continue
            key = (outcome.source, outcome.benchmark, outcome.train_samples)
            if key in first_line:
                errors.append(
                    f"{file}: row {line}: source {outcome.source!r}, train_samples {outcome.train_samples}, "
                    f"benchmark {outcome.benchmark!r} repeats row {first_line[key]}"
                )
                continue
            first_line[key] = line
            outcomes.append(outcome)
    except csv.Error as exc:
        errors.append(f"{file}: line {reader.line_num}: not readable as CSV: {exc}")
    if errors:
        raise DownstreamCsvError(file, errors)
    if not outcomes:
        raise DownstreamCsvError(file, [f"{file}: no data rows below the header"])
    return outcomes


def _row_outcome(row: dict[str, str], where: str, errors: list[str]) -> DownstreamOutcome | None:
    before = len(errors)
    for name in ("source", "benchmark"):
        if not row[name]:
            errors.append(f"{where}: field '{name}': empty")
    accuracy = _number(row["accuracy"].removesuffix("%").strip())
    if accuracy is None:
        errors.append(f"{where}: field 'accuracy': {row['accuracy']!r} is not a number")
    elif not 0 <= accuracy <= 100:
        errors.append(f"{where}: field 'accuracy': {accuracy:g} is outside 0-100 (percent)")
    samples: int | None = None
    if row["train_samples"]:
        value = _number(row["train_samples"])
        if value is None or value != int(value) or value <= 0:
            errors.append(f"{where}: field 'train_samples': {row['train_samples']!r} is not a positive whole number")
        else:
            samples = int(value)
    if len(errors) > before:
        return None
    return DownstreamOutcome(
        source=row["source"],
        benchmark=row["benchmark"],
        accuracy=float(accuracy),  # type: ignore[arg-type]
        train_samples=samples,
        base_model=row.get("base_model") or None,
        note=row.get("note", ""),
    )


def _number(text: str) -> float | None:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# ----------------------------------------------------------------------------------------- SQL


def _stored_rows(cursor: duckdb.DuckDBPyConnection, provenance: str) -> list[tuple]:
    return cursor.execute(
        """SELECT position, source, base_model, benchmark, accuracy, train_samples, note
           FROM downstream_results WHERE provenance = ? ORDER BY position""",
        [provenance],
    ).fetchall()


def replace_imported(
    cursor: duckdb.DuckDBPyConnection, provenance: str, outcomes: list[DownstreamOutcome]
) -> DownstreamImportCounts:
    """Make ``provenance`` hold exactly ``outcomes`` (file order kept)."""
    wanted = [
        (position, o.source, o.base_model, o.benchmark, o.accuracy, o.train_samples, o.note)
        for position, o in enumerate(outcomes)
    ]
    stored = _stored_rows(cursor, provenance)
    counts = DownstreamImportCounts(
        provenance=provenance, rows=len(wanted), previous=len(stored), changed=stored != wanted
    )
    if not counts.changed:
        return counts
    cursor.execute("DELETE FROM downstream_results WHERE provenance = ?", [provenance])
    if wanted:
        table = pa.Table.from_pylist(
            [
                {"provenance": provenance, "position": p, "source": s, "base_model": m, "benchmark": b,
                 "accuracy": a, "train_samples": n, "note": note}
                for p, s, m, b, a, n, note in wanted
            ],
            schema=_SCHEMA,
        )
        cursor.register("incoming_outcomes", table)
        try:
            columns = ", ".join(_SCHEMA.names)
            cursor.execute(f"INSERT INTO downstream_results ({columns}) SELECT {columns} FROM incoming_outcomes")
        finally:
            cursor.unregister("incoming_outcomes")
    return counts


def delete_provenance(cursor: duckdb.DuckDBPyConnection, provenance: str) -> int:
    (count,) = cursor.execute(
        "SELECT count(*) FROM downstream_results WHERE provenance = ?", [provenance]
    ).fetchone()
    cursor.execute("DELETE FROM downstream_results WHERE provenance = ?", [provenance])
    return int(count)


def reported_provenances(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """Provenance labels of published runs (an import may not take one of these)."""
    rows = cursor.execute("SELECT DISTINCT provenance FROM runs WHERE kind = 'reported' AND provenance IS NOT NULL")
    return {value for (value,) in rows.fetchall()}
