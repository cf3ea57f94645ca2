"""The store on the real SciGenBench text (skipped when ../shared/scigenbench is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.problems.models import Problem, Quiz
from core.store import Store

pytestmark = pytest.mark.realdata


def _problems(path: Path, source: str) -> list[Problem]:
    """Real items as records; quizzes the model rejects are left out (the importer reports them)."""
    problems = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        quizzes = []
        for raw in item.get("quizzes") or []:
            try:
                quizzes.append(Quiz(**{k: raw[k] for k in ("question", "options", "correct_option") if k in raw},
                                    evidence_snippet=raw.get("evidence_snippet") or ""))
            except (ValidationError, TypeError):
                continue
        image_type = item.get("image_type") or None
        problems.append(
            Problem(
                id=str(item["id"]),
                source=source,
                question=item["question"],
                subject=image_type.split(" - ")[0] if image_type else "Physics",
                image_type=image_type,
                answer=str(item.get("answer") or ""),
                elements=list(item.get("elements") or []),
                quizzes=quizzes,
            )
        )
    return problems


def test_real_benchmark_round_trips(tmp_path: Path, scigenbench_dir: Path) -> None:
    problems = _problems(scigenbench_dir / "scigen.json", "scigen") + _problems(
        scigenbench_dir / "seephys.json", "seephys"
    )
    store = Store(tmp_path / "scigen.duckdb")

    first = store.upsert_problems(problems)
    second = store.upsert_problems(problems)

    assert (first.inserted, second.unchanged) == (len(problems), len(problems))
    assert store.count_problems(source="scigen") == 534
    assert store.count_problems(source="seephys") == 165
    assert store.get_problems([p.uid for p in problems]) == problems
    # every untyped SeePhys item stays visible under Physics
    assert store.count_problems(subject="Physics") == 165 + sum(
        1 for p in problems if p.source == "scigen" and p.subject.value == "Physics"
    )
