"""Workspaces for dashboard and page tests: the real seeder's data plus one SeePhys-like item.

The SeePhys-like item (untyped Physics, a reference image on disk) covers what the bundled sample
does not: untyped problems under the Physics filter and the reference-image view.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PIL import Image

from core.problems.models import Problem, Quiz
from core.seed import seed_workspace
from core.store import Store
from core.workspace import Workspace

PAPER_PROVENANCE = (
    "Scientific Image Synthesis: Benchmarking, Methodologies, and Downstream Utility (arXiv 2601.17027)"
)
SEEPHYS_ID = "9001"
SEEPHYS_UID = f"seephys:{SEEPHYS_ID}"


def seephys_like_problem(image_path: Path) -> Problem:
    return Problem(
        id=SEEPHYS_ID,
        source="seephys",
        question="A block of mass {eq}m = 2\\,kg{/eq} slides down a frictionless incline of angle 30°.",
        subject="Physics",
        image_type=None,
        answer="{eq}a = 4.9\\,m/s^2{/eq}",
        elements=["incline at 30°", "block on the incline"],
        quizzes=[
            Quiz(
                question="What is the incline angle?",
                options={"A": "15°", "B": "30°", "C": "45°", "D": "60°"},
                correct_option="B",
                evidence_snippet="angle 30°",
            )
        ],
        reference_image=str(image_path),
    )


def make_seeded_workspace(home: Path) -> Workspace:
    workspace = Workspace.from_env(home)
    seed_workspace(workspace)
    image_path = home / "seephys_images" / f"{SEEPHYS_ID}.png"
    image_path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), "white").save(image_path)
    Store.open(workspace).upsert_problems([seephys_like_problem(image_path)])
    return workspace


def store_leaderboard_frame() -> pd.DataFrame:
    """Three runs in the shape Store.leaderboard() returns: two reported, one measured with an interval."""
    return pd.DataFrame(
        {
            "run_id": ["r1", "r2", "m1"],
            "name": ["Pixel-A", "Coder-B", "my-coder"],
            "kind": ["reported", "reported", "evaluation"],
            "generator_kind": ["pixel", "code", "code"],
            "access": ["open", None, None],
            "provenance": [PAPER_PROVENANCE, PAPER_PROVENANCE, None],
            "rinv": [30.0, 77.0, 50.0],
            "rinv_ci_low": [None, None, 41.5],
            "rinv_ci_high": [None, None, 58.25],
            "fid": [90.0, 120.0, None],
            "psnr": [None, None, None],
        }
    )
