"""SQL for problems and quizzes. Functions take an attached cursor; ``Store`` opens it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from core.problems.models import SOURCES, Problem, Quiz
from core.problems.taxonomy import ALL_IMAGE_TYPES, SUBJECTS
from core.store.records import UpsertCounts, utc_now

FilterValue = str | Enum | Sequence[str | Enum] | None

LIST_COLUMNS: tuple[str, ...] = (
    "uid", "id", "source", "subject", "image_type", "question", "answer", "n_quizzes", "n_elements",
    "has_reference_image", "has_reference_code", "has_multimodal_question",
)

_PROBLEM_COLUMNS: tuple[str, ...] = (
    "uid", "source", "id", "id_sort", "question", "subject", "image_type", "answer", "elements",
    "multimodal_question", "reference_image", "reference_code", "content_hash", "imported_at", "updated_at",
)
_PROBLEM_SCHEMA = pa.schema(
    [
        *((name, pa.string()) for name in _PROBLEM_COLUMNS[:8]),
        ("elements", pa.list_(pa.string())),
        *((name, pa.string()) for name in _PROBLEM_COLUMNS[9:13]),
        ("imported_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
    ]
)
_QUIZ_COLUMNS: tuple[str, ...] = (
    "problem_uid", "quiz_index", "question", "options_json", "correct_option", "evidence_snippet",
)
_QUIZ_SCHEMA = pa.schema(
    [("problem_uid", pa.string()), ("quiz_index", pa.int32()), *((n, pa.string()) for n in _QUIZ_COLUMNS[2:])]
)


def natural_sort_key(text: str) -> str:
    """A string that sorts like a human would: ``"2"`` before ``"10"``, ``"a-9"`` before ``"a-10"``."""
    return re.sub(r"\d+", lambda match: match.group().zfill(20), text)


def content_hash(problem: Problem) -> str:
    """Fingerprint of everything stored for a problem (key order of options included)."""
    canonical = json.dumps(problem.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _problem_row(problem: Problem, digest: str) -> dict[str, Any]:
    return {
        "uid": problem.uid,
        "source": problem.source,
        "id": problem.id,
        "id_sort": natural_sort_key(problem.id),
        "question": problem.question,
        "subject": problem.subject.value,
        "image_type": problem.image_type,
        "answer": problem.answer,
        "elements": list(problem.elements),
        "multimodal_question": problem.multimodal_question,
        "reference_image": problem.reference_image,
        "reference_code": problem.reference_code,
        "content_hash": digest,
    }


def _quiz_rows(problem: Problem) -> list[dict[str, Any]]:
    return [
        {
            "problem_uid": problem.uid,
            "quiz_index": index,
            "question": quiz.question,
            "options_json": json.dumps(quiz.options, ensure_ascii=False),
            "correct_option": quiz.correct_option,
            "evidence_snippet": quiz.evidence_snippet,
        }
        for index, quiz in enumerate(problem.quizzes)
    ]


def prepare_batch(problems: Iterable[Problem]) -> list[tuple[Problem, str]]:
    """Validate a batch before any database work: Problem records, no uid twice."""
    batch: list[tuple[Problem, str]] = []
    seen: set[str] = set()
    for position, problem in enumerate(problems):
        if not isinstance(problem, Problem):
            raise TypeError(f"item {position} of the batch is a {type(problem).__name__}, not a Problem")
        if problem.uid in seen:
            raise ValueError(f"problem {problem.uid!r} appears twice in one batch (item {position})")
        seen.add(problem.uid)
        batch.append((problem, content_hash(problem)))
    return batch


def insert_quizzes(cursor: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=_QUIZ_SCHEMA)
    cursor.register("incoming_quizzes", table)
    try:
        columns = ", ".join(_QUIZ_COLUMNS)
        cursor.execute(f"INSERT INTO quizzes ({columns}) SELECT {columns} FROM incoming_quizzes")
    finally:
        cursor.unregister("incoming_quizzes")


def upsert(cursor: duckdb.DuckDBPyConnection, batch: list[tuple[Problem, str]]) -> UpsertCounts:
    """Insert new problems, replace changed ones (with their quizzes), leave identical ones alone.

    Runs inside the caller's transaction: any failure leaves the store as it was.
    """
    if not batch:
        return UpsertCounts(inserted=0, updated=0, unchanged=0)
    uids = pa.table({"uid": pa.array([problem.uid for problem, _ in batch], pa.string())})
    cursor.register("incoming_uids", uids)
    try:
        existing = {
            uid: (digest, imported_at)
            for uid, digest, imported_at in cursor.execute(
                "SELECT uid, content_hash, imported_at FROM problems "
                "WHERE uid IN (SELECT uid FROM incoming_uids)"
            ).fetchall()
        }
    finally:
        cursor.unregister("incoming_uids")

    now = utc_now()
    problem_rows: list[dict[str, Any]] = []
    quiz_rows: list[dict[str, Any]] = []
    changed_uids: list[str] = []
    inserted = updated = unchanged = 0
    for problem, digest in batch:
        previous = existing.get(problem.uid)
        if previous is not None and previous[0] == digest:
            unchanged += 1
            continue
        if previous is None:
            inserted += 1
            imported_at = now
        else:
            updated += 1
            imported_at = previous[1]
            changed_uids.append(problem.uid)
        problem_rows.append({**_problem_row(problem, digest), "imported_at": imported_at, "updated_at": now})
        quiz_rows.extend(_quiz_rows(problem))

    if changed_uids:
        cursor.register("changed_uids", pa.table({"uid": pa.array(changed_uids, pa.string())}))
        try:
            cursor.execute("DELETE FROM quizzes WHERE problem_uid IN (SELECT uid FROM changed_uids)")
            cursor.execute("DELETE FROM problems WHERE uid IN (SELECT uid FROM changed_uids)")
        finally:
            cursor.unregister("changed_uids")
    if problem_rows:
        cursor.register("incoming_problems", pa.Table.from_pylist(problem_rows, schema=_PROBLEM_SCHEMA))
        try:
            columns = ", ".join(_PROBLEM_COLUMNS)
            cursor.execute(f"INSERT INTO problems ({columns}) SELECT {columns} FROM incoming_problems")
        finally:
            cursor.unregister("incoming_problems")
    insert_quizzes(cursor, quiz_rows)
    return UpsertCounts(inserted=inserted, updated=updated, unchanged=unchanged)


def _values(value: FilterValue) -> list[str] | None:
    """A filter argument as a list of strings (None: no filter). Enums give their value."""
    if value is None:
        return None
    items = [value] if isinstance(value, str | Enum) else list(value)
    return [item.value if isinstance(item, Enum) else str(item) for item in items]


def where_clause(
    *,
    subject: FilterValue = None,
    image_type: FilterValue = None,
    source: FilterValue = None,
    search: str | None = None,
    uids: Iterable[str] | None = None,
) -> tuple[str, list[Any]]:
    """SQL WHERE for the problem filters (on alias ``p``) and its parameters.

    Subject matches the stored subject, so untyped SeePhys items (subject Physics, no image type)
    are included under Physics. Search is a case-insensitive substring of the question or the id.
    """
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in (("subject", subject), ("image_type", image_type), ("source", source)):
        values = _values(value)
        if values is not None:
            conditions.append(f"p.{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(values)
    if uids is not None:
        conditions.append("p.uid IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(uids))
    if search:
        needle = search.strip().lower()
        if needle:
            conditions.append("(contains(lower(p.question), ?) OR contains(lower(p.id), ?))")
            params.extend([needle, needle])
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", params


_ORDER = "ORDER BY p.source, p.id_sort, p.id"


def list_problems(
    cursor: duckdb.DuckDBPyConnection, *, limit: int | None = None, offset: int = 0, **filters: Any
) -> pd.DataFrame:
    where, params = where_clause(**filters)
    page = ""
    if limit is not None:
        page = "LIMIT ? OFFSET ?"
        params.extend([int(limit), int(offset)])
    elif offset:
        page = "OFFSET ?"
        params.append(int(offset))
    sql = f"""
        SELECT p.uid, p.id, p.source, p.subject, p.image_type, p.question, p.answer,
               coalesce(q.n_quizzes, 0)::INTEGER AS n_quizzes,
               len(p.elements)::INTEGER AS n_elements,
               coalesce(p.reference_image, '') <> '' AS has_reference_image,
               coalesce(p.reference_code, '') <> '' AS has_reference_code,
               coalesce(p.multimodal_question, '') <> '' AS has_multimodal_question
        FROM problems p
        LEFT JOIN (SELECT problem_uid, count(*) AS n_quizzes FROM quizzes GROUP BY problem_uid) q
               ON q.problem_uid = p.uid
        {where}
        {_ORDER}
        {page}
    """
    return cursor.execute(sql, params).df()


def count_problems(cursor: duckdb.DuckDBPyConnection, **filters: Any) -> int:
    where, params = where_clause(**filters)
    return int(cursor.execute(f"SELECT count(*) FROM problems p {where}", params).fetchall()[0][0])


def _ordered(present: Iterable[str], canonical: Sequence[str]) -> list[str]:
    """Values in canonical order first, anything unexpected after them, sorted."""
    values = set(present)
    return [v for v in canonical if v in values] + sorted(values - set(canonical))


def facets(cursor: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = cursor.execute(
        "SELECT 'subject', subject FROM problems GROUP BY subject "
        "UNION ALL SELECT 'image_type', image_type FROM problems WHERE image_type IS NOT NULL GROUP BY image_type "
        "UNION ALL SELECT 'source', source FROM problems GROUP BY source"
    ).fetchall()
    found: dict[str, list[str]] = {"subject": [], "image_type": [], "source": []}
    for facet, value in rows:
        found[facet].append(value)
    return {
        "subject": _ordered(found["subject"], SUBJECTS),
        "image_type": _ordered(found["image_type"], ALL_IMAGE_TYPES),
        "source": _ordered(found["source"], SOURCES),
    }


def get_problems(
    cursor: duckdb.DuckDBPyConnection,
    *,
    uids: Iterable[str] | None = None,
    limit: int | None = None,
    **filters: Any,
) -> list[Problem]:
    """Full records (quizzes in stored order): in the order of ``uids`` when given, else list order."""
    uids = None if uids is None else list(uids)
    where, params = where_clause(uids=uids, **filters)
    page = ""
    if limit is not None:
        page = "LIMIT ?"
        params.append(int(limit))
    problem_rows = cursor.execute(
        f"""SELECT p.uid, p.id, p.source, p.question, p.subject, p.image_type, p.answer, p.elements,
                   p.multimodal_question, p.reference_image, p.reference_code
            FROM problems p {where} {_ORDER} {page}""",
        params,
    ).fetchall()
    if not problem_rows:
        return []
    selected = [row[0] for row in problem_rows]
    quizzes: dict[str, list[Quiz]] = {uid: [] for uid in selected}
    for uid, question, options_json, correct, evidence in cursor.execute(
        """SELECT problem_uid, question, options_json, correct_option, evidence_snippet
           FROM quizzes WHERE problem_uid IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY problem_uid, quiz_index""",
        [selected],
    ).fetchall():
        quizzes[uid].append(
            Quiz(
                question=question,
                options=json.loads(options_json),
                correct_option=correct,
                evidence_snippet=evidence,
            )
        )
    found = [
        Problem(
            id=pid,
            source=source,
            question=question,
            subject=subject,
            image_type=image_type,
            answer=answer,
            elements=list(elements),
            quizzes=quizzes[uid],
            multimodal_question=multimodal,
            reference_image=reference_image,
            reference_code=reference_code,
        )
        for (uid, pid, source, question, subject, image_type, answer, elements, multimodal,
             reference_image, reference_code) in problem_rows
    ]
    if uids is None:
        return found
    by_uid = {problem.uid: problem for problem in found}
    return [by_uid[uid] for uid in dict.fromkeys(uids) if uid in by_uid]
