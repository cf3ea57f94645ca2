"""A seeded workspace plus measured runs with known numbers, for the results pages.

Built in a second from store records (no rendering, no models): each generation run gets figure
records (so its problem sources are known), its own pass@k and cost aggregates, and evaluation
runs named as ``core.jobs.evaluation`` names them (``<run> · ocr``, ``<run> · judge:j``,
``<run> · fid``) holding overall, per-subject and per-image-type aggregates with intervals. The
store's leaderboard merges them into one measured row per generation run, as for real runs.

The numbers are chosen so that on R_inv ``gold`` is best, ``coder`` is tied with it (intervals
overlap) and the others are separable; ``cards`` has only Math figures; ``pixel`` has the
SeePhys-like (untyped) item too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.store import Store
from core.store.generations import GenerationRow
from core.store.records import Aggregate, Run
from core.workspace import Workspace
from tests.dashboard import workspaces


@dataclass(frozen=True)
class MeasuredRun:
    name: str
    generator_kind: str
    uids: tuple[str, ...]
    rinv: float
    rinv_ci: tuple[float, float]
    subject_rinv: dict[str, tuple[float, int]]
    """subject -> (R_inv, images)."""
    type_rinv: dict[str, tuple[float, int]]
    """image type (or '(untyped)') -> (R_inv, images)."""
    judge: tuple[float, float, float, float, float] | None
    fid: float | None


PHYSICS = tuple(f"custom:sample-physics-mechanical-{i}" for i in (1, 2, 3)) + (
    "custom:sample-physics-circuit-1",
    "custom:sample-physics-circuit-2",
)
MATH = ("custom:sample-math-plane-geometric-1", "custom:sample-math-plane-geometric-2")
SEEPHYS = "seephys:9001"

MEASURED_RUNS: tuple[MeasuredRun, ...] = (
    MeasuredRun(
        "gold",
        "baseline",
        PHYSICS + MATH,
        85.0,
        (75.0, 95.0),
        {"Physics": (80.0, 5), "Math": (100.0, 2)},
        {
            "Physics - Mechanical": (66.67, 3),
            "Physics - Circuit": (100.0, 2),
            "Math - Plane Geometric": (100.0, 2),
        },
        (1.8, 1.7, 1.9, 1.6, 1.5),
        20.0,
    ),
    MeasuredRun(
        "coder",
        "code",
        PHYSICS + MATH,
        80.0,
        (70.0, 90.0),
        {"Physics": (60.0, 5), "Math": (50.0, 2)},
        {
            "Physics - Mechanical": (33.33, 3),
            "Physics - Circuit": (100.0, 2),
            "Math - Plane Geometric": (50.0, 2),
        },
        (1.2, 1.1, 1.4, 1.0, 0.9),
        45.0,
    ),
    MeasuredRun(
        "pixel",
        "pixel",
        PHYSICS + (SEEPHYS,),
        30.0,
        (20.0, 40.0),
        {"Physics": (33.33, 6)},
        {"Physics - Mechanical": (0.0, 3), "Physics - Circuit": (50.0, 2), "(untyped)": (100.0, 1)},
        (0.5, 0.7, 1.3, 0.6, 0.8),
        90.0,
    ),
    MeasuredRun(
        "cards",
        "baseline",
        MATH,
        10.0,
        (0.0, 20.0),
        {"Math": (0.0, 2)},
        {"Math - Plane Geometric": (0.0, 2)},
        None,
        150.0,
    ),
)
MEASURED_NAMES = tuple(run.name for run in MEASURED_RUNS)
TIED_WITH_BEST = ("gold", "coder")


def _interval(value: float, n: int) -> tuple[float, float]:
    half = 40.0 / n
    return max(0.0, value - half), min(100.0, value + half)


def add_measured_runs(workspace: Workspace) -> None:
    store = Store.open(workspace)
    for run in MEASURED_RUNS:
        run_id = f"gen-{run.name}"
        store.upsert_run(
            Run(run_id=run_id, name=run.name, kind="generation", generator_kind=run.generator_kind)
        )
        store.save_generations(
            run_id,
            [
                GenerationRow(problem_uid=uid, status="ok", attempts=1, first_attempt_ok=True)
                for uid in run.uids
            ],
        )
        store.upsert_aggregates(
            run_id,
            [
                Aggregate(metric="pass_at_1", value=100.0, n=len(run.uids)),
                Aggregate(metric="pass_at_k", value=100.0, n=len(run.uids)),
                Aggregate(metric="cost_usd", value=0.0, n=0),
            ],
        )
        quiz = [
            Aggregate(
                metric="rinv", value=run.rinv, ci_low=run.rinv_ci[0], ci_high=run.rinv_ci[1], n=len(run.uids)
            ),
            Aggregate(metric="quiz_acc", value=min(100.0, run.rinv + 5), n=4 * len(run.uids)),
        ]
        for scope, values in (("subject", run.subject_rinv), ("image_type", run.type_rinv)):
            for scope_value, (value, n) in values.items():
                low, high = _interval(value, n)
                quiz.append(
                    Aggregate(
                        metric="rinv",
                        scope=scope,
                        scope_value=scope_value,
                        value=value,
                        ci_low=low,
                        ci_high=high,
                        n=n,
                    )
                )
        _evaluation(store, run, "ocr", quiz)
        if run.judge is not None:
            names = ("judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er")
            judge = [
                Aggregate(metric=m, value=v, n=len(run.uids)) for m, v in zip(names, run.judge, strict=True)
            ]
            judge += [
                Aggregate(metric="judge_cf", scope="subject", scope_value=subject, value=run.judge[0], n=n)
                for subject, (_, n) in run.subject_rinv.items()
            ]
            _evaluation(store, run, "judge:j", judge)
        if run.fid is not None:
            _evaluation(store, run, "fid", [Aggregate(metric="fid", value=run.fid, n=len(run.uids))])


def _evaluation(store: Store, run: MeasuredRun, label: str, aggregates: list[Aggregate]) -> None:
    run_id = f"eval-{run.name}-{label}"
    store.upsert_run(
        Run(
            run_id=run_id,
            name=f"{run.name} · {label}",
            kind="evaluation",
            generator_kind=run.generator_kind,
            parent_run_id=f"gen-{run.name}",
            spec_name=label.split(":")[0],
        )
    )
    store.upsert_aggregates(run_id, aggregates)


def make_measured_workspace(home: Path) -> Workspace:
    workspace = workspaces.make_seeded_workspace(home)
    add_measured_runs(workspace)
    return workspace
