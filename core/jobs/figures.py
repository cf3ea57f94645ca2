"""A generation run's figures as evaluators see them (absolute image path, code, facts), and
which of them a selection picks."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.evaluation.base import FigureUnderTest
from core.jobs.runs import selected_problems
from core.problems.models import Problem
from core.problems.selection import ProblemSelection
from core.sandbox.models import FigureFacts
from core.store import Store
from core.workspace import Workspace


def _absolute(path: str | None, workspace: Workspace) -> Path | None:
    if path is None or (isinstance(path, float) and math.isnan(path)):
        return None
    candidate = Path(path)
    return candidate if candidate.is_absolute() else workspace.home / candidate


def _facts(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return FigureFacts.model_validate_json(text)
    except ValueError:
        return None


def figures_under_test(store: Store, workspace: Workspace, generation_run_id: str) -> dict[str, FigureUnderTest]:
    """Every figure record of a generation run as evaluators see it (absolute image path, code,
    facts), keyed by problem uid, in problem-uid order."""
    frame = store.generations(generation_run_id).astype(object)
    frame = frame.where(frame.notna(), None)
    figures: dict[str, FigureUnderTest] = {}
    for row in frame.itertuples(index=False):
        figures[row.problem_uid] = FigureUnderTest(
            run_id=generation_run_id,
            problem_uid=row.problem_uid,
            status="ok" if row.status == "ok" else "failed",
            image_path=_absolute(row.image_path, workspace) if row.status == "ok" else None,
            code=row.code,
            facts=_facts(row.facts_json),
            error_class=row.error_class,
        )
    return figures


def selected_figures(
    store: Store, figures: Mapping[str, FigureUnderTest], selection: ProblemSelection | None
) -> tuple[list[Problem], int]:
    """(problems to evaluate, selected problems without a figure record)."""
    if selection is None or selection == ProblemSelection():
        problems = store.get_problems(list(figures))
        return problems, 0
    unlimited = dataclasses.replace(selection, limit=None)
    chosen = selected_problems(store, unlimited)
    with_figure = [problem for problem in chosen if problem.uid in figures]
    without = len(chosen) - len(with_figure)
    if selection.limit is not None:
        with_figure = with_figure[: selection.limit]
    return with_figure, without
