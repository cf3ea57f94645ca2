"""SQL for quiz audits (blind solvability) and the provenance of generated quizzes.

Writers take store-level records (below), never evaluation objects: the store does not import
``core.evaluation``; ``core.cli.quizzes_cmd`` turns audit results into these rows.

Each function runs on a cursor inside a transaction the caller holds; callers go through the
``Store`` methods (``save_quiz_audits``, ``quiz_audits``, ``flagged_quiz_keys`` ...).
An audit applies to a quiz only while the stored quiz is the one audited (same question, options
and correct key), so regenerated quizzes are never excluded by an outdated audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from core.store.records import utc_now

__all__ = [
    "AUDIT_COLUMNS",
    "QuizAuditRow",
    "QuizGenerationRow",
    "options_json",
    "select_audits",
    "select_generations",
    "upsert_audits",
    "upsert_generations",
]


def options_json(options: dict[str, str]) -> str:
    """Options as the quizzes table stores them (key order kept)."""
    return json.dumps(options, ensure_ascii=False)


class QuizAuditRow(BaseModel):
    """One quiz asked blind (no image, no problem text) by one model over several shuffles."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    quiz_index: int = Field(ge=0)
    model: str = Field(min_length=1, description="The model asked: profile name or LiteLLM model string.")
    question: str = Field(description="The quiz question as audited.")
    options_json: str = Field(description="The options as audited, JSON in the quizzes table's form.")
    correct_option: str
    shuffles: int = Field(ge=1, description="Times asked, each with another option order.")
    n_correct: int = Field(ge=0)
    n_errors: int = Field(ge=0, description="Asks with no answer (model failure, unreadable reply).")
    flagged: bool = Field(description="Answered correctly in every shuffle: blind-solvable.")
    seeds: list[int] = Field(description="The shuffle seed of each ask.")
    answers_json: str = Field(description="Per ask: presented keys, raw reply, parsed key, error class.")
    prompt: str = Field(description="Prompt id used, e.g. blind_quiz@v1.")
    cost_usd: float | None = None


class QuizGenerationRow(BaseModel):
    """Where a problem's model-written quizzes came from."""

    model_config = ConfigDict(frozen=True)

    problem_uid: str = Field(min_length=1)
    model: str = Field(min_length=1)
    prompt: str = Field(description="Prompt id used, e.g. quizgen@v1.")
    n_quizzes: int = Field(ge=0)
    n_elements: int = Field(ge=0)
    attempts: int = Field(ge=1, description="Model calls made for the problem.")
    issues: list[str] = Field(default_factory=list, description="What validation rejected.")
    cost_usd: float | None = None


_AUDIT_SCHEMA = pa.schema(
    [
        ("problem_uid", pa.string()),
        ("quiz_index", pa.int32()),
        ("model", pa.string()),
        ("question", pa.string()),
        ("options_json", pa.string()),
        ("correct_option", pa.string()),
        ("shuffles", pa.int32()),
        ("n_correct", pa.int32()),
        ("n_errors", pa.int32()),
        ("flagged", pa.bool_()),
        ("seeds", pa.list_(pa.int64())),
        ("answers_json", pa.string()),
        ("prompt", pa.string()),
        ("cost_usd", pa.float64()),
        ("audited_at", pa.timestamp("us")),
    ]
)
AUDIT_COLUMNS: tuple[str, ...] = tuple(_AUDIT_SCHEMA.names)
_GENERATION_SCHEMA = pa.schema(
    [
        ("problem_uid", pa.string()),
        ("model", pa.string()),
        ("prompt", pa.string()),
        ("n_quizzes", pa.int32()),
        ("n_elements", pa.int32()),
        ("attempts", pa.int32()),
        ("issues_json", pa.string()),
        ("cost_usd", pa.float64()),
        ("generated_at", pa.timestamp("us")),
    ]
)
_GENERATION_COLUMNS: tuple[str, ...] = tuple(_GENERATION_SCHEMA.names)

# An audit is current while the stored quiz is the one audited.
_CURRENT = """
    q.problem_uid = a.problem_uid AND q.quiz_index = a.quiz_index AND q.question = a.question
    AND q.options_json = a.options_json AND q.correct_option = a.correct_option
"""


def upsert_audits(cursor: duckdb.DuckDBPyConnection, rows: Sequence[QuizAuditRow]) -> int:
    """Insert or replace audits keyed by (problem_uid, quiz_index, model)."""
    if not rows:
        return 0
    keys = [(row.problem_uid, row.quiz_index, row.model) for row in rows]
    if len(set(keys)) != len(keys):
        duplicate = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(
            f"audit of quiz {duplicate[0]}#{duplicate[1]} by {duplicate[2]} appears twice in one batch"
        )
    now = utc_now()
    table = pa.Table.from_pylist(
        [{**row.model_dump(), "audited_at": now} for row in rows], schema=_AUDIT_SCHEMA
    )
    cursor.register("incoming_audits", table)
    try:
        columns = ", ".join(AUDIT_COLUMNS)
        cursor.execute(
            f"INSERT OR REPLACE INTO quiz_audits ({columns}) SELECT {columns} FROM incoming_audits"
        )
    finally:
        cursor.unregister("incoming_audits")
    return len(rows)


def select_audits(
    cursor: duckdb.DuckDBPyConnection,
    *,
    model: str | Sequence[str] | None = None,
    problem_uids: Iterable[str] | None = None,
    flagged_only: bool = False,
    current_only: bool = True,
) -> pd.DataFrame:
    """Audits with a ``current`` column (the stored quiz is still the one audited)."""
    where: list[str] = []
    params: list[Any] = []
    if model is not None:
        models = [model] if isinstance(model, str) else list(model)
        where.append(f"a.model IN ({', '.join('?' for _ in models)})")
        params.extend(models)
    if problem_uids is not None:
        uids = list(problem_uids)
        if not uids:
            return pd.DataFrame(columns=[*AUDIT_COLUMNS, "current"])
        where.append(f"a.problem_uid IN ({', '.join('?' for _ in uids)})")
        params.extend(uids)
    if flagged_only:
        where.append("a.flagged")
    if current_only:
        where.append("q.problem_uid IS NOT NULL")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    columns = ", ".join(f"a.{name}" for name in AUDIT_COLUMNS)
    return cursor.execute(
        f"""SELECT {columns}, q.problem_uid IS NOT NULL AS current
            FROM quiz_audits a LEFT JOIN quizzes q ON {_CURRENT}
            {clause}
            ORDER BY a.problem_uid, a.quiz_index, a.model""",
        params,
    ).df()


def upsert_generations(cursor: duckdb.DuckDBPyConnection, rows: Sequence[QuizGenerationRow]) -> int:
    if not rows:
        return 0
    now = utc_now()
    table = pa.Table.from_pylist(
        [
            {
                **row.model_dump(exclude={"issues"}),
                "issues_json": json.dumps(row.issues, ensure_ascii=False),
                "generated_at": now,
            }
            for row in rows
        ],
        schema=_GENERATION_SCHEMA,
    )
    cursor.register("incoming_quiz_generations", table)
    try:
        columns = ", ".join(_GENERATION_COLUMNS)
        cursor.execute(
            f"INSERT OR REPLACE INTO quiz_generations ({columns}) SELECT {columns} FROM incoming_quiz_generations"
        )
    finally:
        cursor.unregister("incoming_quiz_generations")
    return len(rows)


def select_generations(cursor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    columns = ", ".join(_GENERATION_COLUMNS)
    return cursor.execute(f"SELECT {columns} FROM quiz_generations ORDER BY problem_uid").df()
