"""Where SciGen Studio keeps its state: ``$SCIGEN_HOME`` (default ``./.scigen/``).

Layout::

    $SCIGEN_HOME/
      scigen.duckdb     the store (problems, runs, figures' records, scores)
      images/<run>/     figure files of generation runs
      reference/        gold figures rendered from the bundled sample's scripts
      cache/            model-call cache
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
REPORTED_DIR = DATA_DIR / "reported"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(value: str) -> str:
    """A file-name-safe form of a problem uid or run name (``custom:x/y`` -> ``custom_x_y``)."""
    return _UNSAFE.sub("_", value)


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; creating the object touches nothing on disk."""

    home: Path

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Workspace:
        """The workspace named by ``home``, else ``$SCIGEN_HOME``, else ``./.scigen``."""
        chosen = home if home is not None else os.environ.get("SCIGEN_HOME") or ".scigen"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def db_path(self) -> Path:
        return self.home / "scigen.duckdb"

    @property
    def images_dir(self) -> Path:
        return self.home / "images"

    @property
    def reference_dir(self) -> Path:
        return self.home / "reference"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def gold_figure_path(self, uid: str) -> Path:
        """Where the gold figure rendered from a problem's reference script lives."""
        return self.reference_dir / f"{safe_name(uid)}.png"

    def figure_path(self, run_name: str, uid: str, suffix: str = ".png") -> Path:
        """Where a generation run keeps the figure it made for one problem."""
        return self.images_dir / safe_name(run_name) / f"{safe_name(uid)}{suffix}"

    def ensure(self) -> Workspace:
        """Create the folders (idempotent)."""
        for path in (self.home, self.images_dir, self.reference_dir, self.cache_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self
