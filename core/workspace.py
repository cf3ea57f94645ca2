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
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
REPORTED_DIR = DATA_DIR / "reported"


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

    def ensure(self) -> Workspace:
        """Create the folders (idempotent)."""
        for path in (self.home, self.images_dir, self.reference_dir, self.cache_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self
